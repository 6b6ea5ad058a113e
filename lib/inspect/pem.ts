/**
 * Turns whatever a flow hands us into typed items: PEM text with one or many blocks, a Buffer
 * (PEM or DER), base64 text (e.g. a Kubernetes secret value), or a certificate bundle object
 * ({ key, cert, chain, fullchain, csr, ca, ... }, see docs/ARCHITECTURE.md, "The message bundle").
 *
 * Binary input is classified by asking the real parsers (node:crypto, @peculiar/x509, forge's
 * ASN.1 reader for PKCS#12) whether they accept it: no hand-written ASN.1 here.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import * as forge from 'node-forge';
import { CertflowError } from '../errors';
import { checkSize, INPUT_LIMITS } from '../limits';
import { x509 } from '../pki/x509';
import { derToPem, scanPem } from './pem-blocks';

export { certificateBlocks, derToPem, scanPem, type PemBlock } from './pem-blocks';

export type InputKind = 'certificate' | 'csr' | 'private-key' | 'encrypted-private-key' | 'public-key' | 'pkcs12';

export interface DecodedItem {
  kind: InputKind;
  /** The DER bytes (for a legacy "Proc-Type: 4,ENCRYPTED" PEM key: its encrypted body). */
  der: Buffer;
  /** The PEM block as given (keeps legacy encryption headers); made from the DER for binary input. */
  pem: string;
  /** The PEM label, or 'DER' for binary / base64 input. */
  label: string;
  /** The bundle field it came from (cert, chain, fullchain, ca, key, csr...), for bundle input. */
  field?: string;
}

export interface DecodeOptions {
  /** Words for error messages, e.g. 'msg.payload'. */
  source?: string;
}

/** PEM labels we understand, and what they are. */
const LABEL_KINDS: Record<string, InputKind> = {
  CERTIFICATE: 'certificate',
  'X509 CERTIFICATE': 'certificate',
  'TRUSTED CERTIFICATE': 'certificate',
  'CERTIFICATE REQUEST': 'csr',
  'NEW CERTIFICATE REQUEST': 'csr',
  'PRIVATE KEY': 'private-key',
  'RSA PRIVATE KEY': 'private-key',
  'EC PRIVATE KEY': 'private-key',
  'DSA PRIVATE KEY': 'private-key',
  'ENCRYPTED PRIVATE KEY': 'encrypted-private-key',
  'PUBLIC KEY': 'public-key',
  'RSA PUBLIC KEY': 'public-key',
  'DSA PUBLIC KEY': 'public-key',
  PKCS12: 'pkcs12',
};
/** Blocks that travel with keys and certificates and carry nothing to inspect. */
const IGNORED_LABELS = new Set(['EC PARAMETERS', 'DH PARAMETERS']);

/** How an item kind reads in a sentence: "got a certificate request (CSR)". */
export const KIND_WORDS: Record<InputKind, string> = {
  certificate: 'a certificate',
  csr: 'a certificate request (CSR)',
  'private-key': 'a private key',
  'encrypted-private-key': 'an encrypted private key',
  'public-key': 'a public key',
  pkcs12: 'a PKCS#12 (.p12/.pfx) file',
};

/** Bundle fields, in the order their items are reported; certificate fields first. */
const BUNDLE_FIELDS = ['cert', 'certificate', 'chain', 'fullchain', 'ca', 'csr', 'key', 'privateKey', 'publicKey', 'p12', 'pfx', 'pkcs12'];
const CERTIFICATE_FIELDS = new Set(['cert', 'certificate', 'chain', 'fullchain']);

/** The size limit of one item of this kind. */
function limitFor(kind: InputKind): number {
  switch (kind) {
    case 'certificate':
      return INPUT_LIMITS.certificateBytes;
    case 'csr':
      return INPUT_LIMITS.csrBytes;
    case 'pkcs12':
      return INPUT_LIMITS.pkcs12Bytes;
    default:
      return INPUT_LIMITS.keyBytes;
  }
}

/**
 * Every item in the input, in order. Throws a CertflowError a user can act on for empty input,
 * text that is not PEM, a cut-off PEM block, or bytes no parser recognizes.
 */
