// /v2/oauth2 (requesttoken, revoke, getdemoaccess) and /v2/signature (getnonce): the calls made
// with the app's credentials rather than a user's token.

import type { WithingsContext } from '../context.ts';
import { invalidParams, WithingsError } from '../envelope.ts';
import { WITHINGS_SCOPES } from '../oauth.types.ts';
import { requiredInt } from '../params.ts';
import { signaturesEqual, signValues } from '../signature.ts';
import type { Params } from '../withings.types.ts';
import type { Json } from './call.ts';

/** `params` merges query and form; `form` is the form body alone. */
export type AppAction = (ctx: WithingsContext, params: Params, form: Params) => Json | Promise<Json>;

export const OAUTH2_ACTIONS: Record<string, AppAction> = {
  // NOTE: requesttoken reads the form body only: "Make sure you did a POST call with params in the body" (docs/withings.md, The sandbox emulator).
  requesttoken: (ctx, _params, form) => ctx.oauth.requestToken(form),

  /** Signed (nonce + signature), no bearer token: the user's tokens and subscriptions die. */
  revoke: (ctx, params) => {
    const client = ctx.oauth.authenticate(params, 'revoke', false);
    const person = ctx.people.byWithingsUserId(requiredInt(params, 'userid'));
    if (!person || !ctx.oauth.revoke(client.clientId, person.id)) throw invalidParams('userid');
    ctx.notify.subscriptions.removeAll(client.clientId, person.id);
    return {};
  },

  getdemoaccess: (ctx, params) => {
    const client = ctx.oauth.authenticate(params, 'getdemoaccess', false);
    const scopes = (params.scope_oauth2 ?? '').split(',').map((s) => s.trim());
    const known = new Set<string>(WITHINGS_SCOPES);
    if (scopes.some((s) => !known.has(s))) throw invalidParams('scope_oauth2');
    return ctx.oauth.issueDemoPair(client.clientId, ctx.demoPersonId(), scopes);
  },
};

export const SIGNATURE_ACTIONS: Record<string, AppAction> = {
  getnonce: (ctx, params) => {
    const client = ctx.oauth.clients.get(params.client_id ?? '');
    if (!client) throw invalidParams('client_id');
    const timestamp = requiredInt(params, 'timestamp');
    // NOTE: the timestamp's freshness is not checked: Withings does not document a window.
    const expected = signValues(client.clientSecret, ['getnonce', client.clientId, timestamp]);
    if (!signaturesEqual(expected, params.signature)) throw new WithingsError(342, 'Invalid signature');
    return { nonce: ctx.nonces.issue(client.clientId) };
  },
};
