/**
 * Inspect: what a certificate, chain, CSR, key or PKCS#12 file says, and whether it is healthy
 * (chain, trust, host name, key match, expiry, weak algorithms). The result is plain JSON with
 * a one-line `summary` first, because it lands in Node-RED's Debug sidebar.
 *
 * Speed (bench/inspect.bench.js): a certificate is decoded once by asn1js (the BER reader under
 * @peculiar/x509), the extensions through @peculiar/x509's extension classes, memoized by their
 * bytes since certificates from one CA repeat most of them. Node's X509Certificate (OpenSSL) is
 * made only when a check needs it: signatures, host names, key match.
 */
import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import * as asn1js from 'asn1js';
import { analyzeChain, ChainCertificate, ChainReport, isSelfIssued, TrustAnchor, TrustAnchorSet } from './chain';
import { parseCsr, ParsedCsr } from '../pki/csr';
import { CertflowError } from '../errors';
import { describeKey, KeyDescription, loadPrivateKey, loadPublicKey, spkiKeyBits } from '../pki/keys';
import { yieldIfDue } from '../limits';
import type { AltName } from '../pki/names';
import { certificateItems, DecodedItem, decodeInput } from './pem';
import { importPkcs12 } from './pkcs12';
import { x509 } from '../pki/x509';

// ---- result types ---------------------------------------------------------------------------

export interface PublicKeyInfo {
  type: 'RSA' | 'RSA-PSS' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA' | (string & {});
  /** Modulus size for RSA, curve size for EC, 256 for Ed25519. */
  bits: number;
  curve?: string;
  /** 'EC P-256', 'RSA 2048', 'Ed25519'. */
  label: string;
  /** SHA-256 of the SubjectPublicKeyInfo, lower-case hex (as describeKey gives for the private key). */
  spkiSha256: string;
}

export interface CertificateInfo {
  subject: string;
  subjectFields: Record<string, string | string[]>;
  issuer: string;
  issuerFields: Record<string, string | string[]>;
  altNames: AltName[];
  /** Lower-case hex of the serial number's value, as `openssl x509 -serial` prints it. */
  serial: string;
  version: number;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysRemaining: number;
  lifetimeDays: number;
  /** Share of the lifetime still ahead, 0-100. */
  percentRemaining: number;
  expired: boolean;
  notYetValid: boolean;
  /** Subject and issuer are the same name (a root, or a self-signed leaf). */
  selfSigned: boolean;
  isCa: boolean;
  pathLength?: number;
  publicKey: PublicKeyInfo;
  /** OpenSSL's name: sha256WithRSAEncryption, ecdsa-with-SHA256, ED25519... */
  signatureAlgorithm: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  ocspUrls: string[];
  caIssuersUrls: string[];
  crlDistributionPoints: string[];
  policies: string[];
  /** Colon-separated upper-case hex, as `openssl x509 -fingerprint` prints it. */
  fingerprintSha1: string;
  fingerprintSha256: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo (HPKP pin-sha256). */
  spkiPin: string;
}

export interface InspectOptions {
  /** Password of a PKCS#12 input. */
  password?: string;
  /** Passphrase of an encrypted private key (in the input, or given as privateKey). */
  passphrase?: string;
  /** Check the (first) certificate is valid for this DNS name or IP address. */
  host?: string;
  /** Check this private key belongs to the (first) certificate. A key in the input is checked too. */
  privateKey?: string | Buffer | KeyObject;
  /** PEM certificates to trust, or 'system' for Node's root store (default), or 'none'. */
  trustAnchors?: string[] | 'system' | 'none' | (string & {});
  /** Warn when fewer days than this remain (default 30). */
  warnDays?: number;
  /** The moment to judge validity at (default: now). */
  now?: Date;
}

export interface InspectChecks {
  host?: { name: string; matches: boolean };
  keyMatchesCertificate?: boolean;
  chainOk?: boolean;
  /** Days left on the certificate that expires first. */
  daysRemaining?: number;
}

export type InspectKind = 'certificate' | 'chain' | 'csr' | 'private-key' | 'public-key' | 'pkcs12';