export function decodeInput(input: unknown, opts: DecodeOptions = {}): DecodedItem[] {
  const source = opts.source ?? 'the input';
  checkSize(source, approximateSize(input), INPUT_LIMITS.totalBytes);
  if (isBundle(input)) return decodeBundle(input as Record<string, unknown>, source);
  if (Array.isArray(input) && input.some((v) => typeof v !== 'string')) {
    // a list of PEM strings / Buffers / bundles (e.g. a chain as separate Buffers)
    const parts = input.filter((v) => !isEmptyValue(v));
    if (parts.length === 0) throw emptyInput(source);
    return parts.flatMap((part, i) => decodeInput(part, { source: `${source}[${i}]` }));
  }
  const bytesOrText = normalize(input, source);
  return decodeScalar(bytesOrText, source);
}

/**
 * The certificates in the input as PEM strings (leaf first, as given). For a bundle: cert, chain
 * and fullchain (duplicates dropped), or its ca when it holds no other certificate. Each one is
 * checked to parse, so a damaged block is reported here rather than later.
 */
export function certificatesFrom(input: unknown, opts: DecodeOptions = {}): string[] {
  const items = decodeInput(input, opts);
  return certificateItems(items).map((item, index) => {
    try {
      new X509Certificate(item.der);
    } catch {
      throw new CertflowError('CERT_INVALID', `certificate ${index + 1} could not be read: the block is damaged or incomplete`);
    }
    return item.pem;
  });
}

/**
 * The certificate items of a decoded input: the chain fields of a bundle, else its ca. Throws
 * `expected a certificate but got ...` when there is none.
 */
export function certificateItems(items: DecodedItem[]): DecodedItem[] {
  const certs = items.filter((i) => i.kind === 'certificate');
  const presented = certs.filter((i) => i.field === undefined || CERTIFICATE_FIELDS.has(i.field));
  const chosen = presented.length ? presented : certs;
  if (chosen.length === 0) throw wrongKind('a certificate', items);
  return chosen;
}

/** `expected X but got a certificate request (CSR)` */
export function wrongKind(expected: string, items: DecodedItem[]): CertflowError {
  const kinds = [...new Set(items.map((i) => i.kind))];
  const got = kinds.map((k) => KIND_WORDS[k]);
  const list = got.length > 1 ? `${got.slice(0, -1).join(', ')} and ${got[got.length - 1]}` : (got[0] ?? 'nothing');
  return new CertflowError('WRONG_KIND', `expected ${expected} but got ${list}`, { got: kinds });
}

/** Bytes of the input, counted before anything is decoded (strings by length: PEM is ASCII). */
function approximateSize(input: unknown, depth = 0): number {
  if (typeof input === 'string') return input.length;
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return input.byteLength;
  if (input === null || typeof input !== 'object' || depth > 3) return 0;
  if (isSerializedBuffer(input)) return input.data.length;
  const values = Array.isArray(input) ? input : Object.values(input as Record<string, unknown>);
  if (values.length > INPUT_LIMITS.items) return Infinity;
  let total = 0;
  for (const value of values) total += approximateSize(value, depth + 1);
  return total;
}

// ---- bundles ------------------------------------------------------------------------------

function isBundle(input: unknown): boolean {
  if (input === null || typeof input !== 'object') return false;
  if (Buffer.isBuffer(input) || input instanceof Uint8Array || input instanceof ArrayBuffer || Array.isArray(input)) return false;
  return !isSerializedBuffer(input);
}

/** Node-RED's JSON form of a Buffer (a Buffer that went through a file or a context store). */
function isSerializedBuffer(input: unknown): input is { type: 'Buffer'; data: number[] } {
  const o = input as { type?: unknown; data?: unknown };
  return o !== null && typeof o === 'object' && o.type === 'Buffer' && Array.isArray(o.data);
}

function decodeBundle(bundle: Record<string, unknown>, source: string): DecodedItem[] {
  const present = BUNDLE_FIELDS.filter((f) => !isEmptyValue(bundle[f]));
  if (present.length === 0) {
    const known = Object.keys(bundle).length ? ` (it has ${Object.keys(bundle).slice(0, 6).join(', ')})` : '';
    throw new CertflowError(
      'EMPTY_INPUT',
      `${source} is an object with no cert, chain, fullchain, ca, csr, key or publicKey${known}: nothing to read`,
    );
  }
  const items: DecodedItem[] = [];
  // fullchain repeats cert and chain: each certificate once among those fields; ca is counted
  // on its own, since the same root may be both sent in the chain and trusted as the ca
  const seenInChain = new Set<string>();
  const seenInCa = new Set<string>();
  for (const field of present) {
    const values = Array.isArray(bundle[field]) ? (bundle[field] as unknown[]) : [bundle[field]];
    for (const value of values) {
      if (isEmptyValue(value)) continue;
      for (const item of decodeScalar(normalize(value, `${source}.${field}`), `${source}.${field}`)) {
        if (item.kind === 'certificate') {
          const seen = field === 'ca' ? seenInCa : seenInChain;
          const id = item.der.toString('base64');
          if (seen.has(id)) continue;
          seen.add(id);
        }
        items.push({ ...item, field });
      }
    }
  }
  return items;
}

