/**
 * The local CA's certificate for a browser or phone to trust (the Node-RED HTTPS node's
 * download): the public certificate only. The CA's private key lives beside it in the storage
 * and is never read here; a file that holds anything but a CA certificate is not served.
 */
import { X509Certificate } from 'node:crypto';
import { loadTextOrUndefined } from '../storage';
import { storageOf, type StoreLocation } from './store';

/** Where lib/serve/settings.ts keeps the local CA's certificate (LOCAL_CA_KEYS.cert there). */
export const LOCAL_CA_CERT_KEY = 'local-ca/ca.pem';

/** The local CA certificate (PEM, one block), or undefined when no local CA was made yet. */
export async function readLocalCaCertificate(location: Pick<StoreLocation, 'userDir' | 'storage'>): Promise<{ pem: string; subject: string; notAfter: string; fingerprint256: string } | undefined> {
  const storage = await storageOf({ ...location, name: 'node-red' });
  const text = await loadTextOrUndefined(storage, LOCAL_CA_CERT_KEY);
  const block = text ? /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/.exec(text)?.[0] : undefined;
  if (!block) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block);
  } catch {
    return undefined;
  }
  if (!cert.ca) return undefined;
  return { pem: `${block}\n`, subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString(), fingerprint256: cert.fingerprint256 };
}
