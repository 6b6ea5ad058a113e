/**
 * Certificate signing requests (PKCS#10): what you send a CA so it certifies your public key
 * for some names. Built and parsed with @peculiar/x509, signed with the user's key through
 * Node's native WebCrypto.
 */
import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { CertflowError } from '../errors';
import { textOf } from '../guards';
import { checkSize, INPUT_LIMITS } from '../limits';
import { scanPem } from '../inspect/pem-blocks';
import { childrenOf, DerError, decodeDerStrict, oidValue, readDer, type DerNode } from './der';
import { describeKey, KeyDescription, loadPrivateKey, signingAlgorithmFor, toCryptoKeyPair } from './keys';
import { AltName, classifyAltName, dedupeAltNames, parseAltNames, AltNamesInput, validateEmail, validateIpAddress } from './names';
import { x509 } from './x509';

export interface Subject {
  CN?: string;
  O?: string;
  OU?: string;
  C?: string;
  ST?: string;
  L?: string;
  emailAddress?: string;
}

export interface ParsedCsr {
  subject: Subject;
  /** RFC 4514 style, as the request encodes it: "CN=example.com, O=Example". */
  subjectString: string;
  altNames: AltName[];
  publicKey: KeyDescription;
  publicKeyPem: string;
  /** OpenSSL's name: 'ecdsa-with-SHA256', 'sha256WithRSAEncryption', 'ED25519'... */
  signatureAlgorithm: string;
  /** Whether the request is signed by the private key of the public key it carries (untampered). */
  signatureValid: boolean;
  pem: string;
}

export interface CreateCsrOptions {
  key: KeyObject | string | Buffer;
  passphrase?: string;
  subject?: Subject | string;
  altNames?: AltNamesInput;
}

// Attribute order follows OpenSSL's habit (C, ST, L, O, OU, CN, emailAddress).
const SUBJECT_FIELDS: { field: keyof Subject; oid: string; maxLength: number; aliases: string[] }[] = [
  { field: 'C', oid: '2.5.4.6', maxLength: 2, aliases: ['countryName', 'country'] },
  { field: 'ST', oid: '2.5.4.8', maxLength: 128, aliases: ['stateOrProvinceName', 'state', 'S'] },
  { field: 'L', oid: '2.5.4.7', maxLength: 128, aliases: ['localityName', 'locality'] },
  { field: 'O', oid: '2.5.4.10', maxLength: 64, aliases: ['organizationName', 'organization'] },
  { field: 'OU', oid: '2.5.4.11', maxLength: 64, aliases: ['organizationalUnitName', 'organizationalUnit'] },
  { field: 'CN', oid: '2.5.4.3', maxLength: 64, aliases: ['commonName'] },
  { field: 'emailAddress', oid: '1.2.840.113549.1.9.1', maxLength: 255, aliases: ['E', 'email', 'Email'] },
];
const FIELD_BY_NAME = new Map<string, keyof Subject>();
for (const { field, aliases } of SUBJECT_FIELDS) {
  for (const name of [field, ...aliases]) FIELD_BY_NAME.set(name.toLowerCase(), field);
}
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/**
 * Checks and tidies a subject: known fields only (long names like commonName accepted), C is two
 * letters, lengths within RFC 5280's limits, emailAddress a valid address. A text like
 * "CN=example.com, O=Example" or OpenSSL's "/CN=example.com/O=Example" is accepted too.
 */
export function normalizeSubject(input: Subject | string | undefined | null): Subject {
  if (input === undefined || input === null || input === '') return {};
  if (typeof input !== 'string' && (typeof input !== 'object' || Array.isArray(input))) {
    throw new CertflowError(
      'SUBJECT_INVALID',
      'the subject must be an object like {CN: "example.com", O: "Example"} or a text like "CN=example.com, O=Example"',
    );
  }
  const entries: [string, unknown][] = typeof input === 'string' ? parseSubjectText(input) : Object.entries(input);
  const subject: Subject = {};
  for (const [name, raw] of entries) {
    if (raw === undefined || raw === null || textOf(raw).trim() === '') continue;
    const field = FIELD_BY_NAME.get(name.toLowerCase());
    if (!field) {
      throw new CertflowError('SUBJECT_INVALID', `unknown subject field "${name}": use CN, O, OU, C, ST, L or emailAddress`);
    }
    const value = textOf(raw).trim();
    const { maxLength } = SUBJECT_FIELDS.find((f) => f.field === field)!;
    if (field === 'C') {
      if (!/^[A-Za-z]{2}$/.test(value))
        throw new CertflowError('SUBJECT_INVALID', `"${value}" is not a valid country (C): use a two-letter code like DE or US`);
      subject.C = value.toUpperCase();
      continue;
    }
    if (value.length > maxLength) throw new CertflowError('SUBJECT_INVALID', `the subject ${field} is longer than ${maxLength} characters`);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point of this check
    if (/[\x00-\x1f\x7f]/.test(value)) throw new CertflowError('SUBJECT_INVALID', `the subject ${field} contains control characters`);
    subject[field] = field === 'emailAddress' ? validateEmail(value) : value;
  }
  return subject;
}

