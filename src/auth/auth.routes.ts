import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
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
      schema: { tags, body: RefreshBody, response: { 200: TokenPairSchema, 401: ProblemSchema } },
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
        summary: 'End this session and the one of refresh_token (none given: every session)',
        body: LogoutBody,
      },
    },
    async (req, reply) => {
      await auth.logout(principalOf(req), req.body?.refresh_token);
      return reply.code(204).send();
    },
  );
  app.get('/auth/me', { schema: { tags, security, response: { 200: MeSchema } } }, async (req) =>
    auth.me(principalOf(req)),
  );
}