function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.every(isEmptyValue);
  return false;
}

// ---- single values ----------------------------------------------------------------------------

function normalize(input: unknown, source: string): string | Buffer {
  if (input === undefined || input === null) throw emptyInput(source);
  if (typeof input === 'string') {
    if (input.trim() === '') throw emptyInput(source);
    return input;
  }
  let bytes: Buffer | undefined;
  if (Buffer.isBuffer(input)) bytes = input;
  else if (input instanceof Uint8Array) bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  else if (input instanceof ArrayBuffer) bytes = Buffer.from(input);
  else if (isSerializedBuffer(input)) bytes = Buffer.from(input.data);
  else if (Array.isArray(input)) {
    // an array of PEM strings (e.g. a chain) reads as one PEM text
    if (input.every((v) => typeof v === 'string')) return normalize(input.join('\n'), source);
    throw new CertflowError('INPUT_TYPE', `${source} is a list of ${typeof input[0]}: expected PEM text, a Buffer or a certificate bundle`);
  } else {
    throw new CertflowError('INPUT_TYPE', `${source} is a ${typeof input}: expected PEM text, a Buffer (PEM or DER) or a certificate bundle`);
  }
  if (bytes.length === 0) throw emptyInput(source);
  return bytes;
}

function emptyInput(source: string): CertflowError {
  return new CertflowError('EMPTY_INPUT', `${source} is empty: expected a certificate, CSR, key or PKCS#12 file (PEM, DER or base64)`);
}

function decodeScalar(input: string | Buffer, source: string): DecodedItem[] {
  const text = typeof input === 'string' ? input : textOf(input);
  if (text !== undefined) {
    if (text.includes('-----BEGIN ')) return decodePem(text, source);
    const compact = text.replace(/\s+/g, '');
    if (compact === '') throw emptyInput(source);
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) && compact.length >= 16) {
      const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
      const inner = textOf(bytes);
      if (inner !== undefined && inner.includes('-----BEGIN ')) return decodePem(inner, source); // base64 of a PEM file
      return [classifyDer(bytes, source, 'base64 text')];
    }
    if (typeof input === 'string') {
      const start = JSON.stringify(text.trim().slice(0, 24));
      throw new CertflowError(
        'NOT_PEM',
        `${source} is text but not PEM, DER or base64 (it starts with ${start}): expected "-----BEGIN CERTIFICATE-----" or similar`,
      );
    }
  }
  return [classifyDer(input as Buffer, source, 'binary data')];
}

/** The bytes as text when they look like text (PEM or base64); undefined for binary. */
function textOf(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 512);
  for (const b of head) {
    if (b === 0x09 || b === 0x0a || b === 0x0d) continue;
    if (b < 0x20 || b > 0x7e) return undefined;
  }
  return bytes.toString('latin1').replace(/^\uFEFF/, '');
}

function decodePem(text: string, source: string): DecodedItem[] {
  const items: DecodedItem[] = [];
  const skipped: string[] = [];
  const damaged: CertflowError[] = [];
  const { blocks, cutOff } = scanPem(text);
  if (cutOff !== undefined) throw truncatedPem(cutOff, source);
  for (const { label, body, text: block, endLabel } of blocks) {
    if (label !== endLabel) {
      throw new CertflowError(
        'PEM_TRUNCATED',
        `${source}: the PEM block "${label}" ends with "END ${endLabel}": a block is cut off or two are mixed up`,
      );
    }
    const kind = LABEL_KINDS[label];
    if (!kind) {
      if (!IGNORED_LABELS.has(label)) skipped.push(label);
      continue;
    }
    const headers = /^\s*[A-Za-z-]+:/m.test(body);
    const encryptedLegacy = headers && /Proc-Type:\s*4,ENCRYPTED/.test(body);
    // RFC 1421 headers (Proc-Type, DEK-Info) sit above a blank line; the base64 follows it
    const base64 = (headers ? body.replace(/^[\s\S]*?\r?\n\s*\r?\n/, '') : body).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1 || base64.length === 0) {
      // OpenSSL reads the good blocks of a file and skips a damaged one: so do we, unless none is left
      damaged.push(new CertflowError('PEM_DAMAGED', `${source}: the "${label}" PEM block is damaged: its body is not valid base64`));
      continue;
    }
    const der = Buffer.from(base64, 'base64');
    checkSize(`${source}: the "${label}" PEM block`, der.length, limitFor(kind));
    items.push({
      kind: encryptedLegacy ? 'encrypted-private-key' : kind,
      der,
      pem: block.endsWith('\n') ? block : `${block}\n`,
      label,
    });
  }
  if (items.length === 0 && damaged.length) throw damaged[0];
  if (items.length === 0) {
    const found = skipped.length ? `found only ${[...new Set(skipped)].map((l) => `"${l}"`).join(', ')}` : 'found no complete PEM block';
    throw new CertflowError('WRONG_KIND', `${source}: ${found}: expected a certificate, CSR, key or PKCS#12 file`);
  }
  return items;
}

