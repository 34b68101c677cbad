import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { WindowLimiter } from '../http/window-limiter.ts';
import * as repo from './auth.repository.ts';
import { createDummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { type AccessClaims, createRefreshToken, hashRefreshToken, type TokenService } from './tokens.ts';

export interface Principal {
  userId: number;
}

export interface PublicUser {
  id: number;
  email: string;
  name: string;
  created_at: string;
  fhir_patient_id: string;
}

export interface TokenPair {
  user: { id: number; email: string; name: string };
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface AuthServiceDeps {
  db: Db;
  clock: Clock;
  tokens: TokenService;
  passwordCost: number;
  refreshTtlSeconds: number;
  /** Counts login attempts per account (src/http/shared-limits.ts: Redis or this process's memory). */
  loginLimiter: WindowLimiter;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, tokens } = deps;
  const dummyHash = createDummyHash(deps.passwordCost);
  const { loginLimiter } = deps;

  async function issuePair(user: repo.UserRow, familyId: string = randomUUID()): Promise<TokenPair> {
    const access = await tokens.issueAccessToken(user.id);
    const refresh = createRefreshToken();
    await repo.insertRefreshToken(db, {
      id: randomUUID(),
      familyId,
      userId: user.id,
      tokenHash: refresh.hash,
      expiresAt: new Date(clock.now().getTime() + deps.refreshTtlSeconds * 1000),
    });
    return {
      user: { id: user.id, email: user.email, name: user.name },
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
    };
  }

  return {
    async register(input: {
      email: string;
      password: string;
      name?: string | undefined;
    }): Promise<TokenPair> {
      const email = normalizeEmail(input.email);
      const passwordHash = await hashPassword(input.password, deps.passwordCost);
      const user = await repo.insertUser(db, {
        email,
        name: input.name?.trim() || defaultName(email),
        passwordHash,
        externalSubject: null,
        fhirPatientId: randomUUID(),
      });
      if (!user) throw new AppError('EMAIL_TAKEN', 'An account with this email already exists');
      return issuePair(user);
    },

    async login(input: { email: string; password: string }): Promise<TokenPair> {
      const email = normalizeEmail(input.email);
      const retryAfter = await loginLimiter.hit(email);
      if (retryAfter > 0) throw new AppError('RATE_LIMITED', 'Too many login attempts', { retryAfter });
      const user = await repo.findUserByEmail(db, email);
      // Unknown email and wrong password answer the same, after the same amount of work.
      const ok = await verifyPassword(input.password, user?.password_hash ?? (await dummyHash));
      if (!user?.password_hash || !ok) throw new AppError('INVALID_CREDENTIALS');
      return issuePair(user);
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const hash = hashRefreshToken(refreshToken);
      const now = clock.now();
      const spent = await repo.spendRefreshToken(db, hash, now);
      if (!spent) {
        const known = await repo.findRefreshToken(db, hash);
        // NOTE: OAuth 2.0 Security BCP (RFC 9700 §4.14.2): a spent refresh token presented
        // again means it leaked; revoke the whole family so neither party keeps access.
        if (known?.used_at) await repo.revokeFamily(db, known.user_id, known.family_id, now);
        throw new AppError('INVALID_REFRESH_TOKEN');
      }
      const user = await repo.findUserById(db, spent.user_id);
      if (!user) throw new AppError('INVALID_REFRESH_TOKEN');
      return issuePair(user, spent.family_id);
    },

    async logout(principal: Principal, refreshToken: string | undefined): Promise<void> {
      const now = clock.now();
      if (!refreshToken) return repo.revokeAllForUser(db, principal.userId, now);
      const known = await repo.findRefreshToken(db, hashRefreshToken(refreshToken));
      if (known && known.user_id === principal.userId) {
        await repo.revokeFamily(db, principal.userId, known.family_id, now);
      }
    },

    async me(principal: Principal): Promise<PublicUser> {
      const user = await repo.findUserById(db, principal.userId);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
      return toPublicUser(user);
    },

    /** Turns verified token claims into a local principal, creating external users on first sight. */
    async resolvePrincipal(claims: AccessClaims): Promise<Principal> {
      if (claims.userId !== undefined) return { userId: claims.userId };
      const ext = claims.external;
      if (!ext) throw new AppError('UNAUTHENTICATED');
      const subject = `${ext.issuer}|${ext.subject}`;
      const existing = await repo.findUserByExternalSubject(db, subject);
      if (existing) return { userId: existing.id };
      const email = normalizeEmail(ext.email ?? `${ext.subject}@external.invalid`);
      const created = await repo.insertUser(db, {
        email: (await repo.findUserByEmail(db, email))
          ? `${ext.subject}.${randomUUID()}@external.invalid`
          : email,
        name: ext.name ?? defaultName(email),
        passwordHash: null,
        externalSubject: subject,
        fhirPatientId: randomUUID(),
      });
      const user = created ?? (await repo.findUserByExternalSubject(db, subject));
      if (!user) throw new AppError('UNAUTHENTICATED');
      return { userId: user.id };
    },
  };
}

export function toPublicUser(user: repo.UserRow): PublicUser {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    created_at: user.created_at.toISOString(),
    fhir_patient_id: user.fhir_patient_id,
  };
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function defaultName(email: string): string {
  return email.split('@')[0] || email;
}
