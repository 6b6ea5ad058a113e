/**
 * Password-based encryption as PKCS#12 files use it (RFC 7292, RFC 8018): derive a key from the
 * password, then decrypt or MAC. The derivations are the expensive part (one hash per
 * iteration, and the iteration count comes from the file), so none of them runs as one block
 * on the event loop: PBKDF2 is Node's native async pbkdf2 (thread pool), and the PKCS#12 KDF,
 * which Node lacks, runs here in slices that yield to the loop. Ciphers are node:crypto's, and
 * node-forge's RC2 for the old files OpenSSL 3 only reads with its legacy provider.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import * as forge from 'node-forge';
import { CertflowError } from '../errors';
import { LOOP_SLICE_MS, PKCS12_LIMITS } from '../limits';

/** Hash OIDs a PKCS#12 MAC (and the PKCS#12 KDF) may use: Node's name and block size. */
export const MAC_HASHES: Record<string, { name: string; blockBytes: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', blockBytes: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', blockBytes: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', blockBytes: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', blockBytes: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', blockBytes: 128 },
};

/** PBKDF2's pseudo-random functions (HMAC with a hash). */
export const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** PBES2 encryption schemes: Node's cipher name and key length. */
export const PBES2_CIPHERS: Record<string, { cipher: string; keyBytes: number }> = {
  '2.16.840.1.101.3.4.1.2': { cipher: 'aes-128-cbc', keyBytes: 16 },
  '2.16.840.1.101.3.4.1.22': { cipher: 'aes-192-cbc', keyBytes: 24 },
  '2.16.840.1.101.3.4.1.42': { cipher: 'aes-256-cbc', keyBytes: 32 },
  '1.2.840.113549.3.7': { cipher: 'des-ede3-cbc', keyBytes: 24 },
};

/** The PKCS#12 PBE schemes (pkcs-12PbeIds): cipher, key length, whether an IV is derived. */
export const PKCS12_PBE: Record<string, { cipher: 'des-ede3-cbc' | 'des-ede-cbc' | 'rc2' | 'rc4'; keyBytes: number; name: string }> = {
  '1.2.840.113549.1.12.1.1': { cipher: 'rc4', keyBytes: 16, name: 'RC4-128 (PKCS#12)' },
  '1.2.840.113549.1.12.1.2': { cipher: 'rc4', keyBytes: 5, name: 'RC4-40 (PKCS#12)' },
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyBytes: 24, name: '3DES (PKCS#12)' },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyBytes: 16, name: '2-key 3DES (PKCS#12)' },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyBytes: 16, name: 'RC2-128 (PKCS#12)' },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyBytes: 5, name: 'RC2-40 (PKCS#12)' },
};

/** Counts iterations over one file, so a file of many parts cannot multiply the work. */
export class IterationBudget {
  private spent = 0;
  take(iterations: number, what: string): void {
    if (!Number.isSafeInteger(iterations) || iterations < 1) {
      throw new CertflowError(
        'P12_INVALID',
        `the PKCS#12 file is damaged: ${what} has an iteration count of ${iterations}, which must be at least 1`,
      );
    }
    if (iterations > PKCS12_LIMITS.maxIterations) {
      throw new CertflowError(
        'P12_ITERATIONS_TOO_MANY',
        `the PKCS#12 file asks for ${iterations.toLocaleString('en-US')} password iterations for ${what}, more than the ${PKCS12_LIMITS.maxIterations.toLocaleString('en-US')} this package allows (OpenSSL and Windows write 2,048, Java up to 100,000): the file is damaged or made to stall its reader; export it again with the usual settings`,
        { iterations, limit: PKCS12_LIMITS.maxIterations },
      );
    }
    this.spent += iterations;
    if (this.spent > PKCS12_LIMITS.maxTotalIterations) {
      throw new CertflowError(
        'P12_ITERATIONS_TOO_MANY',
        `the PKCS#12 file asks for more than ${PKCS12_LIMITS.maxTotalIterations.toLocaleString('en-US')} password iterations in all: it is damaged or made to stall its reader`,
        { limit: PKCS12_LIMITS.maxTotalIterations },
      );
    }
  }
}

/** The password as the PKCS#12 KDF takes it: UTF-16BE with two zero bytes; null is "no password" (empty). */
export function bmpPassword(password: string | null): Buffer {
  if (password === null) return Buffer.alloc(0);
  const bytes = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) bytes.writeUInt16BE(password.charCodeAt(i), i * 2);
  return bytes;
}

/**
 * RFC 7292 appendix B.2: `length` bytes of key material (purpose 1 key, 2 IV, 3 MAC key) from
 * the password, salt and iteration count; every slice of LOOP_SLICE_MS yields to the loop.
 */
export async function pkcs12Kdf(
  hash: { name: string; blockBytes: number },
  password: Buffer,
  salt: Buffer,
  purpose: 1 | 2 | 3,
  iterations: number,
  length: number,
): Promise<Buffer> {
  const v = hash.blockBytes;
  const fill = (source: Buffer) => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length];
    return out;
  };
  const diversifier = Buffer.alloc(v, purpose);
  const input = Buffer.concat([fill(salt), fill(password)]);
  const output: Buffer[] = [];
  let produced = 0;
  let sliceStart = performance.now();
  while (produced < length) {
    let a = createHash(hash.name).update(diversifier).update(input).digest();
    for (let i = 1; i < iterations; i++) {
      a = createHash(hash.name).update(a).digest();
      if ((i & 1023) === 0 && performance.now() - sliceStart > LOOP_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    output.push(a);
    produced += a.length;
    if (produced >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v), with B = A repeated to v bytes
    const b = fill(a);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k] + b[k] + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, length);
}

/** PBKDF2 in Node's thread pool. */
export function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number, keyBytes: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) => pbkdf2(password, salt, iterations, keyBytes, digest, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Whether the MAC of `content` under the password matches (PKCS#12 KDF key, HMAC). */
export async function macMatches(
  hashOid: string,
  password: string | null,
  salt: Buffer,
  iterations: number,
  content: Buffer,
  expected: Buffer,
): Promise<boolean> {
  const hash = MAC_HASHES[hashOid];
  const digestBytes = createHash(hash.name).digest().length;
  const key = await pkcs12Kdf(hash, bmpPassword(password), salt, 3, iterations, digestBytes);
  const mac = createHmac(hash.name, key).update(content).digest();
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

/**
 * Decrypts with a key and IV already derived; null when the padding is wrong (the usual sign of
 * a wrong password). Throws P12_UNSUPPORTED when no cipher here can do it.
 */
export function decrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer, what: string): Buffer | null {
  if (cipher === 'rc2') {
    // OpenSSL 3 has RC2 only in its legacy provider, which Node does not load: forge's RC2
    const rc2 = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString('binary')), key.length * 8);
    rc2.start(forge.util.createBuffer(iv.toString('binary')));
    rc2.update(forge.util.createBuffer(data.toString('binary')));
    return rc2.finish() ? Buffer.from(rc2.output.getBytes(), 'binary') : null;
  }
  let decipher;
  try {
    decipher = createDecipheriv(cipher, key, iv);
  } catch (err) {
    throw new CertflowError(
      'P12_UNSUPPORTED',
      `${what} is encrypted with ${cipher}, which this Node.js cannot decrypt: export it again with AES-256 (OpenSSL 3's default)`,
      undefined,
      { cause: err },
    );
  }
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    return null;
  }
}