export interface InspectResult {
  summary: string;
  /** True when there are no problems (warnings are allowed). */
  ok: boolean;
  kind: InspectKind;
  certificates: CertificateInfo[];
  chain?: ChainReport;
  csr?: ParsedCsr;
  key?: KeyDescription;
  checks: InspectChecks;
  problems: string[];
  warnings: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_WARN_DAYS = 30;
const MAX_LEAF_LIFETIME_DAYS = 398;

// ---- inspect ----------------------------------------------------------------------------------

/** Inspects PEM / DER / base64 / a bundle object / PKCS#12 (with opts.password). */
export async function inspect(input: unknown, opts: InspectOptions = {}): Promise<InspectResult> {
  try {
    return await inspectInput(input, opts);
  } catch (err) {
    if (err instanceof CertflowError) throw err;
    // a dependency failed on something none of our checks foresaw: still our error, with its cause
    throw new CertflowError('INPUT_INVALID', 'the input could not be read: it is damaged or in a form this package does not know', undefined, { cause: err });
  }
}

async function inspectInput(input: unknown, opts: InspectOptions): Promise<InspectResult> {
  const items = decodeInput(input);
  const pkcs12 = items.find((i) => i.kind === 'pkcs12');
  if (pkcs12) return inspectPkcs12(pkcs12, opts);
  return inspectItems(items, opts, undefined);
}

async function inspectPkcs12(item: DecodedItem, opts: InspectOptions): Promise<InspectResult> {
  const content = await importPkcs12(item.der, opts.password ?? '');
  const bundle = { cert: content.certificates, key: content.privateKeyPem };
  const items = content.certificates.length || content.privateKeyPem ? decodeInput(bundle) : [];
  if (items.length === 0) throw new CertflowError('P12_EMPTY', 'the PKCS#12 file holds no certificate and no key');
  // A PKCS#12 file's key is not encrypted once opened: no passphrase needed.
  return inspectItems(orderLeafFirst(items), { ...opts, passphrase: undefined }, 'pkcs12');
}

/** PKCS#12 files list certificates in any order: put the one matching the key first. */
function orderLeafFirst(items: DecodedItem[]): DecodedItem[] {
  const key = items.find((i) => i.kind === 'private-key');
  if (!key) return items;
  const privateKey = loadPrivateKey(key.pem);
  const certs = items.filter((i) => i.kind === 'certificate');
  const leaf = certs.find((c) => {
    try {
      return new X509Certificate(c.der).checkPrivateKey(privateKey);
    } catch {
      return false; // a certificate OpenSSL cannot read is not the key's
    }
  });
  if (!leaf) return items;
  return [leaf, ...items.filter((i) => i !== leaf)];
}

async function inspectItems(items: DecodedItem[], opts: InspectOptions, container: 'pkcs12' | undefined): Promise<InspectResult> {
  const now = opts.now ?? new Date();
  const warnDays = opts.warnDays ?? DEFAULT_WARN_DAYS;
  const certItems = items.some((i) => i.kind === 'certificate') ? certificateItems(items) : [];
  const parsed: ParsedCertificate[] = [];
  let slice = performance.now();
  for (const [index, item] of certItems.entries()) {
    parsed.push(parseCertificateAt(item.der, now, index, certItems.length));
    slice = await yieldIfDue(slice); // a bundle of a thousand certificates must not hold the loop
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const checks: InspectChecks = {};

  // The key: from the options, else from the input.
  let key: KeyDescription | undefined;
  let keyObject: KeyObject | undefined;
  const keyItem = items.find((i) => i.kind === 'private-key' || i.kind === 'encrypted-private-key');
  if (opts.privateKey !== undefined && opts.privateKey !== null && opts.privateKey !== '') {
    keyObject = loadPrivateKey(opts.privateKey, opts.passphrase);
  } else if (keyItem) {
    keyObject = loadPrivateKey(keyItem.pem, opts.passphrase);
  }
  if (keyObject) key = describeKey(keyObject);
  const publicKeyItem = items.find((i) => i.kind === 'public-key');
  if (!key && publicKeyItem) key = describeKey(loadPublicKey(publicKeyItem.pem));

  const csrItem = items.find((i) => i.kind === 'csr');
  const csr = csrItem ? await parseCsr(csrItem.pem) : undefined;

  let chain: ChainReport | undefined;
  let leaf: ParsedCertificate | undefined;
  if (parsed.length) {
    // A chain is checked when there is one, when trust was asked about, or when a bundle brings its CA.
    const bundleCa = certItems.every((i) => i.field !== 'ca') && items.some((i) => i.kind === 'certificate' && i.field === 'ca');
    // "none" asks only that the links of a chain fit: a lone certificate has no links.
    if (parsed.length > 1 || (opts.trustAnchors !== undefined && opts.trustAnchors !== 'none') || bundleCa) {
      chain = analyzeChain(parsed, { anchors: trustAnchorsFor(opts, bundleCa ? items : []), now });
      checks.chainOk = chain.ok;
      problems.push(...chain.problems);
    }
    leaf = parsed[(chain?.leaf ?? 1) - 1];
    if (!chain) {
      if (leaf.info.expired) problems.push(`${leaf.label} expired on ${day(leaf.notAfter)}`);
      if (leaf.info.notYetValid) problems.push(`${leaf.label} is not valid before ${day(leaf.notBefore)}`);
    }
    if (opts.host !== undefined && opts.host !== '') {
      const matches = hostMatches(leaf, opts.host);
      checks.host = { name: opts.host, matches };
      if (!matches) problems.push(`wrong host: ${leaf.label} is for ${namesOf(leaf.info)}, not ${opts.host}`);
    }
    if (keyObject) {
      checks.keyMatchesCertificate = leaf.x509().checkPrivateKey(keyObject);
      if (!checks.keyMatchesCertificate) problems.push(`the private key (${key!.label}) does not match the certificate ${leaf.label} (${leaf.info.publicKey.label})`);
    }
    checks.daysRemaining = Math.min(...parsed.map((p) => p.info.daysRemaining));
    warnings.push(...certificateWarnings(parsed, warnDays));
  } else if (csr && keyObject) {
    checks.keyMatchesCertificate = csr.publicKey.spkiSha256 === key!.spkiSha256;
    if (!checks.keyMatchesCertificate) problems.push(`the private key (${key!.label}) does not match the CSR's public key (${csr.publicKey.label})`);
  }
  if (csr && !csr.signatureValid) problems.push("the CSR's signature does not verify: it was altered or damaged");
  if (csr?.publicKey.type === 'RSA' && csr.publicKey.bits < 2048) warnings.push(`the CSR has a weak RSA ${csr.publicKey.bits} key: use at least 2048 bits`);

  const kind: InspectKind = container ?? (parsed.length > 1 ? 'chain' : parsed.length ? 'certificate' : csr ? 'csr' : keyObject ? 'private-key' : 'public-key');
  const result: InspectResult = {
    summary: '',
    ok: problems.length === 0,
    kind,
    certificates: parsed.map((p) => p.info),
    ...(chain ? { chain } : {}),
    ...(csr ? { csr } : {}),
    ...(key ? { key } : {}),
    checks,
    problems,
    warnings,
  };
  result.summary = summarize(result, leaf);
  return result;
}

// ---- one certificate --------------------------------------------------------------------------

/** Every field of one certificate (PEM, DER or base64), judged at opts.now. */
export function inspectCertificate(input: string | Buffer, opts: { now?: Date } = {}): CertificateInfo {
  const items = certificateItems(decodeInput(input));
  return parseCertificateAt(items[0].der, opts.now ?? new Date(), 0, 1).info;
}

/** A certificate parsed once: its info, plus what chain checks need (Node's object on demand). */
export interface ParsedCertificate extends ChainCertificate {
  der: Buffer;
  info: CertificateInfo;
}

function parseCertificateAt(der: Buffer, now: Date, index: number, count: number): ParsedCertificate {
  try {
    return parseCertificate(der, now);
  } catch (err) {
    const which = count > 1 ? `certificate ${index + 1}` : 'the certificate';
    const reason = err instanceof CertflowError ? `: ${err.message}` : '';
    throw new CertflowError('CERT_INVALID', `${which} could not be read: it is damaged or incomplete${reason}`);
  }
}

/** Parses DER into a ParsedCertificate (throws on anything that is not an X.509 certificate). */
export function parseCertificate(der: Buffer, now: Date = new Date()): ParsedCertificate {
  const decoded = asn1js.fromBER(der, { parseEmbedded: false, copyInput: false });
  if (decoded.offset === -1 || decoded.offset !== der.length) throw new CertflowError('CERT_INVALID', 'not DER');
  const [tbs, signatureAlgorithm] = kids(decoded.result);
  const fields = kids(tbs);
  let at = 0;
  let version = 1;
  if (isContext(fields[0], 0)) {
    version = bigOf(kids(fields[0])[0]) + 1;
    at = 1;
  }
  const [serial, , issuerName, validity, subjectName, spki] = fields.slice(at, at + 6);
  if (!spki || !validity || kids(validity).length !== 2) throw new CertflowError('CERT_INVALID', 'missing fields');
  const extensionsField = fields.slice(at + 6).find((f) => isContext(f, 3));
  const extensions = extensionsField ? kids(kids(extensionsField)[0]) : [];

  const subject = readName(subjectName);
  const issuer = readName(issuerName);
  const notBefore = timeOf(kids(validity)[0]);
  const notAfter = timeOf(kids(validity)[1]);
  const spkiDer = spki.valueBeforeDecodeView;
  const spkiHash = createHash('sha256').update(spkiDer).digest();
  const publicKey = readPublicKey(spki, spkiHash.toString('hex'));
  const ext = readExtensions(extensions);

  const info: CertificateInfo = {
    subject: subject.text,
    subjectFields: subject.fields,
    issuer: issuer.text,
    issuerFields: issuer.fields,
    altNames: ext.altNames,
    serial: serialHex(serial),
    version,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    ...timeFields(notBefore, notAfter, now),
    selfSigned: false,
    isCa: ext.isCa,
    ...(ext.pathLength !== undefined ? { pathLength: ext.pathLength } : {}),
    publicKey,
    signatureAlgorithm: signatureAlgorithmName(oidOf(kids(signatureAlgorithm)[0])),
    keyUsage: ext.keyUsage,
    extendedKeyUsage: ext.extendedKeyUsage,
    ...(ext.subjectKeyIdentifier ? { subjectKeyIdentifier: ext.subjectKeyIdentifier } : {}),
    ...(ext.authorityKeyIdentifier ? { authorityKeyIdentifier: ext.authorityKeyIdentifier } : {}),
    ocspUrls: ext.ocspUrls,
    caIssuersUrls: ext.caIssuersUrls,
    crlDistributionPoints: ext.crlDistributionPoints,
    policies: ext.policies,
    fingerprintSha1: colonHex(createHash('sha1').update(der).digest()),
    fingerprintSha256: colonHex(createHash('sha256').update(der).digest()),
    spkiPin: spkiHash.toString('base64'),
  };
  let node: X509Certificate | undefined;
  let key: KeyObject | undefined;
  const parsed: ParsedCertificate = {
    der,
    info,
    label: labelOf(info),
    subject: info.subject,
    issuer: info.issuer,
    subjectKey: subject.key,
    issuerKey: issuer.key,
    subjectKeyId: info.subjectKeyIdentifier,
    authorityKeyId: info.authorityKeyIdentifier,
    isCa: info.isCa,
    notBefore,
    notAfter,
    fingerprint256: info.fingerprintSha256,
    spkiSha256: publicKey.spkiSha256,
    x509: () => (node ??= openWithOpenSsl(der, parsed.label)),
    publicKey: () => (key ??= parsed.x509().publicKey),
  };
  info.selfSigned = isSelfIssued(parsed);
  return parsed;
}

/** Node's (OpenSSL's) view of the certificate, for signatures and host/key checks. */
function openWithOpenSsl(der: Buffer, label: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new CertflowError('CERT_INVALID', `${label}: OpenSSL cannot read this certificate, so it cannot be checked (it is malformed)`);
  }
}

function timeFields(notBefore: Date, notAfter: Date, now: Date) {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const left = notAfter.getTime() - now.getTime();
  return {
    daysRemaining: Math.floor(left / DAY_MS),
    lifetimeDays: Math.round(lifetime / DAY_MS),
    percentRemaining: lifetime > 0 ? Math.round(Math.min(100, Math.max(0, (left / lifetime) * 100)) * 10) / 10 : 0,
    expired: left < 0,
    notYetValid: now.getTime() < notBefore.getTime(),
  };
}

// ---- ASN.1 tree access (asn1js does the decoding; this only walks its result) -------------------

type Node = asn1js.AsnType & { valueBlock: { value?: unknown; valueHexView?: Uint8Array } };

function kids(node: Node | undefined): Node[] {
  const value = node?.valueBlock.value;
  if (!Array.isArray(value)) throw new CertflowError('CERT_INVALID', 'unexpected structure');
  return value as Node[];
}

function isContext(node: Node | undefined, tag: number): boolean {
  return node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === tag;
}

function oidOf(node: Node | undefined): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw new CertflowError('CERT_INVALID', 'expected an OID');
  return node.getValue();
}