function parseSubjectText(text: string): [string, string][] {
  const trimmed = text.trim();
  // OpenSSL's "-subj" form: /CN=a/O=b ; otherwise RFC 4514 style: CN=a, O=b (\, escapes a comma)
  const parts = trimmed.startsWith('/') ? trimmed.slice(1).split(/(?<!\\)\//) : trimmed.split(/(?<!\\)[,+]/);
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new CertflowError('SUBJECT_INVALID', `"${part}" in the subject is not NAME=value (like CN=example.com)`);
      return [
        part.slice(0, eq).trim(),
        part
          .slice(eq + 1)
          .trim()
          .replace(/\\(.)/g, '$1'),
      ] as [string, string];
    });
}

/** The subject as @peculiar/x509 builds a Name from: one RDN per field, explicit string types. */
export function subjectToX509Name(subject: Subject): InstanceType<typeof x509.Name> {
  const rdns: Record<string, { printableString?: string; utf8String?: string; ia5String?: string }[]>[] = [];
  for (const { field, oid } of SUBJECT_FIELDS) {
    const value = subject[field];
    if (value === undefined) continue;
    const encoded = field === 'emailAddress' ? { ia5String: value } : PRINTABLE.test(value) ? { printableString: value } : { utf8String: value };
    rdns.push({ [oid]: [encoded] });
  }
  return new x509.Name(rdns);
}

/** Reads a parsed Name back into a Subject (first value of each known field). */
export function subjectFromX509Name(name: InstanceType<typeof x509.Name>): Subject {
  const subject: Subject = {};
  for (const { field, oid } of SUBJECT_FIELDS) {
    const values = name.getField(oid);
    if (values.length > 0) subject[field] = values.join(', ');
  }
  return subject;
}

/**
 * The CN as an alternative name when it is one (host name, IP, e-mail), so modern clients,
 * which ignore the CN, see it. A CN like "My Device" is a label, not a name: it stays in the
 * subject only. A CN that tries to be a host name but is malformed is a clear error.
 */
export function altNameFromCommonName(cn: string | undefined): AltName | undefined {
  if (!cn) return undefined;
  const looksLikeName = /[.:@]/.test(cn) || !/\s/.test(cn);
  if (!looksLikeName) return undefined;
  try {
    return classifyAltName(cn);
  } catch (err) {
    if (/[.:@]/.test(cn)) throw err;
    return undefined;
  }
}

/** A PKCS#10 CSR (PEM) for the key's public half, signed with the key. CN also goes into the SANs. */
export async function createCsr(options: CreateCsrOptions): Promise<string> {
  if (!options || options.key === undefined || options.key === null || options.key === '') {
    throw new CertflowError('KEY_MISSING', 'a private key is needed to create a CSR');
  }
  const key = loadPrivateKey(options.key, options.passphrase);
  const subject = normalizeSubject(options.subject);
  const fromCn = altNameFromCommonName(subject.CN);
  const altNames = dedupeAltNames([...(fromCn ? [fromCn] : []), ...parseAltNames(options.altNames)]);
  if (!subject.CN && altNames.length === 0) {
    throw new CertflowError('CSR_NO_NAMES', 'a CSR needs a common name (CN) or at least one alternative name (DNS name, IP, e-mail or URI)');
  }
  const keys = await toCryptoKeyPair(key);
  const emptySubject = Object.keys(subject).length === 0;
  const extensions = altNames.length
    ? [new x509.SubjectAlternativeNameExtension(toGeneralNames(altNames), emptySubject /* RFC 5280: critical when the subject is empty */)]
    : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectToX509Name(subject),
    keys,
    signingAlgorithm: signingAlgorithmFor(key),
    extensions,
  });
  return withNewline(csr.toString('pem'));
}

/** @peculiar/x509's JSON form of alternative names ('uri' is 'url' there). */
export function toGeneralNames(altNames: AltName[]): { type: 'dns' | 'ip' | 'email' | 'url'; value: string }[] {
  return altNames.map((name) => ({ type: name.type === 'uri' ? 'url' : name.type, value: name.value }));
}

