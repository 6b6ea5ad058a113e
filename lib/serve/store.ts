/**
 * The certificate store: the served side of a certificate RECORD in the storage
 * (lib/storage/, by default `<userDir>/certificates/<name>/`), where a bundle lives so Node-RED
 * (through the settings helper) and other programs can use it. Layout, generations and the
 * crash-safety argument: lib/storage/file-storage.ts and docs/STORAGE.md.
 *
 * This file checks bundles (validateBundle), installs them as a new generation of the record
 * (one publish: readers see the old set of files or the new one, never a mix) and reads the
 * current (or previous) generation back, checking that its key matches its certificate.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { writeFileAtomic, SECRET_FILE_MODE, PUBLIC_FILE_MODE } from '../storage/atomic-file';
import { CertflowError } from '../errors';
import { certificateBlocks } from '../inspect/pem-blocks';
import { loadPrivateKey, describeKey } from '../pki/keys';
import { expandHome, isNotFound, openStorage, storageRoot, type GenerationFile, type Storage } from '../storage';

/** Files of one generation, also linked at the top of the store folder. */
export const STORE_FILES = ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json'] as const;
/** Store names that are folders of their own under certificates/. */
export const RESERVED_STORE_NAMES = ['local-ca'];

export interface StoreLocation {
  /** Node-RED's user directory (`~/.node-red` by default). */
  userDir: string;
  /** The store's name: letters, digits, `.`, `_`, `-` (default `node-red`). */
  name?: string;
  /** Another storage backend than the userDir's files (tests, clusters). */
  storage?: Storage;
}

/** What meta.json holds: facts about the certificate, never key material. */
export interface StoreMeta {
  name: string;
  generation: string;
  installedAt: string;
  /** Who installed it: `certflow-https`, `bootstrap`, ... */
  source: string;
  subject: string;
  issuer: string;
  altNames: string[];
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  key: string;
  chainLength: number;
}

/** A bundle that passed every check, ready to install or serve. */
export interface ValidatedBundle {
  /** Private key PEM exactly as given (it may be encrypted; then a passphrase was given). */
  key: string;
  /** The leaf certificate PEM. */
  cert: string;
  /** Intermediates (maybe a root), in order: each one issued the certificate before it. */
  chain: string[];
  /** cert + chain, what a TLS server sends. */
  fullchain: string;
  leaf: X509Certificate;
  /** Meta without the install fields. */
  facts: Omit<StoreMeta, 'name' | 'generation' | 'installedAt' | 'source'>;
}

export interface StoredBundle extends ValidatedBundle {
  meta: StoreMeta;
  /** The generation the files were read from. */
  generation: string;
  /** Where that generation lives (a folder path for the file storage), for messages. */
  dir: string;
}

/** An extra copy of the bundle for another program (Mosquitto, a reverse proxy...). */
export interface ExtraTarget {
  /** Absolute, or relative to userDir. */
  path: string;
  /** privkey | cert | chain | fullchain | combined (private key + fullchain in one file, e.g. HAProxy). */
  content: ExtraTargetContent;
  /** File mode, e.g. 0o640 or '640'. Default: 0600 for files with the key, 0644 otherwise. */
  mode?: number | string;
}
export type ExtraTargetContent = 'privkey' | 'cert' | 'chain' | 'fullchain' | 'combined';
const EXTRA_TARGET_CONTENTS: ExtraTargetContent[] = ['privkey', 'cert', 'chain', 'fullchain', 'combined'];

export interface InstallOptions {
  /** Passphrase of an encrypted key (only used to check the key; never stored). */
  passphrase?: string;
  /** Recorded in meta.json (`certflow-https`, `bootstrap`...). */
  source?: string;
  /** The clock for the "valid now" check (tests). */
  now?: Date;
  extraTargets?: ExtraTarget[];
  /**
   * Install only while the store's current generation is still this one (null: the store is
   * empty); otherwise throw a CertflowError `store-changed`. For automatic replacements (the
   * bootstrap certificate) that must never win a race against a real install.
   */
  ifCurrentIs?: string | null;
  /** A last check of the validated bundle before anything is written (throw to refuse). */
  beforeWrite?: (bundle: ValidatedBundle) => void | Promise<void>;
}