function bytesOf(node: Node | undefined): Buffer {
  const view = node?.valueBlock.valueHexView;
  if (!view) throw new CertflowError('CERT_INVALID', 'expected a primitive value');
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function bigOf(node: Node): number {
  return bytesOf(node).reduce((n, b) => n * 256 + b, 0);
}

/** RFC 5280 times: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ; OpenSSL refuses others ("Bad time value"). */
const UTC_TIME = /^\d{12}Z$/;
const GENERALIZED_TIME = /^\d{14}Z$/;

function timeOf(node: Node): Date {
  // asn1js's GeneralizedTime is a subclass of its UTCTime: ask for it first
  const isUtc = !(node instanceof asn1js.GeneralizedTime) && node instanceof asn1js.UTCTime;
  if (!isUtc && !(node instanceof asn1js.GeneralizedTime)) throw new CertflowError('CERT_INVALID', 'expected a time');
  const text = bytesOf(node).toString('latin1');
  const date = (isUtc ? UTC_TIME : GENERALIZED_TIME).test(text) ? node.toDate() : undefined;
  if (!date || Number.isNaN(date.getTime()) || !validFields(text.slice(isUtc ? 2 : 4))) {
    throw new CertflowError('CERT_INVALID', `its validity time "${text.replace(/[^\x20-\x7e]/g, '?').slice(0, 24)}" is not a valid ${isUtc ? 'UTCTime (YYMMDDHHMMSSZ)' : 'GeneralizedTime (YYYYMMDDHHMMSSZ)'}`);
  }
  return date;
}

/** MMDDHHMMSS within range (asn1js turns month 13 into next January). */
function validFields(mmddhhmmss: string): boolean {
  const [month, day, hour, minute, second] = (mmddhhmmss.match(/\d\d/g) ?? []).map(Number);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * The serial's value in hex as OpenSSL prints it: DER's sign byte (a leading 00 before a high
 * bit) is not part of it, and a negative serial (two's complement) is "-" and its magnitude.
 */
function serialHex(node: Node): string {
  const bytes = bytesOf(node);
  if (bytes.length > 0 && bytes[0] & 0x80) {
    const magnitude = (1n << BigInt(bytes.length * 8)) - BigInt(`0x${bytes.toString('hex')}`);
    let hex = magnitude.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    return `-${hex}`;
  }
  const value = bytes.length > 1 && bytes[0] === 0 ? bytes.subarray(1) : bytes;
  return value.toString('hex');
}

function colonHex(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

// ---- names --------------------------------------------------------------------------------------

/** OpenSSL's short names for the attributes seen in practice. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '2.5.4.9': 'street', '2.5.4.12': 'title', '2.5.4.4': 'SN', '2.5.4.42': 'GN',
  '2.5.4.43': 'initials', '2.5.4.44': 'generationQualifier', '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym',
  '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '2.5.4.13': 'description', '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID', '1.2.840.113549.1.9.1': 'emailAddress',
  '2.5.4.45': 'x500UniqueIdentifier', '2.5.4.16': 'postalAddress', '2.5.4.41': 'name',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL', '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

interface ReadName {
  /** "C=US, O=Example, CN=example.com" in the order the certificate encodes. */
  text: string;
  fields: Record<string, string | string[]>;
  /** For comparing names: case and runs of spaces ignored. */
  key: string;
}

function readName(node: Node | undefined): ReadName {
  const rdns: string[] = [];
  const fields: Record<string, string | string[]> = {};
  for (const rdn of kids(node)) {
    const parts: string[] = [];
    for (const attribute of kids(rdn)) {
      const [type, value] = kids(attribute);
      const oid = oidOf(type);
      const name = ATTRIBUTE_NAMES[oid] ?? oid;
      const text = value instanceof asn1js.BaseStringBlock ? value.getValue() : `#${Buffer.from(value.valueBeforeDecodeView).toString('hex')}`;
      parts.push(`${name}=${escapeRdnValue(text)}`);
      const existing = fields[name];
      fields[name] = existing === undefined ? text : Array.isArray(existing) ? [...existing, text] : [existing, text];
    }
    rdns.push(parts.join('+'));
  }
  const text = rdns.join(', ');
  return { text, fields, key: text.toLowerCase().replace(/\s+/g, ' ') };
}

/** RFC 4514 escaping, so a comma inside a value cannot be read as a separator. */
function escapeRdnValue(value: string): string {
  return value.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

/** 'CN=example.com', else the full subject, else the first alternative name. */
function labelOf(info: CertificateInfo): string {
  const cn = info.subjectFields.CN;
  if (cn !== undefined) return `CN=${Array.isArray(cn) ? cn[0] : cn}`;
  if (info.subject) return info.subject;
  return info.altNames[0] ? `${info.altNames[0].type}:${info.altNames[0].value}` : `serial ${info.serial}`;
}

// ---- public key ----------------------------------------------------------------------------

const CURVES: Record<string, { name: string; bits: number }> = {
  '1.2.840.10045.3.1.7': { name: 'P-256', bits: 256 },
  '1.3.132.0.34': { name: 'P-384', bits: 384 },
  '1.3.132.0.35': { name: 'P-521', bits: 521 },
  '1.3.132.0.10': { name: 'secp256k1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.7': { name: 'brainpoolP256r1', bits: 256 },
  '1.3.36.3.3.2.8.1.1.11': { name: 'brainpoolP384r1', bits: 384 },
  '1.3.36.3.3.2.8.1.1.13': { name: 'brainpoolP512r1', bits: 512 },
};

function readPublicKey(spki: Node, spkiSha256: string): PublicKeyInfo {
  const [algorithm, bitString] = kids(spki);
  const [oidNode, params] = kids(algorithm);
  const oid = oidOf(oidNode);
  switch (oid) {
    case '1.2.840.113549.1.1.1':
    case '1.2.840.113549.1.1.10': {
      const type = oid.endsWith('.1') ? 'RSA' : 'RSA-PSS';
      const bits = rsaModulusBits(bitString);
      return { type, bits, label: `${type} ${bits}`, spkiSha256 };
    }
    case '1.2.840.10045.2.1': {
      const curveOid = params instanceof asn1js.ObjectIdentifier ? params.getValue() : 'explicit parameters';
      const curve = CURVES[curveOid] ?? { name: curveOid, bits: spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView)) };
      return { type: 'EC', bits: curve.bits, curve: curve.name, label: `EC ${curve.name}`, spkiSha256 };
    }
    case '1.3.101.112':
      return { type: 'Ed25519', bits: 256, label: 'Ed25519', spkiSha256 };
    case '1.3.101.113':
      return { type: 'Ed448', bits: 456, label: 'Ed448', spkiSha256 };
    case '1.3.101.110':
      return { type: 'X25519', bits: 256, label: 'X25519', spkiSha256 };
    case '1.3.101.111':
      return { type: 'X448', bits: 448, label: 'X448', spkiSha256 };
    case '1.2.840.10040.4.1': {
      const bits = spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView));
      return { type: 'DSA', bits, label: `DSA ${bits || ''}`.trim(), spkiSha256 };
    }
    case '1.2.840.10046.2.1':
    case '1.2.840.113549.1.3.1': {
      const bits = spkiKeyBits(Buffer.from(spki.valueBeforeDecodeView));
      return { type: 'DH', bits, label: `DH ${bits || ''}`.trim(), spkiSha256 };
    }
    default:
      return { type: oid, bits: 0, label: `key ${oid}`, spkiSha256 };
  }
}

function rsaModulusBits(bitString: Node): number {
  const inner = asn1js.fromBER(bytesOf(bitString), { parseEmbedded: false, copyInput: false });
  const modulus = bytesOf(kids(inner.result)[0]);
  let first = 0;
  while (first < modulus.length - 1 && modulus[first] === 0) first++;
  return (modulus.length - first) * 8 - Math.clz32(modulus[first]) + 24;
}

// ---- signature algorithm --------------------------------------------------------------------

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
};

