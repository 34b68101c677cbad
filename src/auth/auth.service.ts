import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { LoginBackoff } from '../http/login-backoff.ts';
import type { WindowLimiter } from '../http/window-limiter.ts';
import * as repo from './auth.repository.ts';
import { createDummyHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { createSessionCache, type SessionCache } from './sessions.ts';
import { type AccessClaims, createRefreshToken, hashRefreshToken, type TokenService } from './tokens.ts';

export interface Principal {
  userId: number;
  /** The session (refresh-token family) of the access token used, when it names one. */
  sessionId?: string;
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
  /** Locks an account for longer after each failed sign-in past the first few. */
  loginBackoff: LoginBackoff;
  /** Counts registrations per client address (each costs a 128 MiB scrypt). */
  registerLimiter: WindowLimiter;
  /** Remembers which sessions are live, briefly (src/auth/sessions.ts). */
  sessions?: SessionCache;
  /** Tells the other API processes that a user's sessions ended (src/auth/session-events.ts). */
  announceEnded?: (userId: number) => void;
}

/** How long a process trusts its last answer about a session: the most a logout elsewhere lags. */
export const SESSION_CACHE_TTL_MS = 5_000;
/** How long an erased external identity's older tokens stay refused (they live less than this). */
const ERASED_IDENTITY_KEEP_MS = 24 * 3600_000;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, tokens } = deps;
  const dummyHash = createDummyHash(deps.passwordCost);
  const { loginLimiter, loginBackoff, registerLimiter } = deps;
  const sessions = deps.sessions ?? createSessionCache({ ttlMs: SESSION_CACHE_TTL_MS });

  /** This process forgets the user's sessions at once; the others are told, or their entries expire. */
  function endSessions(userId: number): void {
    sessions.forgetUser(userId);
    deps.announceEnded?.(userId);
  }

  async function issuePair(user: repo.UserRow, familyId: string = randomUUID()): Promise<TokenPair> {
    const access = await tokens.issueAccessToken(user.id, familyId);
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
    async register(
      input: { email: string; password: string; name?: string | undefined },
      client: { address: string },
    ): Promise<TokenPair> {
      const retryAfter = await registerLimiter.hit(client.address);
      if (retryAfter > 0) {
        throw new AppError('RATE_LIMITED', 'Too many accounts created from this address', { retryAfter });
      }
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
      // Checked before the password, and not counted: trying during a lock cannot lengthen it.
      const locked = await loginBackoff.lockedFor(email);
      if (locked > 0) {
        throw new AppError('RATE_LIMITED', 'Too many failed sign-ins for this account', {
          retryAfter: locked,
        });
      }
      const user = await repo.findUserByEmail(db, email);
      // Unknown email and wrong password answer the same, after the same amount of work, and count
      // toward the same back-off (so a lock reveals nothing about which emails have accounts).
      const ok = await verifyPassword(input.password, user?.password_hash ?? (await dummyHash));
      if (!user?.password_hash || !ok) {
        await loginBackoff.recordFailure(email);
        throw new AppError('INVALID_CREDENTIALS');
      }
      await loginBackoff.recordSuccess(email);
      // Checked after the password, so it tells nothing to someone who does not know it.
      if (!user.is_active) throw new AppError('FORBIDDEN', 'This account is deactivated');
      // An imported bcrypt hash is replaced by ours on the first sign-in it lets through.
      if (needsRehash(user.password_hash)) {
        const rehashed = await hashPassword(input.password, deps.passwordCost);
        await repo.replacePasswordHash(db, user.id, user.password_hash, rehashed);
      }
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
        if (known?.used_at) {
          await repo.revokeFamily(db, known.user_id, known.family_id, now);
          endSessions(known.user_id);
        }
        throw new AppError('INVALID_REFRESH_TOKEN');
      }
      const user = await repo.findUserById(db, spent.user_id);
      if (!user?.is_active) throw new AppError('INVALID_REFRESH_TOKEN');
      return issuePair(user, spent.family_id);
    },

    async logout(principal: Principal, refreshToken: string | undefined): Promise<void> {
      const now = clock.now();
      // Without a refresh token: every session of the user ("sign out everywhere").
      if (!refreshToken) await repo.revokeAllForUser(db, principal.userId, now);
      else {
        const known = await repo.findRefreshToken(db, hashRefreshToken(refreshToken));
        if (known && known.user_id === principal.userId) {
          await repo.revokeFamily(db, principal.userId, known.family_id, now);
        }
        if (principal.sessionId) await repo.revokeFamily(db, principal.userId, principal.sessionId, now);
      }
      endSessions(principal.userId);
    },

    /** Signs out the session a refresh token belongs to (the dashboard's cookie), whoever holds it. */
    async endSessionOf(refreshToken: string): Promise<void> {
      const known = await repo.findRefreshToken(db, hashRefreshToken(refreshToken));
      if (!known) return;
      await repo.revokeFamily(db, known.user_id, known.family_id, clock.now());
      endSessions(known.user_id);
    },

    async me(principal: Principal): Promise<PublicUser> {
      const user = await repo.findUserById(db, principal.userId);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
      return toPublicUser(user);
    },

    /**
     * Whether the sign-in behind a principal still holds, for what outlives one request (the live
     * event stream): its session not revoked. Principals without a session (an external identity's,
     * an old token's) are not re-checked.
     */
    async stillSignedIn(principal: Principal): Promise<boolean> {
      const { userId, sessionId } = principal;
      if (sessionId === undefined) return true;
      const owner = await sessions.lookup(`s:${sessionId}`, () => repo.findLiveSessionOwner(db, sessionId));
      return owner === userId;
    },

    /**
     * Turns verified token claims into a local principal: a local token's session must be live (one
     * cached lookup); an external identity maps to its user, created on first sight unless that
     * identity's account was erased after the token was issued.
     */
    async resolvePrincipal(claims: AccessClaims): Promise<Principal> {
      const { userId, sessionId } = claims;
      if (userId !== undefined) {
        if (sessionId !== undefined && !SESSION_ID.test(sessionId)) {
          throw new AppError('UNAUTHENTICATED', 'Invalid token');
        }
        // A token without `sid` (issued before sessions were checked) holds while its user has one.
        const owner = sessionId
          ? await sessions.lookup(`s:${sessionId}`, () => repo.findLiveSessionOwner(db, sessionId))
          : await sessions.lookup(`u:${userId}`, () => repo.findUserWithLiveSession(db, userId));
        if (owner !== userId) throw new AppError('UNAUTHENTICATED', 'Session ended');
        return sessionId ? { userId, sessionId } : { userId };
      }
      const ext = claims.external;
      if (!ext) throw new AppError('UNAUTHENTICATED');
      const subject = `${ext.issuer}|${ext.subject}`;
      const key = `x:${subject}`;
      const existing = await sessions.lookup(
        key,
        async () => (await repo.findUserByExternalSubject(db, subject))?.id,
      );
      if (existing !== undefined) return { userId: existing };
      const keepSince = new Date(clock.now().getTime() - ERASED_IDENTITY_KEEP_MS);
      if (
        await repo.wasIdentityErasedSince(db, hashSubject(subject), new Date(ext.issuedAt * 1000), keepSince)
      ) {
        throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
      }
      sessions.forget(key);
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

    /** In the erasure's transaction: an external identity's tokens issued until now stay refused. */
    async rememberErasure(trx: Db, userId: number): Promise<void> {
      const user = await repo.findUserById(trx, userId);
      if (!user?.external_subject) return;
      const now = clock.now();
      await repo.insertErasedIdentity(trx, {
        subjectHash: hashSubject(user.external_subject),
        erasedAt: now,
        keepSince: new Date(now.getTime() - ERASED_IDENTITY_KEEP_MS),
      });
    },

    /** After an erasure has committed: the user's tokens answer 401 from now on. */
    endSessions,
  };
}

function hashSubject(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url');
}

function toPublicUser(user: repo.UserRow): PublicUser {
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
