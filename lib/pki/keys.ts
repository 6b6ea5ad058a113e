/**
 * Private and public keys: generate (async, native OpenSSL), export as PKCS#8 PEM (optionally
 * encrypted), load whatever format a user has (PKCS#8, PKCS#1, SEC1, encrypted, DER) and
 * describe a key in the words a user knows ("EC P-256", "RSA 2048").
 *
 * Error messages never carry key material or a passphrase: they end up in statuses and logs.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { childrenOf, encodeDer, encodeOid, isUniversal, oidValue, readDer } from './der';
import { CertflowError } from '../errors';
import { checkSize, INPUT_LIMITS } from '../limits';
import { derToPem, PemBlock, scanPem } from '../inspect/pem-blocks';

export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ec-p256', 'ec-p384', 'ec-p521', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519'];
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'ec-p256';

export type CurveName = 'P-256' | 'P-384' | 'P-521';
export type KeyType = 'EC' | 'RSA' | 'RSA-PSS' | 'Ed25519' | 'Ed448' | 'DSA' | 'X25519' | 'X448' | 'DH';

export interface KeyDescription {
  type: KeyType;
  /** Modulus size for RSA, curve size for EC, 256/456 for Ed25519/Ed448. */
  bits: number;
  /** NIST name for the usual curves; OpenSSL's name (e.g. 'secp256k1') for any other. */
  curve?: CurveName | (string & {});
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex: the same for a key and its certificate. */
  spkiSha256: string;
  /** What a user reads: 'EC P-256', 'RSA 2048', 'Ed25519'. */
  label: string;
  /** The generateKey() algorithm this key corresponds to, when it is one we generate. */
  algorithm?: KeyAlgorithm;
  /** Whether the described KeyObject holds the private half. */
  isPrivate: boolean;
}