function truncatedPem(fragment: string, source: string): CertflowError {
  const label = /-----BEGIN ([A-Z0-9 #]+)-----/.exec(fragment)?.[1] ?? 'CERTIFICATE';
  return new CertflowError(
    'PEM_TRUNCATED',
    `${source}: the PEM text is cut off: "-----BEGIN ${label}-----" has no matching "-----END ${label}-----" line`,
  );
}

// ---- binary (DER) -------------------------------------------------------------------------

/** Which real parser accepts these bytes decides what they are; first match wins. */
function classifyDer(der: Buffer, source: string, what: string): DecodedItem {
  checkSize(`${source} (${what})`, der.length, INPUT_LIMITS.pkcs12Bytes); // the largest kind: nothing larger is worth parsing
  const item = (kind: InputKind, label: string): DecodedItem => ({ kind, der, pem: derToPem(der, label), label: 'DER' });
  if (accepts(() => new X509Certificate(der))) return item('certificate', 'CERTIFICATE');
  if (looksLikePkcs12(der)) return { kind: 'pkcs12', der, pem: derToPem(der, 'PKCS12'), label: 'DER' };
  checkSize(`${source} (${what})`, der.length, INPUT_LIMITS.certificateBytes); // the largest kind left
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    if (accepts(() => createPrivateKey({ key: der, format: 'der', type }))) {
      return item('private-key', type === 'pkcs8' ? 'PRIVATE KEY' : type === 'pkcs1' ? 'RSA PRIVATE KEY' : 'EC PRIVATE KEY');
    }
  }
  const encrypted = (() => {
    try {
      createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: '' });
      return false;
    } catch (err) {
      // OpenSSL recognised an EncryptedPrivateKeyInfo and only failed to decrypt it
      return /decrypt|bad decrypt|passphrase/i.test(String((err as Error).message));
    }
  })();
  if (encrypted) return item('encrypted-private-key', 'ENCRYPTED PRIVATE KEY');
  for (const type of ['spki', 'pkcs1'] as const) {
    if (accepts(() => createPublicKey({ key: der, format: 'der', type })))
      return item('public-key', type === 'spki' ? 'PUBLIC KEY' : 'RSA PUBLIC KEY');
  }
  if (accepts(() => new x509.Pkcs10CertificateRequest(new Uint8Array(der)))) return item('csr', 'CERTIFICATE REQUEST');
  throw new CertflowError(
    'UNRECOGNIZED_INPUT',
    `${source} is ${what} (${der.length} bytes) that is not a certificate, CSR, key or PKCS#12 file in PEM, DER or base64`,
  );
}

function accepts(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

/** A PFX: SEQUENCE { INTEGER 3, ContentInfo { OID data|signedData, ... } ... } (read by forge). */
function looksLikePkcs12(der: Buffer): boolean {
  try {
    const asn = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), {
      strict: true,
      parseAllBytes: true,
      decodeBitStrings: false,
    } as never);
    const parts = asn.value as forge.asn1.Asn1[];
    if (asn.type !== forge.asn1.Type.SEQUENCE || !Array.isArray(parts) || parts.length < 2) return false;
    const version = parts[0];
    if (version.type !== forge.asn1.Type.INTEGER || forge.asn1.derToInteger(version.value as string) !== 3) return false;
    const authSafe = parts[1].value as forge.asn1.Asn1[];
    if (!Array.isArray(authSafe) || authSafe[0]?.type !== forge.asn1.Type.OID) return false;
    const oid = forge.asn1.derToOid(authSafe[0].value as string);
    return oid === forge.pki.oids.data || oid === forge.pki.oids.signedData;
  } catch {
    return false;
  }
}
