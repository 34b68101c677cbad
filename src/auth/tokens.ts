import { createHash, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';

export interface AccessClaims {
  /** Local user id, or undefined for an external identity not yet mapped. */
  userId: number | undefined;
  /** `sid`: the refresh-token family (session) a local token was issued for; see src/auth/sessions.ts. */
  sessionId: string | undefined;
  external:
    | {
        issuer: string;
        subject: string;
        email: string | undefined;
        name: string | undefined;
        /** `iat` in seconds: an identity erased after this time refuses the token. */
        issuedAt: number;
      }
    | undefined;
}

// HS256 only: the algorithm is pinned on both sides, so `alg: none` or an RSA/HMAC
// confusion cannot pass. External identity providers are verified against their JWKS.
const LOCAL_ALG = 'HS256';
const MAX_VERIFIED = 10_000;
const EXTERNAL_ALGS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

export interface TokenService {
  issueAccessToken(userId: number, sessionId: string): Promise<{ token: string; expiresIn: number }>;
  verifyAccessToken(token: string): Promise<AccessClaims>;
  ttlSeconds: number;
}

export function createTokenService(config: Pick<Config, 'jwt' | 'externalAuth'>): TokenService {
  const { secret, issuer, audience, accessTtlSeconds } = config.jwt;
  if (!secret) throw new Error('JWT secret is missing');
  // A KeyObject made once: handed raw bytes, jose would import the HMAC key on every call.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const external = config.externalAuth;
  const jwks = external ? createRemoteJWKSet(new URL(external.jwksUrl)) : undefined;

  async function verifyLocal(token: string): Promise<AccessClaims> {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [LOCAL_ALG],
      issuer,
      audience,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new AppError('UNAUTHENTICATED', 'Invalid token');
    const claims: AccessClaims = { userId, sessionId: stringClaim(payload, 'sid'), external: undefined };
    remember(token, claims, payload.exp);
    return claims;
  }

  async function verifyExternal(token: string): Promise<AccessClaims> {
    if (!external || !jwks) throw new AppError('UNAUTHENTICATED', 'Invalid token');
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: EXTERNAL_ALGS,
      issuer: external.issuer,
      audience: external.audience,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    const claims: AccessClaims = {
      userId: undefined,
      sessionId: undefined,
      external: {
        issuer: external.issuer,
        subject: String(payload.sub),
        email: stringClaim(payload, 'email'),
        name: stringClaim(payload, 'name'),
        issuedAt: payload.iat ?? 0,
      },
    };
    remember(token, claims, payload.exp);
    return claims;
  }

  // A client sends the same token for its whole life, and an HMAC check through WebCrypto
  // runs on the thread pool (a large share of a simple GET). Verified tokens are kept until their
  // `exp` (checked on every hit), at most MAX_VERIFIED of them, oldest dropped first.
  const verified = new Map<string, { claims: AccessClaims; expMs: number }>();
  function remember(token: string, claims: AccessClaims, exp: number | undefined): void {
    if (exp === undefined) return;
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value as string);
    verified.set(token, { claims, expMs: exp * 1000 });
  }
  function recall(token: string): AccessClaims | undefined {
    const hit = verified.get(token);
    if (!hit) return undefined;
    if (hit.expMs > Date.now()) return hit.claims;
    verified.delete(token);
    return undefined;
  }

  return {
    ttlSeconds: accessTtlSeconds,
    async issueAccessToken(userId, sessionId) {
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: LOCAL_ALG, typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${accessTtlSeconds}s`)
        .sign(key);
      return { token, expiresIn: accessTtlSeconds };
    },
    async verifyAccessToken(token) {
      const known = recall(token);
      if (known) return known;
      try {
        const unverifiedIssuer = peekIssuer(token);
        return external && unverifiedIssuer === external.issuer
          ? await verifyExternal(token)
          : await verifyLocal(token);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (err instanceof errors.JOSEError) {
          const expired = err instanceof errors.JWTExpired;
          throw new AppError('UNAUTHENTICATED', expired ? 'Token expired' : 'Invalid token');
        }
        throw new AppError('UNAUTHENTICATED', 'Invalid token');
      }
    },
  };
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

// Only chooses which verifier runs; the chosen verifier checks the issuer again.
function peekIssuer(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/** Opaque refresh tokens: 256 random bits; only their SHA-256 is stored. */
export function createRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