export interface GeneratedKey {
  key: KeyObject;
  /** PKCS#8 PEM, encrypted when a passphrase was given. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  description: KeyDescription;
}

const CURVE_TO_OPENSSL: Record<CurveName, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const OPENSSL_TO_CURVE: Record<string, CurveName> = {
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};
const CURVE_BITS: Record<CurveName, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };
const SUPPORTED_RSA_SIZES = [2048, 3072, 4096];
const ALGORITHM_CHOICES = 'EC P-256, P-384, P-521, RSA 2048, 3072, 4096 or Ed25519';

/**
 * Reads the many ways people write a key type: 'P-256', 'ec', 'prime256v1', 'rsa', 'rsa4096',
 * 'RSA 3072', 'ed25519'... Empty means the default (EC P-256).
 */
export function parseKeyAlgorithm(text?: string | null): KeyAlgorithm {
  if (text === undefined || text === null || String(text).trim() === '') return DEFAULT_KEY_ALGORITHM;
  const shown = String(text).trim();
  const compact = shown
    .toLowerCase()
    .replace(/[\s_:/]+/g, '-')
    .replace(/-+/g, '-');
  const plain = compact.replace(/-/g, '');
  if ((KEY_ALGORITHMS as readonly string[]).includes(compact)) return compact as KeyAlgorithm;
  if (plain === 'ed25519' || plain === 'eddsa') return 'ed25519';

  const rsa = /^rsa(?:encryption)?(\d*)$/.exec(plain);
  if (rsa) {
    if (!rsa[1]) return 'rsa-2048';
    const bits = Number(rsa[1]);
    if (!SUPPORTED_RSA_SIZES.includes(bits)) {
      throw new CertflowError('KEY_RSA_SIZE_UNSUPPORTED', `RSA key size ${bits} is not supported: choose 2048, 3072 or 4096`);
    }
    return `rsa-${bits}` as KeyAlgorithm;
  }

  const ec = /^(?:ecdsa|ec)?(.*)$/.exec(plain);
  const curveText = ec ? ec[1] : plain;
  if (curveText === '') return 'ec-p256';
  const curve = curveFromText(curveText);
  if (curve) return `ec-${curve.toLowerCase().replace('-', '')}` as KeyAlgorithm;
  if (/^(ec|ecdsa)/.test(plain) || /^(p|secp|prime|nistp)\d+/.test(curveText)) {
    throw new CertflowError('KEY_CURVE_UNSUPPORTED', `unknown or unsupported curve "${shown}": choose P-256, P-384 or P-521`);
  }
  throw new CertflowError('KEY_ALGORITHM_UNSUPPORTED', `unknown key algorithm "${shown}": choose ${ALGORITHM_CHOICES}`);
}

function curveFromText(text: string): CurveName | undefined {
  const t = text.replace(/-/g, '');
  if (['p256', 'prime256v1', 'secp256r1', 'nistp256', '256'].includes(t)) return 'P-256';
  if (['p384', 'secp384r1', 'nistp384', '384'].includes(t)) return 'P-384';
  if (['p521', 'secp521r1', 'nistp521', '521'].includes(t)) return 'P-521';
  return undefined;
}

/** Generates a key pair with native OpenSSL on libuv's thread pool: the event loop stays free. */
export async function generateKey(
  alg: KeyAlgorithm | (string & {}) = DEFAULT_KEY_ALGORITHM,
  opts: { passphrase?: string } = {},
): Promise<GeneratedKey> {
  const algorithm = parseKeyAlgorithm(alg);
  const privateKey = await generatePrivateKey(algorithm);
  const publicKey = createPublicKey(privateKey);
  return {
    key: privateKey,
    privateKeyPem: exportPrivateKeyPem(privateKey, opts.passphrase),
    publicKeyPem: exportPublicKeyPem(publicKey),
    description: describeKey(privateKey),
  };
}

function generatePrivateKey(algorithm: KeyAlgorithm): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: KeyObject, privateKey: KeyObject) => (err ? reject(err) : resolve(privateKey));
    if (algorithm === 'ed25519') {
      generateKeyPair('ed25519', {}, done);
    } else if (algorithm.startsWith('rsa-')) {
      generateKeyPair('rsa', { modulusLength: Number(algorithm.slice(4)), publicExponent: 0x10001 }, done);
    } else {
      const curve = `P-${algorithm.slice(4)}` as CurveName;
      generateKeyPair('ec', { namedCurve: CURVE_TO_OPENSSL[curve] }, done);
    }
  });
}

/** PKCS#8 PEM; with a passphrase, encrypted PKCS#8 (PBES2, PBKDF2 + AES-256-CBC). */
export function exportPrivateKeyPem(key: KeyObject, passphrase?: string): string {
  if (key.type !== 'private') throw new CertflowError('KEY_NOT_PRIVATE', 'this is a public key: a private key is needed here');
  if (passphrase !== undefined && passphrase !== '') {
    return key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
  }
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** SPKI PEM ("BEGIN PUBLIC KEY") of a public key, or of a private key's public half. */
export function exportPublicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ format: 'pem', type: 'spki' }) as string;
}

const PRIVATE_KEY_LABELS = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'DSA PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
]);
const PUBLIC_KEY_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY', 'DSA PUBLIC KEY']);
const CERTIFICATE_LABELS = new Set(['CERTIFICATE']);

/** The complete PEM blocks with one of these labels (a linear scan: see pem.ts). */
function blocksOf(text: string, labels: Set<string>): PemBlock[] {
  return scanPem(text).blocks.filter((b) => labels.has(b.label) && b.endLabel === b.label);
}

/**
 * Loads a private key from PEM (PKCS#8, PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY",
 * encrypted PKCS#8, legacy encrypted PEM with Proc-Type), DER (the same, binary), base64 DER,
 * or a KeyObject. A PEM bundle holding other blocks too (certificates, EC PARAMETERS) is fine.
 */
