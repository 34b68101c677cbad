/**
 * The Google Health API's webhook signature (docs/google-health.md §8.5 b): an ECDSA P-256 / SHA-256
 * signature over the raw body, in Tink wire format `base64(0x01 ‖ 4-byte key id ‖ signature)`,
 * checked against Google's public Tink JSON keyset (GOOGLE_HEALTH_WEBHOOK_KEYSET_URL).
 *
 *   const keys = createWebhookKeys({ url, fetch, log });
 *   await keys.verify(rawBody, signatureHeader) -> 'valid' | 'invalid' | 'unavailable'
 *
 * The keyset is fetched on first need and again when a signature names a key id it does not
 * hold (keys rotate, about monthly), at most once a minute; 'unavailable' means the key could
 * not be had (the caller answers 503 and Google retries the delivery for up to 7 days).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { Log } from '../../log.ts';

export type SignatureCheck = 'valid' | 'invalid' | 'unavailable';

export interface WebhookKeys {
  verify(rawBody: string, header: string | undefined): Promise<SignatureCheck>;
}

const REFETCH_AFTER_MS = 60_000;
const ECDSA_PUBLIC_KEY = 'type.googleapis.com/google.crypto.tink.EcdsaPublicKey';
// Tink enums (tink/proto/common.proto, ecdsa.proto).
const SHA256 = 3;
const NIST_P256 = 2;
const IEEE_P1363 = 1;
const DER = 2;

interface Key {
  key: KeyObject;
  dsaEncoding: 'der' | 'ieee-p1363';
}

export function createWebhookKeys(deps: { url: string; fetch: typeof fetch; log: Log }): WebhookKeys {
  let keys = new Map<number, Key>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let fetching: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    fetchedAt = Date.now();
    try {
      const res = await deps.fetch(deps.url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`keyset answered ${res.status}`);
      keys = parseTinkKeyset(await res.json());
    } catch (err) {
      deps.log.warn({ err }, 'webhook signing keyset could not be fetched');
    }
  }

  async function keyFor(id: number): Promise<Key | undefined> {
    if (!keys.has(id) && Date.now() - fetchedAt >= REFETCH_AFTER_MS) {
      fetching ??= refresh().finally(() => {
        fetching = undefined;
      });
      await fetching;
    }
    return keys.get(id);
  }

  return {
    async verify(rawBody, header) {
      const parsed = header ? parseSignature(header) : undefined;
      if (!parsed) return 'invalid';
      const key = await keyFor(parsed.keyId);
      // Never fetched successfully: we cannot tell. Fetched, and no such key: not Google's.
      if (!key) return keys.size === 0 ? 'unavailable' : 'invalid';
      const ok = verify(
        'sha256',
        Buffer.from(rawBody, 'utf8'),
        { key: key.key, dsaEncoding: key.dsaEncoding },
        parsed.signature,
      );
      return ok ? 'valid' : 'invalid';
    },
  };
}

/** `base64(0x01 ‖ key id ‖ signature)` (Tink's TINK output prefix); undefined if malformed. */
function parseSignature(header: string): { keyId: number; signature: Buffer } | undefined {
  const bytes = Buffer.from(header.trim(), 'base64');
  if (bytes.length < 6 || bytes[0] !== 0x01) return undefined;
  return { keyId: bytes.readUInt32BE(1), signature: bytes.subarray(5) };
}

/** The enabled ECDSA P-256 / SHA-256 keys of a Tink JSON public keyset, by key id. */
export function parseTinkKeyset(json: unknown): Map<number, Key> {
  const out = new Map<number, Key>();
  const list = (json as { key?: unknown } | null)?.key;
  if (!Array.isArray(list)) return out;
  for (const entry of list as Record<string, unknown>[]) {
    const data = entry?.keyData as { typeUrl?: unknown; value?: unknown } | undefined;
    if (entry?.status !== 'ENABLED' || entry.outputPrefixType !== 'TINK') continue;
    if (data?.typeUrl !== ECDSA_PUBLIC_KEY || typeof data.value !== 'string') continue;
    if (typeof entry.keyId !== 'number') continue;
    try {
      const key = ecdsaPublicKey(Buffer.from(data.value, 'base64'));
      if (key) out.set(entry.keyId >>> 0, key);
    } catch {
      // A key we cannot read is a key we do not accept.
    }
  }
  return out;
}

/** google.crypto.tink.EcdsaPublicKey { 2: params { 1: hash, 2: curve, 3: encoding }, 3: x, 4: y }. */
function ecdsaPublicKey(proto: Buffer): Key | undefined {
  const fields = readFields(proto);
  const params = fields.get(2);
  const x = fields.get(3);
  const y = fields.get(4);
  if (!Buffer.isBuffer(params) || !Buffer.isBuffer(x) || !Buffer.isBuffer(y)) return undefined;
  const p = readFields(params);
  if (p.get(1) !== SHA256 || p.get(2) !== NIST_P256) return undefined;
  const encoding = p.get(3);
  if (encoding !== DER && encoding !== IEEE_P1363) return undefined;
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: coordinate(x), y: coordinate(y) },
    format: 'jwk',
  });
  return { key, dsaEncoding: encoding === DER ? 'der' : 'ieee-p1363' };
}

/** A big-endian integer (Tink may prepend a zero byte) as the 32 bytes a JWK wants, base64url. */
function coordinate(bytes: Buffer): string {
  let b = bytes;
  while (b.length > 32 && b[0] === 0) b = b.subarray(1);
  if (b.length > 32) throw new Error('coordinate too long');
  return Buffer.concat([Buffer.alloc(32 - b.length), b]).toString('base64url');
}

/** The varint and length-delimited fields of a protobuf message, by field number (last wins). */
function readFields(buf: Buffer): Map<number, number | Buffer> {
  const out = new Map<number, number | Buffer>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = buf[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) out.set(field, varint());
    else if (wire === 2) {
      const length = varint();
      if (at + length > buf.length) throw new Error('truncated field');
      out.set(field, buf.subarray(at, at + length));
      at += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}