function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
}

// ---- extensions ---------------------------------------------------------------------------------

const EXTENDED_KEY_USAGES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth', '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.5': 'ipsecEndSystem', '1.3.6.1.5.5.7.3.6': 'ipsecTunnel', '1.3.6.1.5.5.7.3.7': 'ipsecUser',
  '1.3.6.1.5.5.7.3.17': 'ipsecIKE', '2.5.29.37.0': 'anyExtendedKeyUsage', '1.3.6.1.4.1.311.10.3.3': 'msSGC',
  '2.16.840.1.113730.4.1': 'nsSGC', '1.3.6.1.5.5.7.3.31': 'bimi',
};
const KEY_USAGES: [number, string][] = [
  [1, 'digitalSignature'], [2, 'nonRepudiation'], [4, 'keyEncipherment'], [8, 'dataEncipherment'], [16, 'keyAgreement'],
  [32, 'keyCertSign'], [64, 'cRLSign'], [128, 'encipherOnly'], [256, 'decipherOnly'],
];

/** The fields of CertificateInfo that come from extensions. */
type ExtensionFacts = Pick<
  CertificateInfo,
  | 'altNames' | 'isCa' | 'pathLength' | 'keyUsage' | 'extendedKeyUsage' | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier' | 'ocspUrls' | 'caIssuersUrls' | 'crlDistributionPoints' | 'policies'
