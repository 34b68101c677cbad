import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
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
import type { AuthService } from './auth.service.ts';

const tags = ['Accounts'];

export function authPublicRoutes(app: FastifyInstance, auth: AuthService, perIpPerMinute: number): void {
  const rateLimit = { max: perIpPerMinute, timeWindow: 60_000 };
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
    async (req, reply) => reply.code(201).send(await auth.register(req.body, { address: req.ip })),
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
    async (req) => auth.login(req.body),
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
