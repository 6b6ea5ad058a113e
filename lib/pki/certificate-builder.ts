/**
 * Encodes and signs an X.509 certificate: the TBSCertificate is built from @peculiar/asn1-x509
 * schema objects and encoded once with AsnConvert, then signed by node:crypto's async sign on
 * the thread pool. @peculiar/x509's X509CertificateGenerator does the same job, but encodes
 * every extension and name, parses each back, signs through WebCrypto (ECDSA in IEEE P1363
 * form, converted to DER in JavaScript) and parses the finished certificate once more: most of
 * a leaf's cost when a CA signs many of them. The certificate written is the same.
 */
import { sign, type KeyObject } from 'node:crypto';
import { AsnConvert, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Certificate,
  Extension,
  Extensions,
  Name,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { signingAlgorithmFor } from './keys';
import { asnNameOf, x509, type X509Extension, type X509Name } from './x509';

export interface CertificateFields {
  /** Hex, as randomSerialNumber() makes it. */
  serialNumber: string;
  subject: Name;
  issuer: Name;
  notBefore: Date;
  notAfter: Date;
  subjectPublicKeyInfo: SubjectPublicKeyInfo;
  extensions: Extension[];
  /** The issuer's private key. */
  signingKey: KeyObject;
}

/** The signed certificate as PEM (LF line ends, final newline). */
export async function signCertificateFields(fields: CertificateFields): Promise<string> {
  const { algorithmIdentifier, nodeHash } = signatureSchemeOf(fields.signingKey);
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: positiveIntegerOctets(fields.serialNumber),
    signature: algorithmIdentifier,
    issuer: fields.issuer,
    validity: new Validity({ notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject: fields.subject,
    subjectPublicKeyInfo: fields.subjectPublicKeyInfo,
    extensions: new Extensions(fields.extensions),
  });
  // The TBSCertificate's ASN.1 tree is built once: encoded here to be signed, and again (the
  // same tree) inside the certificate, rather than converted from the schema objects twice.
  const tbsTree = AsnSerializer.toASN(tbsCertificate);
  const tbs = new Uint8Array(tbsTree.toBER(false));
  // ECDSA signatures come out DER-encoded (dsaEncoding 'der'): the form X.509 carries.
  const signatureValue = await new Promise<Buffer>((resolve, reject) => {
    sign(nodeHash, tbs, { key: fields.signingKey, dsaEncoding: 'der' }, (err, signature) => (err ? reject(err) : resolve(signature)));
  });
  const der = AsnConvert.serialize(
    new Certificate({
      tbsCertificate: alreadyConverted(tbsTree),
      signatureAlgorithm: algorithmIdentifier,
      signatureValue: new Uint8Array(signatureValue).buffer,
    }),
  );
  return withNewline(x509.PemConverter.encode(der, 'CERTIFICATE'));
}

type AsnTree = ReturnType<typeof AsnSerializer.toASN>;
/** An asn1-schema convertible (toASN/fromASN) that hands over a tree AsnSerializer already built. */
function alreadyConverted(tree: AsnTree): TBSCertificate {
  const convertible = {
    toASN: () => tree,
    fromASN: (): never => {
      throw new Error('an encoded TBSCertificate is write-only');
    },
  };
  return convertible as unknown as TBSCertificate;
}

interface SignatureScheme {
  /** What goes in the certificate's signature fields. */
  algorithmIdentifier: AlgorithmIdentifier;
  /** node:crypto's digest name, or null for Ed25519 (no separate digest). */
  nodeHash: string | null;
}

const NODE_HASHES: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const schemes = new WeakMap<KeyObject, SignatureScheme>();

/**
 * The signature algorithm for the issuer's key (keys.ts's signingAlgorithmFor: ECDSA with the
 * curve's hash, RSA PKCS#1 v1.5 with SHA-256, Ed25519), as @peculiar/x509 names it in ASN.1.
 */
function signatureSchemeOf(key: KeyObject): SignatureScheme {
  let scheme = schemes.get(key);
  if (!scheme) {
    const algorithm = signingAlgorithmFor(key); // throws a clear error for keys that cannot sign
    const algorithmIdentifier = algorithmProvider.toAsnAlgorithm(algorithm);
    scheme = { algorithmIdentifier, nodeHash: algorithm.hash ? NODE_HASHES[algorithm.hash] : null };
    schemes.set(key, scheme);
  }
  return scheme;
}
const algorithmProvider = new x509.AlgorithmProvider();

/** The serial number's octets as a positive INTEGER needs them (what @peculiar/x509 does too). */
function positiveIntegerOctets(hex: string): ArrayBuffer {
  let octets = Buffer.from(hex, 'hex');
  let first = 0;
  while (first < octets.length - 1 && octets[first] === 0) first++;
  octets = octets.subarray(first);
  if (octets.length === 0) octets = Buffer.from([0]);
  if (octets[0] > 0x7f) octets = Buffer.concat([Buffer.from([0]), octets]);
  return new Uint8Array(octets).buffer;
}

// ---- converting from @peculiar/x509 objects ----------------------------------------------

const asnExtensions = new WeakMap<X509Extension, Extension>();
/** An @peculiar/x509 extension as its ASN.1 object (kept per extension: constant ones are reused). */
export function asnExtension(extension: X509Extension): Extension {
  let asn = asnExtensions.get(extension);
  if (!asn) {
    asn = AsnConvert.parse(extension.rawData, Extension);
    asnExtensions.set(extension, asn);
  }
  return asn;
}

/** An @peculiar/x509 Name as its ASN.1 object, the same bytes it encodes to. */
export function asnName(name: X509Name): Name {
  return asnNameOf(name); // x509.ts: its private field, or a round trip through its encoding
}

/** A SubjectPublicKeyInfo from its DER bytes. */
export function asnPublicKeyInfo(spki: BufferSource): SubjectPublicKeyInfo {
  return AsnConvert.parse(spki, SubjectPublicKeyInfo);
}

/** subjectKeyIdentifier extension (non-critical) holding the given key identifier. */
export function subjectKeyIdentifierExtension(keyId: Uint8Array): Extension {
  return new Extension({
    extnID: id_ce_subjectKeyIdentifier,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new SubjectKeyIdentifier(new Uint8Array(keyId).buffer))),
  });
}

function withNewline(pem: string): string {
  const unix = pem.replace(/\r\n/g, '\n');
  return unix.endsWith('\n') ? unix : `${unix}\n`;
}