export interface InstallResult {
  name: string;
  /** The store folder (`<userDir>/certificates/<name>`). */
  dir: string;
  generation: string;
  meta: StoreMeta;
  bundle: ValidatedBundle;
  /** Absolute paths of the extra copies written. */
  extraFiles: string[];
}

// ---------------------------------------------------------------------------------------------
// Locations

export function certificatesDir(userDir: string): string {
  return storageRoot(userDir);
}

/** The storage a location uses: its own, else the userDir's files (opened, migrated, cleaned once). */
export function storageOf(location: StoreLocation): Promise<Storage> {
  return location.storage ? Promise.resolve(location.storage) : openStorage(location.userDir);
}

/** `<userDir>/certificates/<name>`, after checking the name cannot escape that folder. */
export function storeDir(location: StoreLocation): string {
  const name = validateStoreName(location.name ?? 'node-red');
  return path.join(certificatesDir(location.userDir), name);
}

export function validateStoreName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new CertflowError(
      'store-name-invalid',
      `"${String(name).slice(0, 70)}" is not a valid store name: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (RESERVED_STORE_NAMES.includes(name)) {
    throw new CertflowError('store-name-invalid', `"${name}" is reserved (the local CA lives there): choose another store name`);
  }
  return name;
}

export { expandHome };

// ---------------------------------------------------------------------------------------------
// Validation

/** Splits PEM text (or an array of PEM texts) into certificate PEM blocks, in order. */
function bundleCertificates(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const parts: unknown[] = Array.isArray(value) ? value : [value];
  const blocks: string[] = [];
  for (const part of parts) {
    const text = Buffer.isBuffer(part) ? part.toString('utf8') : part;
    if (typeof text !== 'string') {
      throw new CertflowError('bundle-invalid', `${field} must be PEM text, not ${typeof text}`);
    }
    const found = certificateBlocks(text);
    if (found.length === 0) {
      throw new CertflowError('bundle-invalid', `${field} holds no PEM certificate ("-----BEGIN CERTIFICATE-----" block)`);
    }
    blocks.push(...found);
  }
  return blocks;
}

function parseCertificate(pem: string, label: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CertflowError('bundle-invalid', `${label} is not a readable X.509 certificate (truncated or damaged PEM?)`);
  }
}

/** "CN=example.com", or its first alternative name when the subject is empty (as in LE's short-lived certificates). */
function describeName(cert: X509Certificate): string {
  const subject = (cert.subject ?? '').replace(/\n/g, ', ');
  return subject || altNamesOf(cert)[0] || '(no name)';
}

function altNamesOf(cert: X509Certificate): string[] {
  // subjectAltName reads "DNS:a.example, IP Address:127.0.0.1"
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((entry) => entry.replace(/^IP Address:/, 'IP:'));
}

/**
 * Checks a bundle before it may be installed or served: a private key and a certificate are
 * present, the key matches the certificate, the certificate is valid now, and the chain is in
 * order (each certificate issued by the next one). Throws a CertflowError that says what is
 * wrong; never includes key material.
 */
export function validateBundle(
  input: unknown,
  options: { passphrase?: string; now?: Date; /** false: an expired certificate passes (reading what is stored) */ requireValidNow?: boolean } = {},
): ValidatedBundle {
  if (input === null || typeof input !== 'object' || Buffer.isBuffer(input) || Array.isArray(input)) {
    throw new CertflowError(
      'bundle-invalid',
      'expected a certificate bundle object { key, cert, chain } (e.g. from the ACME or sign certificate node), got ' +
        (input === null ? 'null' : Array.isArray(input) ? 'an array' : Buffer.isBuffer(input) ? 'a Buffer' : typeof input),
    );
  }
  const bundle = input as Record<string, unknown>;

  const keyValue = bundle.key;
  if (keyValue === undefined || keyValue === null || keyValue === '') {
    throw new CertflowError('bundle-no-key', 'the bundle has no private key (payload.key): the certificate alone cannot be served');
  }
  const keyPem = Buffer.isBuffer(keyValue) ? keyValue.toString('utf8') : keyValue;
  if (typeof keyPem !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) {
    throw new CertflowError('bundle-invalid', "the bundle's key (payload.key) is not a PEM private key");
  }
  let key: KeyObject;
  try {
    key = loadPrivateKey(keyPem, options.passphrase);
  } catch (err) {
    if (err instanceof CertflowError && err.code === 'KEY_PASSPHRASE_REQUIRED') {
      throw new CertflowError(
        'key-passphrase-required',
        "the bundle's private key is encrypted: a server must read it at every start, so generate the key without a passphrase, " +
          'or give the passphrase to the settings helper (https({ name, passphrase }) in settings.js)',
        undefined,
        { cause: err },
      );
    }
    // loadPrivateKey's messages are written for users and carry no key material
    const reason = err instanceof Error ? err.message : String(err);
    throw new CertflowError('bundle-invalid', `the bundle's private key cannot be used: ${reason}`, undefined, { cause: err });
  }

  const certBlocks = bundleCertificates(bundle.cert, "the bundle's certificate (payload.cert)");
  const fullchainBlocks = bundleCertificates(bundle.fullchain, "the bundle's fullchain (payload.fullchain)");
  const chainGiven = bundle.chain !== undefined && bundle.chain !== null && bundle.chain !== '';
  let chainBlocks = bundleCertificates(chainGiven ? bundle.chain : [], "the bundle's chain (payload.chain)");

  let leafPem: string;
  if (certBlocks.length > 0) {
    leafPem = certBlocks[0];
    if (fullchainBlocks.length > 0 && normalizePem(fullchainBlocks[0]) !== normalizePem(leafPem)) {
      throw new CertflowError(
        'bundle-invalid',
        'payload.cert and the first certificate of payload.fullchain differ: the bundle mixes two certificates',
      );
    }
    if (!chainGiven) chainBlocks = certBlocks.length > 1 ? certBlocks.slice(1) : fullchainBlocks.slice(1);
  } else if (fullchainBlocks.length > 0) {
    leafPem = fullchainBlocks[0];
    if (!chainGiven) chainBlocks = fullchainBlocks.slice(1);
  } else {
    throw new CertflowError('bundle-no-cert', 'the bundle has no certificate (payload.cert or payload.fullchain)');
  }
  // A common slip: the chain given as the full chain, leaf included. Drop the duplicate.
  if (chainBlocks.length > 0 && normalizePem(chainBlocks[0]) === normalizePem(leafPem)) chainBlocks = chainBlocks.slice(1);

  const leaf = parseCertificate(leafPem, 'the certificate');
  const chain = chainBlocks.map((pem, i) => parseCertificate(pem, `chain certificate ${i + 1}`));

  if (!leaf.checkPrivateKey(key)) {
    throw new CertflowError(
      'key-mismatch',
      `the private key does not match the certificate for ${describeName(leaf)}: the key belongs to another certificate`,
    );
  }

  const now = options.now ?? new Date();
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (options.requireValidNow === false) {
    // stored certificates: serving an expired one beats serving none; the caller warns
  } else if (now < notBefore) {
    throw new CertflowError('cert-not-yet-valid', `the certificate for ${describeName(leaf)} is not valid before ${notBefore.toISOString()}`);
  }
  if (now > notAfter) {
    throw new CertflowError('cert-expired', `the certificate for ${describeName(leaf)} expired on ${notAfter.toISOString()}`);
  }

  const ordered = [leaf, ...chain];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const child = ordered[i];
    const parent = ordered[i + 1];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      const childLabel = i === 0 ? 'the certificate' : `chain certificate ${i}`;
      throw new CertflowError(
        'chain-order',
        `the chain is not in order: chain certificate ${i + 1} (${describeName(parent)}) did not issue ${childLabel} (${describeName(child)}); ` +
          'list the issuer of each certificate right after it',
      );
    }
  }

  const cert = leafPem;
  const chainPems = chainBlocks;
  return {
    key: keyPem.endsWith('\n') ? keyPem : `${keyPem}\n`,
    cert,
    chain: chainPems,
    fullchain: [cert, ...chainPems].join(''),
    leaf,
    facts: {
      subject: describeName(leaf),
      issuer: (leaf.issuer ?? '').replace(/\n/g, ', '),
      altNames: altNamesOf(leaf),
      serialNumber: leaf.serialNumber,
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      fingerprint256: leaf.fingerprint256,
      key: describeKey(key).label,
      chainLength: chain.length,
    },
  };
}