/** Alternative names from a SubjectAlternativeNameExtension; kinds other than the four are left out. */
export function altNamesFromExtension(extension: InstanceType<typeof x509.SubjectAlternativeNameExtension> | null | undefined): AltName[] {
  if (!extension) return [];
  const names: AltName[] = [];
  for (const item of extension.names.items) {
    if (item.type === 'dns') names.push({ type: 'dns', value: item.value });
    else if (item.type === 'email') names.push({ type: 'email', value: item.value });
    else if (item.type === 'url') names.push({ type: 'uri', value: item.value });
    else if (item.type === 'ip') {
      let value = item.value;
      try {
        value = validateIpAddress(item.value);
      } catch {
        // keep what the certificate says (e.g. an address with a netmask in a name constraint)
      }
      names.push({ type: 'ip', value });
    }
  }
  return names;
}

/** Reads a CSR (PEM, DER or base64) back: subject, names, key, and whether its signature is good. */
export async function parseCsr(input: string | Buffer): Promise<ParsedCsr> {
  const csr = readCsr(input);
  // @peculiar/x509 decodes parts on first use: each is read here, inside one boundary, so a
  // malformed part is our clear error naming that part, never a raw ASN.1 message
  const publicKey = readPart('public key', () => createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }));
  const signatureValid = await verifyCsrSignature(csr, publicKey);
  return readPart('subject or extensions', () => ({
    subject: subjectFromX509Name(csr.subjectName),
    subjectString: csr.subject,
    altNames: altNamesFromExtension(sanExtensionOf(csr)),
    publicKey: describeKey(publicKey),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    signatureAlgorithm: signatureAlgorithmName(csr),
    signatureValid,
    pem: withNewline(csr.toString('pem')),
  }));
}

function readPart<T>(part: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CertflowError) throw err;
    throw new CertflowError('CSR_INVALID', `the CSR could not be read: its ${part} is malformed`, undefined, { cause: err });
  }
}

/** Node's name of the hash in each signature algorithm node:crypto verifies (null: none, EdDSA). */
const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.14.3.2.29': 'sha1', // sha1WithRSASignature, an old alias
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/**
 * Whether the CSR is signed by the private key of the public key it carries. Checked with
 * node:crypto's verify (async, OpenSSL: RSA, ECDSA, DSA, EdDSA) over the request's signed bytes
 * as received; RSA-PSS, which needs its parameters, goes through @peculiar/x509's verify().
 */
export async function verifyCsrSignature(csr: InstanceType<typeof x509.Pkcs10CertificateRequest>, publicKey?: KeyObject): Promise<boolean> {
  try {
    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
    const [info, algorithm, signature] = childrenOf(readDer(new Uint8Array(csr.rawData)).node);
    const oid = oidValue(childrenOf(algorithm)[0]);
    const hash = oid === undefined ? undefined : SIGNATURE_HASHES[oid];
    if (hash === undefined) return await csr.verify();
    if (signature?.idBlock.tagNumber !== 3 || signature.valueBlock.valueHexView === undefined) return false;
    const tbs = info.valueBeforeDecodeView;
    const signatureBytes = signature.valueBlock.valueHexView;
    const key = publicKey ?? createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    return await new Promise<boolean>((resolve) => {
      verify(hash, tbs, key, signatureBytes, (err, ok) => resolve(!err && ok));
    });
  } catch {
    return false; // a damaged signature or key, or an algorithm nobody here can check
  }
}

const SAN_OID = '2.5.29.17';

/** The SAN extension of a CSR (from its extensionRequest attribute) or a certificate. */
export function sanExtensionOf(item: {
  extensions: InstanceType<typeof x509.Extension>[];
  rawData?: ArrayBuffer;
}): InstanceType<typeof x509.SubjectAlternativeNameExtension> | undefined {
  let extensions: InstanceType<typeof x509.Extension>[];
  try {
    extensions = item.extensions;
  } catch (err) {
    // @peculiar/x509 reads every CSR attribute with its schema and gives up on one it cannot
    // (an odd challengePassword); OpenSSL reads the others: take the extensionRequest alone
    if (!item.rawData) throw err;
    extensions = extensionRequestOf(item.rawData);
  }
  const extension = extensions.find((e) => e.type === SAN_OID);
  if (!extension) return undefined;
  return extension instanceof x509.SubjectAlternativeNameExtension ? extension : new x509.SubjectAlternativeNameExtension(extension.rawData);
}

const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