export function loadPrivateKey(input: string | Buffer | KeyObject, passphrase?: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw new CertflowError('KEY_NOT_PRIVATE', 'this is a public key: a private key is needed here');
    return input;
  }
  const pass = passphrase === '' ? undefined : passphrase;
  const text = pemText(input);
  if (text !== undefined) {
    const blocks = blocksOf(text, PRIVATE_KEY_LABELS);
    if (blocks.length === 0) throw notAPrivateKey(text);
    // OpenSSL takes the first key it can read: a damaged block before a good one does not hide it
    let firstError: unknown;
    for (const block of blocks) {
      if (block.label === 'OPENSSH PRIVATE KEY') {
        firstError ??= new CertflowError(
          'KEY_FORMAT_UNSUPPORTED',
          'this is an OpenSSH private key: convert it to PEM first (ssh-keygen -p -m PEM -f <file>)',
        );
        continue;
      }
      const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.body);
      try {
        return decodePrivateKey(encrypted, pass, () => createPrivateKey({ key: block.text, format: 'pem', passphrase: pass }));
      } catch (err) {
        firstError ??= err;
      }
    }
    throw firstError;
  }
  const der = derBytes(input);
  if (!der) throw notAPrivateKey();
  // Plain DER first (PKCS#8, then the older PKCS#1 / SEC1 forms); then encrypted PKCS#8.
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next form
    }
  }
  try {
    // OpenSSL's traditional DSA form has no DER type in Node: its PEM label names it
    return createPrivateKey({ key: derToPem(der, 'DSA PRIVATE KEY'), format: 'pem' });
  } catch {
    // not that either
  }
  if (looksLikeEncryptedPkcs8(der)) {
    return decodePrivateKey(true, pass, () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase: pass }));
  }
  throw notAPrivateKey();
}

function decodePrivateKey(encrypted: boolean, passphrase: string | undefined, decode: () => KeyObject): KeyObject {
  if (encrypted && passphrase === undefined) {
    throw new CertflowError('KEY_PASSPHRASE_REQUIRED', 'the private key is encrypted: give its passphrase');
  }
  try {
    return decode();
  } catch (err) {
    // Never pass OpenSSL's text on: keep the message plain and free of key material.
    if (encrypted) throw new CertflowError('KEY_PASSPHRASE_WRONG', 'wrong passphrase for the private key');
    throw new CertflowError('KEY_INVALID', 'the private key could not be read: it is damaged or in an unsupported format', undefined, {
      cause: errorCodeOnly(err),
    });
  }
}

/** Loads a public key: SPKI or PKCS#1 PEM/DER, a certificate (its key), a private key (its public half), or a KeyObject. */
export function loadPublicKey(input: string | Buffer | KeyObject, passphrase?: string): KeyObject {
  if (input instanceof KeyObject) return input.type === 'private' ? createPublicKey(input) : input;
  const text = pemText(input);
  if (text !== undefined) {
    const pub = blocksOf(text, PUBLIC_KEY_LABELS)[0];
    if (pub) {
      try {
        if (pub.label === 'DSA PUBLIC KEY') return createPublicKey({ key: dsaPublicKeyToSpki(pemBody(pub)), format: 'der', type: 'spki' });
        return createPublicKey({ key: pub.text, format: 'pem' });
      } catch (err) {
        throw new CertflowError('KEY_INVALID', 'the public key could not be read: it is damaged or in an unsupported format', undefined, {
          cause: errorCodeOnly(err),
        });
      }
    }
    const cert = blocksOf(text, CERTIFICATE_LABELS)[0];
    if (cert) {
      try {
        return new X509Certificate(cert.text).publicKey;
      } catch {
        throw new CertflowError('CERT_INVALID', 'the certificate could not be read: it is damaged or incomplete');
      }
    }
    if (blocksOf(text, PRIVATE_KEY_LABELS).length) return createPublicKey(loadPrivateKey(text, passphrase));
    throw new CertflowError(
      'KEY_NOT_A_KEY',
      `this is not a public key: expected a PEM "PUBLIC KEY" block, a certificate or a private key${foundLabel(text)}`,
    );
  }
  const der = derBytes(input);
  if (der) {
    for (const type of ['spki', 'pkcs1'] as const) {
      try {
        return createPublicKey({ key: der, format: 'der', type });
      } catch {
        // try the next form
      }
    }
    try {
      return createPublicKey({ key: dsaPublicKeyToSpki(der), format: 'der', type: 'spki' });
    } catch {
      // not OpenSSL's DSA public key form either
    }
    try {
      return new X509Certificate(der).publicKey;
    } catch {
      // not a certificate either
    }
    try {
      return createPublicKey(loadPrivateKey(der, passphrase));
    } catch (err) {
      if (err instanceof CertflowError && err.code.startsWith('KEY_PASSPHRASE')) throw err;
    }
  }
  throw new CertflowError('KEY_NOT_A_KEY', 'this is not a public key: expected PEM or DER (SPKI, PKCS#1), a certificate or a private key');
}

