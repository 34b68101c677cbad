import { describe, expect, it } from 'vitest';
import { stringToSign, withingsSignature } from '../../../src/vendors/withings/signature.ts';
import { fixture } from './stub.ts';

// The signed requests (getnonce, revoke, a signed requesttoken) against computed test vectors.
interface Vector {
  params: { action: string; client_id: string; timestamp?: number; nonce?: string };
  string_to_sign: string;
  signature: string;
}
const vectors = fixture<
  { client_secret: string } & Record<'getnonce' | 'revoke' | 'requesttoken_signed', Vector>
>('signature-test-vectors.computed.json');

describe('Withings signatures', () => {
  for (const name of ['getnonce', 'revoke', 'requesttoken_signed'] as const) {
    it(`${name}: signs the values of action, client_id and nonce/timestamp in key order`, () => {
      const { action, client_id, timestamp, nonce } = vectors[name].params;
      // Built in a scrambled key order: the module sorts them.
      const fields =
        timestamp !== undefined
          ? { timestamp, client_id, action }
          : { nonce: nonce ?? '', action, client_id };
      expect(stringToSign(fields)).toBe(vectors[name].string_to_sign);
      expect(withingsSignature(vectors.client_secret, fields)).toBe(vectors[name].signature);
    });
  }

  it('a different secret gives a different signature', () => {
    const { action, client_id, nonce } = vectors.revoke.params;
    expect(withingsSignature('another-secret', { action, client_id, nonce: nonce ?? '' })).not.toBe(
      vectors.revoke.signature,
    );
  });
});