>;

/** One reader per extension: raw Extension DER in, the facts it states out. */
const EXTENSION_READERS: Record<string, (raw: BufferSource, value: Buffer) => Partial<ExtensionFacts>> = {
  '2.5.29.19': (raw) => {
    const e = new x509.BasicConstraintsExtension(raw);
    return { isCa: e.ca, ...(e.pathLength !== undefined ? { pathLength: e.pathLength } : {}) };
  },
  '2.5.29.15': (raw) => {
    const usages = new x509.KeyUsagesExtension(raw).usages;
    return { keyUsage: KEY_USAGES.filter(([bit]) => usages & bit).map(([, name]) => name) };
  },
  '2.5.29.37': (raw) => ({ extendedKeyUsage: Array.from(new x509.ExtendedKeyUsageExtension(raw).usages, ((u) => EXTENDED_KEY_USAGES[String(u)] ?? String(u))) }),
  '2.5.29.35': (raw) => {
    const keyId = new x509.AuthorityKeyIdentifierExtension(raw).keyId;
    return keyId ? { authorityKeyIdentifier: colonHex(Buffer.from(keyId, 'hex')) } : {};
  },
  '1.3.6.1.5.5.7.1.1': (raw) => {
    const e = new x509.AuthorityInfoAccessExtension(raw);
    return { ocspUrls: urlsOf(Array.from(e.ocsp)), caIssuersUrls: urlsOf(Array.from(e.caIssuers)) };
  },
  '2.5.29.31': (raw) => {
    const e = new x509.CRLDistributionPointsExtension(raw);
    const urls = Array.from(e.distributionPoints).flatMap((p) => p.distributionPoint?.fullName ?? []).map((n) => n.uniformResourceIdentifier).filter((u): u is string => !!u);
    return { crlDistributionPoints: urls };
  },
  '2.5.29.32': (raw) => ({ policies: [...new x509.CertificatePolicyExtension(raw).policies] }),
  // The two that differ in every certificate are read straight from the tree: no memo would help.
  '2.5.29.14': (_raw, value) => ({ subjectKeyIdentifier: colonHex(bytesOf(innerOf(value))) }),
  '2.5.29.17': (_raw, value) => ({ altNames: readGeneralNames(innerOf(value)) }),
};
const NOT_MEMOIZED = new Set(['2.5.29.14', '2.5.29.17']);

