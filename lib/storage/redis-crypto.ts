/**
 * Private keys at rest in a shared store: AES-256-GCM with a key derived from the user's secret
 * by HKDF-SHA256. The storage key name is the additional authenticated data, so a value copied
 * under another name (another certificate's key) does not decrypt. A value starts with a NUL
 * byte and `CFE1` (no PEM or JSON text does), then the key id, IV, tag and ciphertext.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { CertflowError } from '../errors';

const MAGIC = Buffer.from('\0CFE1', 'latin1');
const KEY_ID_LENGTH = 8;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export class SecretBox {
  private readonly key: Buffer;
  private readonly keyId: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('certflow-storage-v1'), Buffer.from('aes-256-gcm private keys'), 32),
    );
    this.keyId = createHash('sha256').update(this.key).digest().subarray(0, KEY_ID_LENGTH);
  }

  seal(name: string, data: string | Buffer): Buffer {
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const body = Buffer.concat([cipher.update(Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')), cipher.final()]);
    return Buffer.concat([MAGIC, this.keyId, iv, cipher.getAuthTag(), body]);
  }

  /** The plain value; a value that is not sealed is returned as it is. */
  open(name: string, value: Buffer, where: string): Buffer {
    if (!isSealed(value)) return value;
    let offset = MAGIC.length;
    const keyId = value.subarray(offset, (offset += KEY_ID_LENGTH));
    const iv = value.subarray(offset, (offset += IV_LENGTH));
    const tag = value.subarray(offset, (offset += TAG_LENGTH));
    if (!keyId.equals(this.keyId)) {
      throw new CertflowError(
        'storage-secret-wrong',
        `${where} was encrypted with another storage secret: give every instance the same storage.secret (or credentialSecret) as when it was stored`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(value.subarray(offset)), decipher.final()]);
    } catch {
      throw new CertflowError('storage-secret-wrong', `${where} does not decrypt (damaged, or moved from another key name): restore it or remove it`);
    }
  }
}

export function isSealed(value: Buffer): boolean {
  return value.length > MAGIC.length && value.subarray(0, MAGIC.length).equals(MAGIC);
}
