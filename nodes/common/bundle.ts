/**
 * The certificate bundle that travels in msg.payload (docs/ARCHITECTURE.md, "The message bundle"):
 *   { key, publicKey, csr, cert, chain: [..], fullchain, ca, info }   PEM strings; info = inspect result
 * Each node reads what it needs and adds its own fields, keeping everything else.
 */
import type { DecodedItem } from '../../lib/inspect';
import { checkInputShape } from './input-limits';
import { loadInspect } from './lib';

export interface CertificateBundle {
  /** Private key, PKCS#8 PEM (encrypted when it was generated with a passphrase). */
  key?: string;
  publicKey?: string;
  csr?: string;
  /** The certificate itself (leaf). */
  cert?: string;
  /** Issuer certificates above `cert`, nearest first, without the root unless a CA gave it. */
  chain?: string[];
  /** `cert` followed by `chain`: what a TLS server sends. */
  fullchain?: string;
  /** The CA certificate to trust (the root of `chain`). */
  ca?: string;
  /** Result of the inspect node. */
  info?: unknown;
  /** A PKCS#12 file given as msg.payload (DER bytes). */
  p12?: Buffer;
  [field: string]: unknown;
}

/** A plain object (not a Buffer, array or a Buffer serialized to JSON) is taken for a bundle. */
export function isBundleObject(value: unknown): value is CertificateBundle {
  if (value === null || typeof value !== 'object') return false;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || Array.isArray(value)) return false;
  const serialized = value as { type?: unknown; data?: unknown };
  return !(serialized.type === 'Buffer' && Array.isArray(serialized.data));
}

/**
 * For nodes that start a bundle (generate key): a copy of msg.payload when it is a bundle,
 * otherwise a new empty one (an inject's timestamp is a trigger, not data).
 */
export function startBundle(payload: unknown): CertificateBundle {
  return isBundleObject(payload) ? { ...payload } : {};
}

/**
 * For nodes that need data from msg.payload: a copy of the bundle object, or a bundle made
 * from bare PEM text / a Buffer (PEM or DER): certificates go to cert + chain + fullchain,
 * and a CSR, private key or public key to csr, key, publicKey. Throws a clear CertflowError
 * for an empty payload, text that is not PEM, a cut-off PEM block, unknown bytes, or a value
 * nested too deep (input-limits.ts).
 */
export function readBundle(payload: unknown, source = 'msg.payload'): CertificateBundle {
  checkInputShape(payload, source);
  if (isBundleObject(payload)) return { ...payload };
  return bundleFromItems(loadInspect().decodeInput(payload, { source }));
}

function bundleFromItems(items: DecodedItem[]): CertificateBundle {
  const bundle: CertificateBundle = {};
  const certificates = items.filter((item) => item.kind === 'certificate').map((item) => item.pem);
  if (certificates.length > 0) {
    bundle.cert = certificates[0];
    bundle.chain = certificates.slice(1);
    bundle.fullchain = joinPem(certificates);
  }
  for (const item of items) {
    if (item.kind === 'csr') bundle.csr ??= item.pem;
    else if (item.kind === 'private-key' || item.kind === 'encrypted-private-key') bundle.key ??= item.pem;
    else if (item.kind === 'public-key') bundle.publicKey ??= item.pem;
    else if (item.kind === 'pkcs12') bundle.p12 ??= item.der;
  }
  return bundle;
}

/** PEM blocks joined into one text, one block after the other, each ending with a newline. */
export function joinPem(blocks: string[]): string {
  return blocks.map((block) => (block.endsWith('\n') ? block : `${block}\n`)).join('');
}