// Certificates from one CA share most extension bytes (AKI, AIA, CRL, policies, usages).
const extensionMemo = new Map<string, Partial<ExtensionFacts>>();
const EXTENSION_MEMO_LIMIT = 4096;

function readExtensions(extensions: Node[]): ExtensionFacts {
  const facts: ExtensionFacts = { altNames: [], isCa: false, keyUsage: [], extendedKeyUsage: [], ocspUrls: [], caIssuersUrls: [], crlDistributionPoints: [], policies: [] };
  for (const extension of extensions) {
    const parts = kids(extension);
    const oid = oidOf(parts[0]);
    const reader = EXTENSION_READERS[oid];
    if (!reader) continue;
    const value = bytesOf(parts[parts.length - 1]);
    let found: Partial<ExtensionFacts> | undefined;
    if (NOT_MEMOIZED.has(oid)) {
      found = readSafely(oid, () => reader(extension.valueBeforeDecodeView as Uint8Array<ArrayBuffer>, value));
    } else {
      const memoKey = `${oid} ${value.toString('latin1')}`;
      found = extensionMemo.get(memoKey);
      if (!found) {
        found = readSafely(oid, () => reader(extension.valueBeforeDecodeView as Uint8Array<ArrayBuffer>, value));
        if (extensionMemo.size >= EXTENSION_MEMO_LIMIT) extensionMemo.clear();
        extensionMemo.set(memoKey, found);
      }
    }
    // memoized facts are shared between certificates: each result gets its own arrays
    for (const [name, value] of Object.entries(found)) (facts as unknown as Record<string, unknown>)[name] = Array.isArray(value) ? [...value] : value;
  }
  return facts;
}