/** The extensions in a CSR's extensionRequest attribute, read from the DER without the other attributes. */
function extensionRequestOf(raw: ArrayBuffer): InstanceType<typeof x509.Extension>[] {
  // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] IMPLICIT SET OF Attribute }
  const kids = (node: DerNode | undefined): DerNode[] => {
    const value = node?.valueBlock.value;
    if (!Array.isArray(value)) throw new CertflowError('CSR_INVALID', 'the CSR could not be read: its attributes are malformed');
    return value;
  };
  let root: DerNode;
  try {
    root = decodeDerStrict(new Uint8Array(raw));
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    throw new CertflowError('CSR_INVALID', 'the CSR could not be read: it is damaged or incomplete', undefined, { cause: err });
  }
  const info = kids(root)[0];
  const attributes = kids(info)[3];
  if (!attributes) return [];
  for (const attribute of kids(attributes)) {
    const [type, values] = kids(attribute);
    if (oidValue(type) !== EXTENSION_REQUEST_OID) continue;
    return kids(kids(values)[0]).map((extension) => new x509.Extension(new Uint8Array(extension.valueBeforeDecodeView)));
  }
  return [];
}

const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

/** The request as @peculiar/x509 object; clear errors for the wrong kind of input. */
export function readCsr(input: string | Buffer): InstanceType<typeof x509.Pkcs10CertificateRequest> {
  if (input === undefined || input === null || (typeof input === 'string' && input.trim() === '') || (Buffer.isBuffer(input) && input.length === 0)) {
    throw new CertflowError('CSR_MISSING', 'no CSR given');
  }
  let data: Buffer;
  if (typeof input === 'string' || (Buffer.isBuffer(input) && input.subarray(0, 64).toString('latin1').includes('-----BEGIN'))) {
    const text = typeof input === 'string' ? input : input.toString('latin1');
    checkSize('the CSR text', text.length, INPUT_LIMITS.totalBytes);
    if (text.includes('-----BEGIN')) {
      const { blocks } = scanPem(text);
      const block = blocks.find((b) => CSR_LABELS.has(b.label) && b.endLabel === b.label);
      if (!block) {
        const label = blocks[0]?.label ?? /-----BEGIN ([A-Z0-9 ]{1,64})-----/.exec(text.slice(0, 4096))?.[1];
        throw new CertflowError(
          'CSR_WRONG_KIND',
          label
            ? `this is not a CSR: expected "CERTIFICATE REQUEST", found "${label}"`
            : 'this is not a CSR: its "CERTIFICATE REQUEST" PEM block is cut off',
        );
      }
      data = Buffer.from(block.body.replace(/\s+/g, ''), 'base64');
    } else data = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  } else if (Buffer.isBuffer(input)) {
    data = input;
  } else {
    throw new CertflowError('CSR_INVALID', 'a CSR must be PEM text or a Buffer');
  }
  checkSize('the CSR', data.length, INPUT_LIMITS.csrBytes);
  try {
    return new x509.Pkcs10CertificateRequest(new Uint8Array(data));
  } catch (err) {
    throw new CertflowError('CSR_INVALID', 'the CSR could not be read: it is damaged or incomplete', undefined, { cause: err });
  }
}

/** Algorithms @peculiar/x509 leaves as an OID, by OpenSSL's name. */
const OPENSSL_SIGNATURE_NAMES: Record<string, string> = {
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
};

const HASH_NAMES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** OpenSSL's name for the signature algorithm of a CSR or certificate object. */
export function signatureAlgorithmName(item: { signatureAlgorithm: { name: string; hash?: unknown } }): string {
  let algorithm: { name: string; hash?: unknown };
  try {
    algorithm = item.signatureAlgorithm;
  } catch {
    return 'unknown';
  }
  const hashName = typeof algorithm.hash === 'string' ? algorithm.hash : (algorithm.hash as { name?: string } | undefined)?.name;
  const hash = hashName ? (HASH_NAMES[hashName] ?? hashName) : undefined;
  switch (algorithm.name) {
    case 'ECDSA':
      return `ecdsa-with-${(hash ?? '').toUpperCase()}`;
    case 'RSASSA-PKCS1-v1_5':
      return `${hash}WithRSAEncryption`;
    case 'RSA-PSS':
      return 'rsassaPss';
    case 'Ed25519':
      return 'ED25519';
    case 'Ed448':
      return 'ED448';
    default:
      return OPENSSL_SIGNATURE_NAMES[algorithm.name] ?? algorithm.name;
  }
}

function withNewline(pem: string): string {
  const unix = pem.replace(/\r\n/g, '\n');
  return unix.endsWith('\n') ? unix : `${unix}\n`;
}
