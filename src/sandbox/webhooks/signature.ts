// NOTE: notifications carry an ECDSA P-256/SHA-256 signature over the raw body in Tink wire
// format, base64(0x01 || 4-byte key id || DER signature), and Google publishes the public
// key as a Tink JSON keyset (docs/google-health.md §8.5). The sandbox makes its own key at start.

import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

export const SIGNATURE_HEADER = 'GOOGLE-HEALTH-API-SIGNATURE';

export interface WebhookSigner {
  keyId: number;
  sign(body: string): string;
  /** The public key as PEM, JWK and a Tink JSON keyset (the format of Google's keyset URL). */
  publicKeys(): { keyId: number; pem: string; jwk: JsonWebKey; tinkKeyset: Record<string, unknown> };
}

export function createWebhookSigner(): WebhookSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = randomBytes(4).readUInt32BE(0);
  const prefix = Buffer.alloc(5);
  prefix[0] = 0x01;
  prefix.writeUInt32BE(keyId, 1);
  return {
    keyId,
    sign: (body) =>
      Buffer.concat([
        prefix,
        sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }),
      ]).toString('base64'),
    publicKeys: () => ({
      keyId,
      pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      jwk: publicKey.export({ format: 'jwk' }),
      tinkKeyset: tinkKeyset(publicKey, keyId),
    }),
  };
}

function field(tag: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(tag << 3) | 2, bytes.length]), bytes]);
}

/** google.crypto.tink.EcdsaPublicKey {params {hash SHA256, curve NIST_P256, encoding DER}, x, y}. */
function tinkKeyset(publicKey: KeyObject, keyId: number): Record<string, unknown> {
  const jwk = publicKey.export({ format: 'jwk' });
  const params = Buffer.from([0x08, 3, 0x10, 2, 0x18, 2]);
  const proto = Buffer.concat([
    field(2, params),
    field(3, Buffer.from(jwk.x ?? '', 'base64url')),
    field(4, Buffer.from(jwk.y ?? '', 'base64url')),
  ]);
  return {
    primaryKeyId: keyId,
    key: [
      {
        keyData: {
          typeUrl: 'type.googleapis.com/google.crypto.tink.EcdsaPublicKey',
          value: proto.toString('base64'),
          keyMaterialType: 'ASYMMETRIC_PUBLIC',
        },
        status: 'ENABLED',
        keyId,
        outputPrefixType: 'TINK',
      },
    ],
  };
}