function readSafely(oid: string, read: () => Partial<ExtensionFacts>): Partial<ExtensionFacts> {
  try {
    return read();
  } catch {
    throw new CertflowError('CERT_INVALID', `its extension ${oid} is malformed`);
  }
}

function innerOf(value: Buffer): Node {
  const decoded = asn1js.fromBER(value, { parseEmbedded: false, copyInput: false });
  if (decoded.offset === -1) throw new CertflowError('CERT_INVALID', 'malformed extension');
  return decoded.result;
}

function urlsOf(names: { type: string; value: string }[]): string[] {
  return names.filter((n) => n.type === 'url').map((n) => n.value);
}

/** GeneralNames: [1] rfc822Name, [2] dNSName, [6] URI, [7] iPAddress; other forms are skipped. */
function readGeneralNames(sequence: Node): AltName[] {
  const names: AltName[] = [];
  for (const name of kids(sequence)) {
    if (name.idBlock.tagClass !== 3) continue;
    const bytes = name.idBlock.isConstructed ? undefined : bytesOf(name);
    if (!bytes) continue;
    switch (name.idBlock.tagNumber) {
      case 1: names.push({ type: 'email', value: ia5Text(bytes) }); break;
      case 2: names.push({ type: 'dns', value: ia5Text(bytes) }); break;
      case 6: names.push({ type: 'uri', value: ia5Text(bytes) }); break;
      case 7: names.push({ type: 'ip', value: ipText(bytes) }); break;
      default: break;
    }
  }
  return names;
}

/**
 * An IA5String name as text. It should be ASCII; some CAs put UTF-8 in it, which OpenSSL prints
 * as the bytes (so a UTF-8 terminal shows the word): read it as UTF-8 when it is valid UTF-8.
 */
