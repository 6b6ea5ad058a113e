/**
 * What signing remembers between calls. A flow that signs many leaves hands over the same CA
 * key and certificate as PEM text each time: parsing them (and importing the key into
 * WebCrypto) once per text, not once per leaf, is most of sign.bench.js's speed.
 */
import type { KeyObject } from 'node:crypto';
import { loadPrivateKey } from './keys';
import type { x509 } from './x509';

/** A Map that forgets its oldest entry past `limit`, so a flow of ever-new texts cannot grow it. */
export class RecentCache<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly limit: number) {}

  /** The value for `key`, made by `make` the first time. */
  get(key: K, make: () => V): V {
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = make();
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    return value;
  }
}

// The same PEM text maps to the same KeyObject, whose CryptoKey @peculiar/x509 caches.
const loadedKeys = new RecentCache<string, KeyObject>(8);
// Parsed CA certificates, by their PEM block (a CA signs many leaves).
const parsedCertificates = new RecentCache<string, x509.X509Certificate>(32);

/** An unencrypted private key PEM, loaded once per text. */
export function cachedPrivateKey(pem: string): KeyObject {
  return loadedKeys.get(pem, () => loadPrivateKey(pem));
}

/** A certificate PEM block, parsed once per text. */
export function cachedCertificate(block: string, parse: () => x509.X509Certificate): x509.X509Certificate {
  return parsedCertificates.get(block, parse);
}
