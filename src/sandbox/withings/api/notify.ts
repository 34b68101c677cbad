// /notify with the user's token: subscribe (URL rules, then a HEAD that must answer 2xx, else 293),
// list, get, update and revoke, all scoped to the calling app and user.

import { invalidParams, missingScope } from '../envelope.ts';
import { optionalInt, requiredString } from '../params.ts';
import { APPLI_SCOPE } from '../subscriptions.ts';
import type { Call, DataAction, Json } from './call.ts';

/** NOTE: `expires` is in a third party's capture though not in the spec (docs/withings.md, The sandbox emulator). */
const NEVER = 2_147_483_647;

function appliOf(call: Call, name = 'appli', fallback?: number): number {
  const appli = optionalInt(call.params, name) ?? fallback;
  if (appli === undefined || !(appli in APPLI_SCOPE)) throw invalidParams(name);
  const scope = APPLI_SCOPE[appli] as string;
  if (!call.scopes.includes(scope)) throw missingScope(scope);
  return appli;
}

async function subscribe(call: Call): Promise<Json> {
  const callbackurl = requiredString(call.params, 'callbackurl');
  const appli = appliOf(call);
  await call.ctx.notify.subscriptions.subscribe({
    clientId: call.clientId,
    personId: call.person.id,
    userid: call.person.withings.userid,
    appli,
    callbackurl,
    comment: call.params.comment ?? '',
  });
  return {};
}

function list(call: Call): Json {
  const appli = optionalInt(call.params, 'appli');
  return {
    profiles: call.ctx.notify.subscriptions.list(call.clientId, call.person.id, appli).map((s) => ({
      appli: s.appli,
      callbackurl: s.callbackurl,
      expires: NEVER,
      comment: s.comment,
    })),
  };
}

function get(call: Call): Json {
  const callbackurl = requiredString(call.params, 'callbackurl');
  const appli = optionalInt(call.params, 'appli') ?? 1;
  const sub = call.ctx.notify.subscriptions.find(call.clientId, call.person.id, callbackurl, appli);
  return { appli: sub.appli, callbackurl: sub.callbackurl, comment: sub.comment };
}

async function update(call: Call): Promise<Json> {
  const callbackurl = requiredString(call.params, 'callbackurl');
  const appli = optionalInt(call.params, 'appli');
  if (appli === undefined) throw invalidParams('appli');
  const sub = call.ctx.notify.subscriptions.find(call.clientId, call.person.id, callbackurl, appli);
  const change: { callbackurl?: string; appli?: number; comment?: string } = {};
  if (call.params.new_callbackurl) change.callbackurl = call.params.new_callbackurl;
  if (call.params.new_appli) change.appli = appliOf(call, 'new_appli');
  if (call.params.comment !== undefined) change.comment = call.params.comment;
  if (Object.keys(change).length === 0) throw invalidParams('new_callbackurl');
  await call.ctx.notify.subscriptions.update(sub, change);
  return {};
}

function revoke(call: Call): Json {
  const callbackurl = requiredString(call.params, 'callbackurl');
  call.ctx.notify.subscriptions.revoke(
    call.clientId,
    call.person.id,
    callbackurl,
    optionalInt(call.params, 'appli'),
  );
  return {};
}

export const NOTIFY_ACTIONS: Record<string, DataAction> = {
  subscribe: { run: subscribe },
  list: { run: list },
  get: { run: get },
  update: { run: update },
  revoke: { run: revoke },
};
