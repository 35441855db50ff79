import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** What an encrypted value looks like at rest: the id of the key, the nonce, the tag, the data. */
export const SealedSchema = z.object({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  iv: z.string().min(1),
  tag: z.string().min(1),
  data: z.string().min(1),
});
export type Sealed = z.infer<typeof SealedSchema>;

const ALGORITHM = 'aes-256-gcm';
// NOTE: a 96-bit nonce is what GCM is specified for (NIST SP 800-38D); random per value.
const IV_BYTES = 12;

/**
 * The id stored beside a sealed value: a hash of the key, so the id can never disagree with
 * the key it names and nothing about the key itself is stored.
 */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('pebblebot-key-id:').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM under PEBBLEBOT_ENCRYPTION_KEY. New values are sealed with the current key; old
 * keys (PEBBLEBOT_ENCRYPTION_KEYS_OLD) only open values sealed before a rotation, so a key can
 * be replaced without downtime and rows are re-sealed with the new key on their next write.
 * The `context` (the row's identity) is bound as associated data: a sealed token copied onto
 * another installation's row does not open there.
 */
export class TokenCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(currentHex: string, oldHex: readonly string[] = []) {
    const key = parseKey(currentHex);
    this.current = { id: keyId(key), key };
    for (const old of oldHex) {
      const k = parseKey(old);
      this.keys.set(keyId(k), k);
    }
    this.keys.set(this.current.id, key);
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plain: string, context: string): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      keyId: this.current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** Opens a sealed value; throws when its key is unknown or the value was altered. */
  open(sealed: Sealed, context: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key)
      throw new Error(
        `no encryption key with id ${sealed.keyId}: add the key it was sealed with to PEBBLEBOT_ENCRYPTION_KEYS_OLD`,
      );
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.data, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  }
}

function parseKey(hex: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new Error('an encryption key must be 32 bytes written as 64 hex characters');
  return Buffer.from(hex, 'hex');
}