/** Type, size or curve, SPKI SHA-256 and a label, for a private or public key. */
export function describeKey(key: KeyObject): KeyDescription {
  if (!(key instanceof KeyObject) || key.type === 'secret') {
    throw new CertflowError('KEY_NOT_A_KEY', 'describeKey needs a private or public key');
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const spkiSha256 = createHash('sha256').update(spki).digest('hex');
  const details = key.asymmetricKeyDetails ?? {};
  const isPrivate = key.type === 'private';
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      const type: KeyType = key.asymmetricKeyType === 'rsa' ? 'RSA' : 'RSA-PSS';
      const algorithm = type === 'RSA' && SUPPORTED_RSA_SIZES.includes(bits) ? (`rsa-${bits}` as KeyAlgorithm) : undefined;
      return { type, bits, spkiSha256, label: `${type} ${bits}`, algorithm, isPrivate };
    }
    case 'ec': {
      const openSslName = details.namedCurve ?? 'explicit parameters';
      const curve = OPENSSL_TO_CURVE[openSslName];
      const bits = curve
        ? CURVE_BITS[curve]
        : details.namedCurve
          ? Number(/(\d{3})/.exec(openSslName)?.[1] ?? 0) || spkiKeyBits(spki)
          : spkiKeyBits(spki);
      const algorithm = curve ? (`ec-${curve.toLowerCase().replace('-', '')}` as KeyAlgorithm) : undefined;
      return { type: 'EC', bits, curve: curve ?? openSslName, spkiSha256, label: `EC ${curve ?? openSslName}`, algorithm, isPrivate };
    }
    case 'ed25519':
      return { type: 'Ed25519', bits: 256, spkiSha256, label: 'Ed25519', algorithm: 'ed25519', isPrivate };
    case 'ed448':
      return { type: 'Ed448', bits: 456, spkiSha256, label: 'Ed448', isPrivate };
    case 'x25519':
      return { type: 'X25519', bits: 256, spkiSha256, label: 'X25519', isPrivate };
    case 'x448':
      return { type: 'X448', bits: 448, spkiSha256, label: 'X448', isPrivate };
    case 'dsa': {
      const bits = details.modulusLength ?? spkiKeyBits(spki);
      return { type: 'DSA', bits, spkiSha256, label: `DSA ${bits || ''}`.trim(), isPrivate };
    }
    default: {
      const bits = details.modulusLength ?? spkiKeyBits(spki);
      return { type: 'DH', bits, spkiSha256, label: `DH ${bits || ''}`.trim(), isPrivate };
    }
  }
}

/** True when the key (private or public) is the one the certificate certifies. */
export function keyMatchesCertificate(key: KeyObject, certPem: string | Buffer): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new CertflowError('CERT_INVALID', 'the certificate could not be read: it is damaged or incomplete');
  }
  if (key.type === 'private') return cert.checkPrivateKey(key);
  return describeKey(key).spkiSha256 === describeKey(cert.publicKey).spkiSha256;
}

// ---- WebCrypto bridge (for @peculiar/x509) ----------------------------------------------