function ia5Text(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** 4 bytes as dotted IPv4, 16 bytes as RFC 5952 IPv6 ('2001:db8::1'). */
function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return bytes.toString('hex');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

// ---- checks ---------------------------------------------------------------------------------

function hostMatches(cert: ParsedCertificate, host: string): boolean {
  const name = host.trim().replace(/^\[|\]$/g, '');
  return isIP(name) ? cert.x509().checkIP(name) !== undefined : cert.x509().checkHost(name) !== undefined;
}

function namesOf(info: CertificateInfo): string {
  const names = info.altNames.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
  if (names.length === 0) return info.subjectFields.CN ? String(info.subjectFields.CN) : 'no host name';
  return names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
}

function certificateWarnings(certs: ParsedCertificate[], warnDays: number): string[] {
  const warnings: string[] = [];
  for (const cert of certs) {
    const info = cert.info;
    if ((info.publicKey.type === 'RSA' || info.publicKey.type === 'RSA-PSS') && info.publicKey.bits < 2048) {
      warnings.push(`${cert.label} has a weak RSA ${info.publicKey.bits} key: use at least 2048 bits`);
    }
    if (/sha1|SHA1|md5/.test(info.signatureAlgorithm) && !info.selfSigned) {
      warnings.push(`${cert.label} is signed with ${info.signatureAlgorithm}, which clients reject: reissue it with SHA-256`);
    }
    if (!info.isCa && info.lifetimeDays > MAX_LEAF_LIFETIME_DAYS) {
      warnings.push(`${cert.label} is valid for ${info.lifetimeDays} days, more than the ${MAX_LEAF_LIFETIME_DAYS} browsers accept for a server certificate`);
    }
    if (!info.expired && !info.notYetValid && info.daysRemaining < warnDays) {
      warnings.push(`${cert.label} expires in ${plural(info.daysRemaining, 'day')} (${info.notAfter.slice(0, 10)})`);
    }
  }
  return warnings;
}

// ---- trust anchors ----------------------------------------------------------------------------

let systemAnchors: TrustAnchor[] | undefined;

/** Node's bundled root store (the Mozilla list), parsed once. */
function systemTrustAnchors(): TrustAnchor[] {
  if (!systemAnchors) {
    systemAnchors = [];
    for (const pem of rootCertificates) {
      try {
        systemAnchors.push({ ...parseCertificate(decodeInput(pem)[0].der), source: 'system' });
      } catch {
        // a root our reader cannot decode cannot anchor anything we read either
      }
    }
  }
  return systemAnchors;
}

function trustAnchorsFor(opts: InspectOptions, items: DecodedItem[]): TrustAnchorSet {
  const choice = opts.trustAnchors ?? 'system';
  const given = choice === 'system' ? 'system' : choice === 'none' ? 'none' : 'given';
  const set = new TrustAnchorSet(given);
  if (given === 'system') for (const anchor of systemTrustAnchors()) set.add(anchor);
  if (given === 'given') {
    const pems = Array.isArray(choice) ? choice : [choice];
    for (const item of decodeInput(pems.join('\n'), { source: 'the trust anchors' }).filter((i) => i.kind === 'certificate')) {
      set.add({ ...parseCertificate(item.der), source: 'given' });
    }
  }
  // A bundle's `ca` is the root its owner trusts (e.g. a local CA): it anchors that bundle.
  if (given !== 'none') {
    for (const item of items.filter((i) => i.kind === 'certificate' && i.field === 'ca')) set.add({ ...parseCertificate(item.der), source: 'bundle' });
  }
  return set;
}

// ---- summary ------------------------------------------------------------------------------------

function summarize(result: InspectResult, leaf: ParsedCertificate | undefined): string {
  const parts: string[] = [];
  if (leaf) {
    const info = leaf.info;
    parts.push(`${result.kind === 'pkcs12' ? 'PKCS#12: ' : ''}${leaf.label}`);
    const date = info.notAfter.slice(0, 10);
    if (info.expired) parts.push(info.daysRemaining === -1 ? `EXPIRED today (${date})` : `EXPIRED ${plural(-info.daysRemaining - 1, 'day')} ago (${date})`);
    else if (info.notYetValid) parts.push(`not valid before ${info.notBefore.slice(0, 10)}`);
    else parts.push(info.daysRemaining === 0 ? `expires today (${date})` : `expires in ${plural(info.daysRemaining, 'day')} (${date})`);
    if (info.selfSigned) parts.push('self-signed');
    else parts.push(`issued by ${info.issuerFields.CN ? [info.issuerFields.CN].flat()[0] : info.issuer}`);
    if (result.chain) parts.push(result.chain.summary);
  } else if (result.csr) {
    const csr = result.csr;
    const names = csr.altNames.map((n) => n.value);
    parts.push(`CSR for ${csr.subjectString || names[0] || 'no name'}${names.length ? ` (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})` : ''}`);
    parts.push(csr.publicKey.label);
    parts.push(csr.signatureValid ? 'signature valid' : 'SIGNATURE INVALID');
  } else if (result.key) {
    parts.push(`${result.key.isPrivate ? 'private' : 'public'} key ${result.key.label}`);
  }
  const checks = result.checks;
  if (checks.host) parts.push(checks.host.matches ? `valid for ${checks.host.name}` : `WRONG HOST ${checks.host.name}`);
  if (checks.keyMatchesCertificate !== undefined) parts.push(checks.keyMatchesCertificate ? 'key matches' : 'KEY DOES NOT MATCH');
  // problems the parts above do not already say
  const otherProblems = result.problems
    .filter((p) => !result.chain || !result.chain.problems.includes(p))
    .filter((p) => !/^wrong host|^the private key/.test(p))
    .filter((p) => !leaf || !(p.startsWith(`${leaf.label} expired on`) || p.startsWith(`${leaf.label} is not valid before`)));
  if (otherProblems.length) parts.push(otherProblems[0]);
  if (result.warnings.length) parts.push(plural(result.warnings.length, 'warning'));
  return parts.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

