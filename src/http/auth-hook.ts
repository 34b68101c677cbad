import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Principal } from '../auth/auth.service.ts';
import type { TokenService } from '../auth/tokens.ts';
import { AppError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface Authenticator {
  /** Verifies a bearer token and returns the local principal (401 AppError otherwise). */
  authenticateToken(token: string): Promise<Principal>;
}

export function createAuthenticator(tokens: TokenService, auth: AuthService): Authenticator {
  return {
    async authenticateToken(token) {
      return auth.resolvePrincipal(await tokens.verifyAccessToken(token));
    },
  };
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** The one auth hook: registered on the protected scope, never bypassed by URL. */
export function protectScope(scope: FastifyInstance, authenticator: Authenticator): void {
  scope.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (!token) throw new AppError('UNAUTHENTICATED', 'Missing bearer token');
    request.principal = await authenticator.authenticateToken(token);
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}