/** The signature @peculiar/x509 makes with this key: the hash follows the key's strength. */
export function signingAlgorithmFor(key: KeyObject): { name: string; hash?: string; namedCurve?: string } {
  const description = cachedDescription(key);
  switch (description.type) {
    case 'RSA':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'EC': {
      const curve = description.curve as CurveName;
      if (!(curve in CURVE_BITS)) throw unsupportedForSigning(description.label);
      return { name: 'ECDSA', namedCurve: curve, hash: curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512' };
    }
    case 'Ed25519':
      return { name: 'Ed25519' };
    default:
      throw unsupportedForSigning(description.label);
  }
}

// describeKey exports the SPKI (~0.1 ms); a CA signing many leaves asks for the same key each time.
const descriptions = new WeakMap<KeyObject, KeyDescription>();
function cachedDescription(key: KeyObject): KeyDescription {
  let description = descriptions.get(key);
  if (!description) {
    description = describeKey(key);
    descriptions.set(key, description);
  }
  return description;
}

function unsupportedForSigning(label: string): CertflowError {
  return new CertflowError('KEY_ALGORITHM_UNSUPPORTED', `${label} keys cannot sign certificates or CSRs here: use ${ALGORITHM_CHOICES}`);
}

// Importing a key into WebCrypto costs an export + parse per call; a CA signs many leaves with
// the same KeyObject, so the imported CryptoKey is cached on it (weakly: it goes with the key).
const privateCryptoKeys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();
const publicCryptoKeys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

/** The key as a WebCrypto CryptoKey (for signing or verifying with @peculiar/x509), cached per KeyObject. */
export function toCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const cache = key.type === 'private' ? privateCryptoKeys : publicCryptoKeys;
  let pending = cache.get(key);
  if (!pending) {
    const { name, namedCurve, hash } = signingAlgorithmFor(key);
    const algorithm = name === 'ECDSA' ? { name, namedCurve } : name === 'Ed25519' ? { name } : { name, hash };
    pending =
      key.type === 'private'
        ? webcrypto.subtle.importKey('pkcs8', key.export({ format: 'der', type: 'pkcs8' }), algorithm, false, ['sign'])
        : webcrypto.subtle.importKey('spki', key.export({ format: 'der', type: 'spki' }), algorithm, true, ['verify']);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** Private and public CryptoKey of a private KeyObject, as @peculiar/x509's generators want them. */
export async function toCryptoKeyPair(privateKey: KeyObject): Promise<webcrypto.CryptoKeyPair> {
  const [priv, pub] = await Promise.all([toCryptoKey(privateKey), toCryptoKey(publicKeyOf(privateKey))]);
  return { privateKey: priv, publicKey: pub };
}

// A KeyObject's public half, made once per private key so the public CryptoKey cache hits too.
const publicHalves = new WeakMap<KeyObject, KeyObject>();
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  if (privateKey.type !== 'private') return privateKey;
  let pub = publicHalves.get(privateKey);
  if (!pub) {
    pub = createPublicKey(privateKey);
    publicHalves.set(privateKey, pub);
  }
  return pub;
}

// ---- input helpers -------------------------------------------------------------------------

/**
 * The size in bits OpenSSL gives a key whose size is in its parameters, read from the SPKI
 * (lib/pki/der): DSA and DH, the prime p; an EC key with explicit parameters, the group order.
 * 0 when the parameters are absent (a DSA key that inherits them).
 */
export function spkiKeyBits(spki: Buffer): number {
  try {
    const [algorithm] = childrenOf(readDer(new Uint8Array(spki)).node);
    const [oid, params] = childrenOf(algorithm);
    const name = oidValue(oid);
    if (!params?.valueBlock.value) return 0;
    const fields = childrenOf(params);
    // EC: ECParameters ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
    const integer = name === '1.2.840.10045.2.1' ? fields[4] : fields[0];
    return isUniversal(integer, 2) ? integerBits(Buffer.from(integer.valueBlock.valueHexView!)) : 0;
  } catch {
    return 0;
  }
}

function integerBits(bytes: Buffer): number {
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  if (bytes.length === 0 || bytes[first] === 0) return 0;
  return (bytes.length - first) * 8 - Math.clz32(bytes[first]) + 24;
}

/**
 * OpenSSL's "DSA PUBLIC KEY" (SEQUENCE { y, p, q, g }) as an SPKI Node can read: Node's
 * OpenSSL has no decoder for that form, though the openssl CLI reads it.
 */
function dsaPublicKeyToSpki(der: Buffer): Buffer {
  let parts: ReturnType<typeof childrenOf> = [];
  try {
    parts = readDer(new Uint8Array(der)).node.valueBlock.value ?? [];
  } catch {
    // reported below
  }
  if (parts.length !== 4 || !parts.every((p) => isUniversal(p, 2))) {
    throw new CertflowError('KEY_INVALID', 'the DSA public key could not be read: it is damaged');
  }
  const [y, p, q, g] = parts.map((part) => part.valueBeforeDecodeView);
  const algorithm = encodeDer(0x30, encodeOid('1.2.840.10040.4.1'), encodeDer(0x30, p, q, g));
  return encodeDer(0x30, algorithm, encodeDer(0x03, Buffer.from([0]), y)); // BIT STRING: no unused bits, then INTEGER y
}

function pemBody(block: PemBlock): Buffer {
  return Buffer.from(block.body.replace(/\s+/g, ''), 'base64');
}

/** The PEM text in the input, or undefined when the input is binary / has no PEM header. */
function pemText(input: string | Buffer): string | undefined {
  if (typeof input === 'string') {
    checkSize('the key text', input.length, INPUT_LIMITS.totalBytes);
    return input.includes('-----BEGIN ') ? input : undefined;
  }
  if (!Buffer.isBuffer(input)) throw new CertflowError('KEY_NOT_A_KEY', 'expected a key as PEM text, a Buffer or a KeyObject');
  checkSize('the key', input.length, INPUT_LIMITS.totalBytes);
  const head = input.subarray(0, 4096).toString('latin1');
  return head.includes('-----BEGIN ') ? input.toString('utf8') : undefined;
}

function derBytes(input: string | Buffer): Buffer | undefined {
  if (Buffer.isBuffer(input)) return input.length > 0 && input[0] === 0x30 ? input : undefined;
  const compact = input.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const der = Buffer.from(compact, 'base64');
  return der.length > 0 && der[0] === 0x30 ? der : undefined;
}

// EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE { OID pkcs5PBES2 (1.2.840.113549.1.5.13) or a PBES1/PKCS#12 OID ...
function looksLikeEncryptedPkcs8(der: Buffer): boolean {
  const pkcs5 = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05]);
  const pkcs12Pbe = Buffer.from([0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01]);
  const head = der.subarray(0, 24);
  return head.includes(pkcs5) || head.includes(pkcs12Pbe);
}

function foundLabel(text: string): string {
  const label = /-----BEGIN ([A-Z0-9 ]{1,64})-----/.exec(text.slice(0, 4096))?.[1];
  return label ? ` (found "${label}")` : '';
}

function notAPrivateKey(text?: string): CertflowError {
  if (text && blocksOf(text, CERTIFICATE_LABELS).length) {
    return new CertflowError('KEY_NOT_A_KEY', 'this is a certificate, not a private key');
  }
  if (text && blocksOf(text, PUBLIC_KEY_LABELS).length) {
    return new CertflowError('KEY_NOT_PRIVATE', 'this is a public key: a private key is needed here');
  }
  return new CertflowError('KEY_NOT_A_KEY', `this is not a private key: expected PEM or DER (PKCS#8, PKCS#1 or SEC1)${text ? foundLabel(text) : ''}`);
}

/** Keeps only OpenSSL's error code as the cause: its text can quote input bytes. */
function errorCodeOnly(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'code' in err ? String(err.code) : undefined;
}