function normalizePem(pem: string): string {
  return pem.replace(/\s+/g, '');
}

// ---------------------------------------------------------------------------------------------
// Install

/**
 * Validates the bundle, then writes it as the store's new current generation (the old one
 * becomes `previous`). An invalid bundle throws before anything in the storage changes.
 */
export async function installBundle(location: StoreLocation, input: unknown, options: InstallOptions = {}): Promise<InstallResult> {
  const name = validateStoreName(location.name ?? 'node-red');
  const bundle = validateBundle(input, options);
  const targets = (options.extraTargets ?? []).map((t) => resolveExtraTarget(t, location.userDir));
  await options.beforeWrite?.(bundle);
  const storage = await storageOf(location);
  const meta: StoreMeta = {
    name,
    generation: '',
    installedAt: new Date().toISOString(),
    source: options.source ?? 'certflow-https',
    ...bundle.facts,
  };
  const generation = await storage.publishGeneration(name, generationFiles(bundle, meta), { ifCurrentIs: options.ifCurrentIs });
  meta.generation = generation;
  const extraFiles: string[] = [];
  for (const target of targets) {
    await writeFileAtomic(target.path, extraContent(bundle, target.content), target.mode);
    extraFiles.push(target.path);
  }
  return { name, dir: storage.describe(name), generation, meta, bundle, extraFiles };
}

