/**
 * One certificate's facts (CertificateInfo) from its DER: decoded once by lib/pki/der (our DER
 * reader); Node's X509Certificate (OpenSSL) is made only when a check needs it:
 * signatures, host names, key match.
 */
import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { CertflowError } from '../errors';
import { bigOf, colonHex, decodeDer, isContext, kids, oidOf, serialHex, timeOf } from './asn1-tree';
import { isSelfIssued, type ChainCertificate } from './chain';
import { readName } from './distinguished-name';
import { readExtensions } from './extension-facts';
import { certificateItems, decodeInput } from './pem';
import { readPublicKey, type PublicKeyInfo } from './public-key-facts';
import type { AltName } from '../pki/names';

export type { PublicKeyInfo } from './public-key-facts';

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

const DAY_MS = 24 * 60 * 60 * 1000;

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

export function parseCertificateAt(der: Buffer, now: Date, index: number, count: number): ParsedCertificate {
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
  const [tbs, signatureAlgorithm] = kids(decodeDer(der));
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

/** 'CN=example.com', else the full subject, else the first alternative name. */
function labelOf(info: CertificateInfo): string {
  const cn = info.subjectFields.CN;
  if (cn !== undefined) return `CN=${Array.isArray(cn) ? cn[0] : cn}`;
  if (info.subject) return info.subject;
  return info.altNames[0] ? `${info.altNames[0].type}:${info.altNames[0].value}` : `serial ${info.serial}`;
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
