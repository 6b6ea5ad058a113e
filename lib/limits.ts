/**
 * The limits every input path in lib/ holds, stated once. Node-RED runs every flow on one event
 * loop: a hostile or broken file must end fast with a clear error, never stall the runtime. The
 * numbers leave real input far inside them (the Mozilla root bundle is ~220 KB, an RSA 16384
 * key ~10 KB, OpenSSL and Windows write 2,048 PKCS#12 iterations, Java 8 up to 100,000).
 * Node files (the inspect node's file source, upload sizes) use the same numbers: import them.
 */
import { CertflowError } from './errors';

const KB = 1024;
const MB = 1024 * KB;

/** Sizes in bytes, per kind of input. */
export const INPUT_LIMITS = {
  /** One input altogether: a PEM text, a Buffer, base64 text, or all the fields of a bundle. */
  totalBytes: 2 * MB,
  /** One certificate (DER). Real ones are 1-4 KB; 64 KB allows a few thousand SANs. */
  certificateBytes: 64 * KB,
  /** One CSR (DER). */
  csrBytes: 64 * KB,
  /** One private or public key (DER). */
  keyBytes: 16 * KB,
  /** One PKCS#12 file. */
  pkcs12Bytes: 1 * MB,
  /** PEM blocks (or bundle values) in one input: a 2 MB bundle holds about 1,500 certificates. */
  items: 5000,
} as const;

/** PKCS#12 key derivation (the MAC and each encrypted part derive a key from the password). */
export const PKCS12_LIMITS = {
  /**
   * Iterations of one key derivation. OpenSSL 3.0 has no cap (2^31-1 keeps it busy for
   * minutes); ours is 10x what real writers use. The work runs off the loop (PBKDF2 in Node's
   * thread pool, the PKCS#12 KDF in slices), so the cap bounds time, not blocking.
   */
  maxIterations: 1_000_000,
  /** Iterations summed over every derivation of one file (a MAC, the certificates, the key). */
  maxTotalIterations: 3_000_000,
  /** Iterations exportPkcs12 agrees to write (its key encryption runs in node-forge, on the loop). */
  maxExportIterations: 50_000,
  /** Bags (certificates, keys) in one file. */
  maxBags: 1000,
} as const;

/** The longest stretch of work that may hold the event loop before it yields. */
export const LOOP_SLICE_MS = 10;

/** The limit's name in KB/MB words: "64 KB". */
export function sizeWords(bytes: number): string {
  return bytes >= MB ? `${+(bytes / MB).toFixed(1)} MB` : bytes >= KB ? `${Math.round(bytes / KB)} KB` : `${bytes} bytes`;
}

/** Throws INPUT_TOO_LARGE when `size` exceeds `limit`: "the certificate is 80 KB, more than the 64 KB limit". */
export function checkSize(what: string, size: number, limit: number): void {
  if (size > limit) {
    throw new CertflowError(
      'INPUT_TOO_LARGE',
      `${what} is ${sizeWords(size)}, more than the ${sizeWords(limit)} this package reads: it is not a certificate file, or not one that could be meant`,
      { size, limit },
    );
  }
}

/** Lets the event loop run when `started` (performance.now()) is a slice ago; returns the new start. */
export async function yieldIfDue(started: number): Promise<number> {
  const now = performance.now();
  if (now - started < LOOP_SLICE_MS) return started;
  await new Promise((resolve) => setImmediate(resolve));
  return performance.now();
}