/** The files of one generation; meta.json says what it holds, never key material. */
export function generationFiles(bundle: { key?: string; cert: string; chain: string[]; fullchain: string }, meta: object): GenerationFile[] {
  return [
    ...(bundle.key ? [{ name: 'privkey.pem', data: bundle.key, secret: true }] : []),
    { name: 'cert.pem', data: bundle.cert },
    { name: 'chain.pem', data: bundle.chain.join('') },
    { name: 'fullchain.pem', data: bundle.fullchain },
    { name: 'meta.json', data: `${JSON.stringify(meta, null, 2)}\n` },
  ];
}

// ---------------------------------------------------------------------------------------------
// Read

/**
 * Reads the current generation (or `previous`), checks that its key matches its certificate,
 * and returns it; null when the store has no certificate yet. A damaged store throws a
 * CertflowError naming the file. Expiry is NOT checked here: an expired certificate is still
 * what there is to serve (the caller warns).
 */
export async function readStoredBundle(
  location: StoreLocation,
  options: { passphrase?: string; which?: 'current' | 'previous' } = {},
): Promise<StoredBundle | null> {
  const name = validateStoreName(location.name ?? 'node-red');
  return readRecordBundle(await storageOf(location), name, options);
}

/** Like readStoredBundle, for any record of a storage (an ACME certificate's too). */
export async function readRecordBundle(
  storage: Storage,
  record: string,
  options: { passphrase?: string; which?: 'current' | 'previous' } = {},
): Promise<StoredBundle | null> {
  const which = options.which ?? 'current';
  // Resolve the pointer ONCE and read every file from that immutable generation. If a publish
  // removed it meanwhile (it was two generations old), resolve again.
  for (let attempt = 0; ; attempt++) {
    const generation = await storage.generation(record, which);
    if (generation === null) return null;
    const where = storage.describe(`${record}/${generation}`);
    let files: Record<string, Buffer | undefined>;
    try {
      files = await storage.loadGeneration(record, generation, ['privkey.pem', 'fullchain.pem', 'meta.json']);
    } catch (err) {
      if (attempt < 2 && isNotFound(err) && (await storage.generation(record, which)) !== generation) continue;
      if (isNotFound(err))
        throw new CertflowError('store-broken', `cannot read the stored certificate in ${where}: it is missing`, undefined, { cause: err });
      throw err;
    }
    return storedFromFiles(record, generation, where, files, options.passphrase);
  }
}

