import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { AppError } from '../errors.ts';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import {
  LoginBody,
  LogoutBody,
  MeSchema,
  RefreshBody,
  RegisterBody,
  TokenPairSchema,
} from './auth.schemas.ts';
import type { AuthService, TokenPair } from './auth.service.ts';
import {
  hasRefreshCookie,
  type RefreshCookieOptions,
  readRefreshCookie,
  refreshClearCookie,
  refreshSetCookie,
  SESSION_HEADER,
  wantsSessionCookie,
} from './refresh-cookie.ts';

const tags = ['Accounts'];

export function authPublicRoutes(
  app: FastifyInstance,
  auth: AuthService,
  perIpPerMinute: number,
  cookie: RefreshCookieOptions,
): void {
  const rateLimit = { max: perIpPerMinute, timeWindow: 60_000 };
  /** The dashboard (SESSION_HEADER) gets its refresh token as a cookie, not in the body. */
  const answer = (req: FastifyRequest, reply: FastifyReply, pair: TokenPair) => {
    if (!wantsSessionCookie(req.headers)) return pair;
    reply.header('set-cookie', refreshSetCookie(pair.refresh_token, cookie));
    const { refresh_token: _inCookie, ...rest } = pair;
    return rest;
  };
  // Answers that carry tokens are never compressed, whatever their size: a compressed length can
  // leak secrets next to attacker-chosen text (BREACH). They are a few hundred bytes anyway.
  const compress = false;
  app.post<{ Body: Static<typeof RegisterBody> }>(
    '/auth/register',
    {
      config: { rateLimit },
      compress,
      schema: {
        tags,
        summary: 'Create an account and sign in',
        description:
          'Answers the new user and a token pair. 409 EMAIL_TAKEN when the address is registered; rate limited per address (429 with Retry-After).',
        body: RegisterBody,
        response: { 201: TokenPairSchema, 409: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (req, reply) =>
      reply.code(201).send(answer(req, reply, await auth.register(req.body, { address: req.ip }))),
  );
  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    {
      config: { rateLimit },
      compress,
      schema: {
        tags,
        summary: 'Sign in with email and password',
        description:
          'Answers a token pair: a short-lived access token (Bearer) and a refresh token. 401 INVALID_CREDENTIALS on a wrong email or password.',
        body: LoginBody,
        // 429: too many attempts from this address or for this account, or the account's back-off.
        response: { 200: TokenPairSchema, 401: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (req, reply) => answer(req, reply, await auth.login(req.body)),
  );
  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/auth/refresh',
    {
      config: { rateLimit },
      compress,
      schema: {
        tags,
        summary: 'Trade a refresh token for a new token pair',
        description:
          'The refresh token is used once: the answer carries its successor. 401 when it is not valid.',
        body: RefreshBody,
        response: { 200: TokenPairSchema, 401: ProblemSchema },
      },
    },
    async (req) => auth.refresh(req.body.refresh_token),
  );
  authSessionRoutes(app, auth, cookie, rateLimit);
}

const SessionHeaders = Type.Object(
  {
    [SESSION_HEADER]: Type.Literal('cookie', {
      description: 'required: the CSRF guard of the cookie routes',
    }),
  },
  { additionalProperties: true },
);

/**
 * The dashboard's cookie routes (src/auth/refresh-cookie.ts): the refresh token travels only in
 * the HttpOnly cookie, rotated on every refresh exactly as POST /auth/refresh rotates it.
 */
function authSessionRoutes(
  app: FastifyInstance,
  auth: AuthService,
  cookie: RefreshCookieOptions,
  rateLimit: { max: number; timeWindow: number },
): void {
  app.post(
    '/auth/session/refresh',
    {
      config: { rateLimit },
      compress: false,
      schema: {
        tags,
        summary: 'Renew the dashboard’s sign-in from its cookie',
        description: `For the web dashboard: reads the refresh token from its HttpOnly cookie (set by /auth/login or /auth/register sent with \`${SESSION_HEADER}: cookie\`), answers a new access token and sets the rotated refresh token as the cookie; 204 when the request carries no such cookie (nothing to renew). Requires the \`${SESSION_HEADER}: cookie\` header. A spent token presented again revokes its session. 401 without a valid cookie.`,
        headers: SessionHeaders,
        response: {
          200: TokenPairSchema,
          204: Type.Null({ description: 'No sign-in cookie: nothing to renew (sign in)' }),
          401: ProblemSchema,
        },
      },
    },
    async (req, reply) => {
      // No cookie at all: a first visit or a signed-out browser, nothing to renew and nothing wrong.
      if (!hasRefreshCookie(req.headers.cookie)) return reply.code(204).send();
      const token = readRefreshCookie(req.headers.cookie);
      if (!token) throw new AppError('INVALID_REFRESH_TOKEN', 'The sign-in cookie is not valid');
      try {
        const pair = await auth.refresh(token);
        reply.header('set-cookie', refreshSetCookie(pair.refresh_token, cookie));
        const { refresh_token: _inCookie, ...rest } = pair;
        return rest;
      } catch (err) {
        reply.header('set-cookie', refreshClearCookie(cookie));
        throw err;
      }
    },
  );
  app.post(
    '/auth/session/logout',
    {
      config: { rateLimit },
      schema: {
        tags,
        summary: 'Sign the dashboard out',
        description: `Ends the session of the refresh-token cookie (if any) and clears the cookie. Requires the \`${SESSION_HEADER}: cookie\` header.`,
        headers: SessionHeaders,
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (req, reply) => {
      const token = readRefreshCookie(req.headers.cookie);
      if (token) await auth.endSessionOf(token);
      return reply.header('set-cookie', refreshClearCookie(cookie)).code(204).send();
    },
  );
}

export function authProtectedRoutes(app: FastifyInstance, auth: AuthService): void {
  const security = [{ bearerAuth: [] }];
  app.post<{ Body: Static<typeof LogoutBody> }>(
    '/auth/logout',
    {
      schema: {
        tags,
        security,
        summary: 'Sign out',
        description:
          'Ends the caller’s sign-in and the one of refresh_token; with no refresh_token (or no body), every session of the account.',
        body: LogoutBody,
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (req, reply) => {
      await auth.logout(principalOf(req), req.body?.refresh_token);
      return reply.code(204).send();
    },
  );
  app.get(
    '/auth/me',
    {
      schema: {
        tags,
        security,
        summary: 'The signed-in account',
        description: 'Who the bearer token belongs to, with the id of their FHIR Patient.',
        response: { 200: MeSchema },
      },
    },
    async (req) => auth.me(principalOf(req)),
  );
}
