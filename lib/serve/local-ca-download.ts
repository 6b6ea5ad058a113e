/**
 * The local CA's certificate for a browser or phone to trust (the Node-RED HTTPS node's
 * download): the public certificate only. The CA's private key lives beside it in the storage
 * and is never read here; a file that holds anything but a CA certificate is not served.
 */
import { X509Certificate } from 'node:crypto';
import { certificateBlocks } from '../inspect/pem-blocks';
import * as path from 'node:path';
import { LOCAL_CA_KEYS, loadTextOrUndefined } from '../storage';
import { certificatesDir, storageOf, type StoreLocation } from './store';

/** Where the local CA's certificate is kept in the storage (lib/pki/bootstrap.ts makes it). */
export const LOCAL_CA_CERT_KEY = LOCAL_CA_KEYS.cert;

/** The local CA's files under the userDir's certificates folder (the file users tell their browser to trust). */
export function localCaPaths(userDir: string): { dir: string; cert: string; key: string } {
  const root = certificatesDir(userDir);
  return {
    dir: path.join(root, path.dirname(LOCAL_CA_KEYS.cert)),
    cert: path.join(root, LOCAL_CA_KEYS.cert),
    key: path.join(root, LOCAL_CA_KEYS.key),
  };
}

/** The local CA certificate (PEM, one block), or undefined when no local CA was made yet. */
export async function readLocalCaCertificate(
  location: Pick<StoreLocation, 'userDir' | 'storage'>,
): Promise<{ pem: string; subject: string; notAfter: string; fingerprint256: string } | undefined> {
  const storage = await storageOf({ ...location, name: 'node-red' });
  const text = await loadTextOrUndefined(storage, LOCAL_CA_KEYS.cert);
  const block = text ? certificateBlocks(text)[0] : undefined;
  if (!block) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block);
  } catch {
    return undefined;
  }
  if (!cert.ca) return undefined;
  return {
    pem: `${block}\n`,
    subject: cert.subject.replace(/\n/g, ', '),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}