function storedFromFiles(
  record: string,
  generation: string,
  where: string,
  files: Record<string, Buffer | undefined>,
  passphrase?: string,
): StoredBundle {
  const missing = ['privkey.pem', 'fullchain.pem'].find((f) => !files[f]);
  if (missing) throw new CertflowError('store-broken', `cannot read the stored certificate in ${where}: ${missing} is missing`);
  let validated: ValidatedBundle;
  try {
    validated = validateBundle(
      { key: files['privkey.pem']!.toString('utf8'), fullchain: files['fullchain.pem']!.toString('utf8') },
      { passphrase, requireValidNow: false },
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CertflowError('store-broken', `the stored certificate in ${where} is unusable: ${reason}`, undefined, { cause: err });
  }
  // meta.json only describes; a damaged one does not make a good key and certificate unusable
  let meta: StoreMeta = { name: record, generation, installedAt: '', source: 'unknown', ...validated.facts };
  try {
    if (files['meta.json'])
      meta = { ...meta, ...(JSON.parse(files['meta.json'].toString('utf8')) as Partial<StoreMeta>), ...validated.facts, generation };
  } catch {
    // keep the facts read from the certificate itself
  }
  return { ...validated, meta, generation, dir: where };
}

// ---------------------------------------------------------------------------------------------
// Extra copies for other programs

interface ResolvedTarget {
  path: string;
  content: ExtraTargetContent;
  mode: number;
}

export function resolveExtraTarget(target: ExtraTarget, userDir: string): ResolvedTarget {
  if (!target || typeof target.path !== 'string' || target.path.trim() === '') {
    throw new CertflowError('target-invalid', 'an extra file needs a path');
  }
  if (!EXTRA_TARGET_CONTENTS.includes(target.content)) {
    throw new CertflowError('target-invalid', `"${String(target.content)}" is not a file content; use one of ${EXTRA_TARGET_CONTENTS.join(', ')}`);
  }
  const withKey = target.content === 'privkey' || target.content === 'combined';
  const mode = parseMode(target.mode, withKey ? SECRET_FILE_MODE : PUBLIC_FILE_MODE);
  if (withKey && (mode & 0o007) !== 0) {
    throw new CertflowError(
      'target-invalid',
      `mode ${mode.toString(8).padStart(4, '0')} for ${target.path} lets every user of the machine read the private key; use 0600 or 0640`,
    );
  }
  const resolved = path.resolve(path.resolve(expandHome(userDir)), expandHome(target.path.trim()));
  return { path: resolved, content: target.content, mode };
}

function parseMode(mode: number | string | undefined, fallback: number): number {
  if (mode === undefined || mode === null || mode === '') return fallback;
  const value = typeof mode === 'number' ? mode : /^0?o?[0-7]{3,4}$/.test(mode.trim()) ? parseInt(mode.trim().replace(/^0?o?/, ''), 8) : NaN;
  if (!Number.isInteger(value) || value < 0 || value > 0o777) {
    throw new CertflowError('target-invalid', `"${String(mode)}" is not a file mode; write it in octal, e.g. 640 or 0644`);
  }
  return value;
}

function extraContent(bundle: ValidatedBundle, content: ExtraTargetContent): string {
  switch (content) {
    case 'privkey':
      return bundle.key;
    case 'cert':
      return bundle.cert;
    case 'chain':
      return bundle.chain.join('');
    case 'fullchain':
      return bundle.fullchain;
    case 'combined':
      return bundle.key + bundle.fullchain;
  }
}
