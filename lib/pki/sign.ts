/**
 * Making certificates: self-signed, CA (root or intermediate), and leaves signed by your own CA
 * from a CSR. Names and extensions come from @peculiar/x509; certificate-builder encodes the
 * certificate once and signs it with node:crypto (async, on the thread pool). What a CA needs
 * for every leaf (its parsed certificate, key, AKI, the constant extensions) is kept, so a CA
 * signs many leaves cheaply.
 */
import { createHash, createPublicKey, KeyObject, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extension as AsnExtension, Extensions as AsnExtensions, Name as AsnName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { asnExtension, asnName, asnPublicKeyInfo, signCertificateFields, subjectKeyIdentifierExtension } from './certificate-builder';
import {
  altNameFromCommonName,
  altNamesFromExtension,
  normalizeSubject,
  readCsr,
  Subject,
  subjectFromX509Name,
  subjectToX509Name,
  toGeneralNames,
  verifyCsrSignature,
} from './csr';
import { CertflowError } from '../errors';
import { describeKey, loadPrivateKey, publicKeyOf } from './keys';
import { nameConstraintsExtension, type NameConstraintsSpec } from './name-constraints';
import { AltName, AltNamesInput, dedupeAltNames, parseAltNames, validateAltName } from './names';
import { requestInfoOf, x509, type X509Extension, type X509Name } from './x509';
import { cachedCertificate, cachedPrivateKey } from './sign-caches';
import { certificateBlocks } from '../inspect/pem-blocks';

type X509Cert = InstanceType<typeof x509.X509Certificate>;
type PublicKeyInput = KeyObject | InstanceType<typeof x509.PublicKey>;
type SanExtension = InstanceType<typeof x509.SubjectAlternativeNameExtension>;
type Csr = InstanceType<typeof x509.Pkcs10CertificateRequest>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore is backdated so a client whose clock is a little behind accepts a fresh certificate. */
const BACKDATE_MS = 60 * 1000;
const MAX_DAYS = 100 * 365;

export interface SelfSignedOptions {
  key: KeyObject | string | Buffer;
  passphrase?: string;
  subject?: Subject | string;
  altNames?: AltNamesInput;
  days?: number;
}

export interface CaCertificateOptions {
  key: KeyObject | string | Buffer;
  passphrase?: string;
  subject: Subject | string;
  days?: number;
  /** How many intermediate CAs may follow below this one (0: it signs leaves only). */
  pathLength?: number;
  /** Given: an intermediate CA signed by this issuer. Absent: a self-signed root. */
  issuer?: { key: KeyObject | string | Buffer; cert: string | Buffer; passphrase?: string };
  /** Limits the names this CA may sign for (a critical nameConstraints extension). */
  nameConstraints?: NameConstraintsSpec;
}

export interface SignCsrOptions {
  csr: string | Buffer;
  caKey: KeyObject | string | Buffer;
  caKeyPassphrase?: string;
  caCert: string | Buffer;
  days?: number;
  serverAuth?: boolean;
  clientAuth?: boolean;
  /** Replace the CSR's alternative names. */
  altNames?: AltNamesInput;
  /** Replace the CSR's subject. */
  subject?: Subject | string;
}

export interface IssueOptions {
  /** The leaf's public key (or its private key: only the public half is used). */
  publicKey: PublicKeyInput;
  subject?: Subject | string | X509Name;
  altNames?: AltName[];
  /** The same key as a KeyObject when the caller has one already (saves a parse). */
  publicKeyObject?: KeyObject;
  /** The CSR's SAN extension when it holds exactly `altNames` (reused rather than re-encoded). */
  sanExtension?: SanExtension;
  ca: { key: KeyObject; cert: X509Cert | string | Buffer };
  days?: number;
  serverAuth?: boolean;
  clientAuth?: boolean;
}

/** A self-signed end-entity certificate (CA:FALSE) for the key; serverAuth + clientAuth. */
export async function createSelfSigned(options: SelfSignedOptions): Promise<string> {
  const key = requirePrivateKey(options?.key, options?.passphrase, 'a self-signed certificate');
  const subject = normalizeSubject(options.subject);
  const altNames = namesWithCommonName(subject, parseAltNames(options.altNames));
  if (altNames.length === 0 && !subject.CN) {
    throw new CertflowError('CERT_NO_NAMES', 'a certificate needs a common name (CN) or at least one alternative name');
  }
  // RFC 5280: the issuer name of a certificate must not be empty, and here issuer = subject.
  if (Object.keys(subject).length === 0) subject.CN = altNames[0].value.slice(0, 64);
  const name = subjectToX509Name(subject);
  const publicKey = publicKeyOf(key);
  const extensions = [
    ...leafExtensions(publicKey, true, true),
    new x509.SubjectAlternativeNameExtension(toGeneralNames(altNames), false),
    await subjectKeyIdentifier(publicKey),
  ];
  return signCertificate({ subject: name, issuer: name, publicKey, signingKey: key, days: validDays(options.days, 365), extensions });
}

/** A CA certificate: self-signed root, or an intermediate when `issuer` is given. */
export async function createCaCertificate(options: CaCertificateOptions): Promise<string> {
  const key = requirePrivateKey(options?.key, options?.passphrase, 'a CA certificate');
  const subject = normalizeSubject(options.subject);
  if (!subject.CN && !subject.O) {
    throw new CertflowError('CA_SUBJECT_MISSING', 'a CA certificate needs a subject with a name, like {CN: "My Home CA"}');
  }
  let pathLength = options.pathLength;
  if (pathLength !== undefined && pathLength !== null && (!Number.isInteger(pathLength) || pathLength < 0 || pathLength > 16)) {
    throw new CertflowError(
      'CA_PATHLEN_INVALID',
      `path length ${String(pathLength)} is not valid: use a whole number from 0 to 16, or leave it empty for no limit`,
    );
  }
  const publicKey = publicKeyOf(key);
  const name = subjectToX509Name(subject);
  const days = validDays(options.days, 3650);
  const skid = await subjectKeyIdentifier(publicKey);
  const constraints = options.nameConstraints ? [nameConstraintsExtension(options.nameConstraints)] : [];
  const caExtensions = (pathLen: number | undefined, aki?: X509Extension): (X509Extension | AsnExtension)[] => [
    new x509.BasicConstraintsExtension(true, pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    skid,
    ...(aki ? [aki] : []),
    ...constraints,
  ];
  if (!options.issuer) {
    return signCertificate({ subject: name, issuer: name, publicKey, signingKey: key, days, extensions: caExtensions(pathLength ?? undefined) });
  }
  const issuerKey = requirePrivateKey(options.issuer.key, options.issuer.passphrase, 'the issuing CA');
  const issuerCert = readCertificate(options.issuer.cert, 'the issuing CA certificate');
  const issuerPathLength = assertUsableCa(issuerCert, issuerKey);
  if (issuerPathLength === 0) {
    throw new CertflowError(
      'CA_PATHLEN_EXCEEDED',
      `the CA "${issuerCert.subject}" has path length 0: it may sign leaf certificates only, not another CA`,
    );
  }
  if (issuerPathLength !== undefined) {
    const maxBelow = issuerPathLength - 1;
    if (pathLength === undefined || pathLength === null) pathLength = maxBelow;
    else if (pathLength > maxBelow) {
      throw new CertflowError(
        'CA_PATHLEN_EXCEEDED',
        `path length ${pathLength} is too long under "${issuerCert.subject}" (its path length is ${issuerPathLength}): use at most ${maxBelow}`,
      );
    }
  }
  return signCertificate({
    subject: name,
    issuer: issuerCert.subjectName,
    publicKey,
    signingKey: issuerKey,
    days,
    notAfterLimit: issuerCert.notAfter,
    extensions: caExtensions(pathLength ?? undefined, await authorityKeyIdentifier(issuerCert)),
  });
}

/**
 * Signs a CSR with your CA into a leaf certificate. Refuses a CSR whose signature does not
 * verify, a "CA" certificate that is not a CA, and a CA certificate that is not the CA key's.
 */
export async function signCsr(options: SignCsrOptions): Promise<string> {
  if (!options || !options.csr) throw new CertflowError('CSR_MISSING', 'no CSR given to sign');
  const caKey = requirePrivateKey(options.caKey, options.caKeyPassphrase, 'the CA');
  const caCert = readCertificate(options.caCert, 'the CA certificate');
  const csr = readCsr(options.csr);
  let csrKey: KeyObject;
  try {
    csrKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new CertflowError('CSR_INVALID', "the CSR's public key could not be read: it is damaged or of an unsupported type");
  }
  // The signature check runs on the thread pool while the certificate is prepared here. Nothing
  // is signed before it passed, and a bad signature is reported before any other problem.
  const signatureChecked = verifyCsrSignature(csr, csrKey);
  let leaf: SignParams;
  try {
    leaf = await leafFromCsr(csr, csrKey, caKey, caCert, options);
  } catch (err) {
    if (!(await signatureChecked)) throw badCsrSignature();
    throw err;
  }
  if (!(await signatureChecked)) throw badCsrSignature();
  return signCertificate(leaf);
}

function badCsrSignature(): CertflowError {
  return new CertflowError(
    'CSR_SIGNATURE_INVALID',
    "the CSR's signature does not verify: it was altered or signed with another key; create the CSR again",
  );
}

function leafFromCsr(csr: Csr, csrKey: KeyObject, caKey: KeyObject, caCert: X509Cert, options: SignCsrOptions): Promise<SignParams> {
  const subject =
    options.subject !== undefined && options.subject !== null && options.subject !== '' ? normalizeSubject(options.subject) : csr.subjectName;
  let altNames: AltName[];
  let sanExtension: AsnExtension | undefined;
  if (options.altNames !== undefined && options.altNames !== null && options.altNames !== '') {
    altNames = parseAltNames(options.altNames);
  } else {
    // A CSR may come from anywhere: its names get the same checks as names typed in a flow.
    const csrSan = requestedExtensions(csr).find((extension) => extension.extnID === SAN_OID);
    const requested = altNamesFromExtension(csrSan && new x509.SubjectAlternativeNameExtension(AsnConvert.serialize(csrSan)));
    altNames = dedupeAltNames(requested.map(validateAltName));
    const unchanged =
      altNames.length === requested.length && altNames.every((n, i) => n.type === requested[i].type && n.value === requested[i].value);
    if (unchanged) sanExtension = csrSan;
  }
  return leafParams({
    publicKey: csr.publicKey,
    publicKeyObject: csrKey,
    subjectPublicKeyInfo: requestInfoOf(csr)?.subjectPKInfo,
    subject,
    altNames,
    sanExtension,
    ca: { key: caKey, cert: caCert },
    days: options.days,
    serverAuth: options.serverAuth,
    clientAuth: options.clientAuth,
  });
}

const SAN_OID = '2.5.29.17';
const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

/** The extensions a CSR asks for (its first extensionRequest attribute), as ASN.1 objects. */
function requestedExtensions(csr: Csr): AsnExtension[] {
  const info = requestInfoOf(csr);
  if (!info) return csr.extensions.map(asnExtension);
  const request = info.attributes.find((attribute) => attribute.type === EXTENSION_REQUEST_OID);
  return request && request.values[0] ? [...AsnConvert.parse(request.values[0], AsnExtensions)] : [];
}

/**
 * A leaf certificate for a public key, signed by a CA (used by signCsr, and directly by the
 * local CA, which has no need for a CSR round-trip).
 */
export async function issueCertificate(options: IssueOptions): Promise<string> {
  return signCertificate(await leafParams(options));
}

interface LeafOptions extends Omit<IssueOptions, 'sanExtension'> {
  /** The CSR's SAN extension when it holds exactly `altNames` (reused rather than re-encoded). */
  sanExtension?: SanExtension | AsnExtension;
  /** The CSR's SubjectPublicKeyInfo, already parsed (the same key as publicKey). */
  subjectPublicKeyInfo?: SubjectPublicKeyInfo;
}

async function leafParams(options: LeafOptions): Promise<SignParams> {
  const caCert = readCertificate(options.ca.cert, 'the CA certificate');
  assertUsableCa(caCert, options.ca.key);
  const serverAuth = options.serverAuth ?? true;
  const clientAuth = options.clientAuth ?? false;
  const subjectName = options.subject instanceof x509.Name ? options.subject : subjectToX509Name(normalizeSubject(options.subject));
  const subject = subjectFromX509Name(subjectName);
  const altNames = namesWithCommonName(subject, options.altNames ?? []);
  if (serverAuth && altNames.length === 0) {
    throw new CertflowError(
      'CERT_NO_NAMES',
      'a server certificate needs at least one name: the CSR has no alternative names and no host name as CN, so give altNames',
    );
  }
  const emptySubject = subjectName.toJSON().length === 0;
  if (emptySubject && altNames.length === 0) {
    throw new CertflowError('CERT_NO_NAMES', 'a certificate needs a subject or at least one alternative name');
  }
  const publicKey =
    options.publicKey instanceof KeyObject
      ? publicKeyOf(options.publicKey)
      : (options.publicKeyObject ?? createPublicKey({ key: Buffer.from(options.publicKey.rawData), format: 'der', type: 'spki' }));
  // Re-encoding the same names costs an ASN.1 round-trip per leaf: reuse the CSR's extension when it says exactly this.
  const reuseSan = options.sanExtension && options.sanExtension.critical === emptySubject && altNames.length === (options.altNames ?? []).length;
  const extensions: (X509Extension | AsnExtension)[] = [
    ...leafExtensions(publicKey, serverAuth, clientAuth),
    ...(altNames.length ? [reuseSan ? options.sanExtension! : new x509.SubjectAlternativeNameExtension(toGeneralNames(altNames), emptySubject)] : []),
    await subjectKeyIdentifier(publicKey, options.subjectPublicKeyInfo),
    await authorityKeyIdentifier(caCert),
  ];
  return {
    subject: subjectName,
    issuer: caCert.subjectName, // exactly the CA's subject, so chain building matches byte for byte
    publicKey: options.subjectPublicKeyInfo ?? (options.publicKey instanceof KeyObject ? publicKey : options.publicKey), // a CSR's SPKI as it is
    signingKey: options.ca.key,
    days: validDays(options.days, 365),
    notAfterLimit: caCert.notAfter,
    extensions,
  };
}

// ---- checks ---------------------------------------------------------------------------------

/**
 * Throws unless the certificate is a CA (basicConstraints CA:TRUE, keyCertSign if key usage is
 * present), is still valid, and belongs to the key. Returns its path length limit.
 */
export function assertUsableCa(caCert: X509Cert, caKey: KeyObject): number | undefined {
  const name = caCert.subject || '(empty subject)';
  const constraints = caCert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints || !constraints.ca) {
    throw new CertflowError(
      'CA_NOT_A_CA',
      `the certificate "${name}" is not a CA certificate (its basicConstraints do not say CA:TRUE), so it cannot sign certificates`,
    );
  }
  const keyUsage = caCert.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new CertflowError('CA_NOT_A_CA', `the CA certificate "${name}" does not allow signing certificates (no keyCertSign in its key usage)`);
  }
  if (caCert.notAfter.getTime() <= Date.now()) {
    throw new CertflowError('CA_EXPIRED', `the CA certificate "${name}" expired on ${caCert.notAfter.toISOString()}`);
  }
  if (spkiHashOf(caKey) !== spkiHashOfCertificate(caCert)) {
    throw new CertflowError(
      'CA_KEY_MISMATCH',
      `the CA key does not match the CA certificate "${name}": give the key this CA certificate was made for`,
    );
  }
  return constraints.pathLength;
}

const keyHashes = new WeakMap<KeyObject, string>();
function spkiHashOf(key: KeyObject): string {
  let hash = keyHashes.get(key);
  if (!hash) {
    hash = describeKey(key).spkiSha256;
    keyHashes.set(key, hash);
  }
  return hash;
}
const certKeyHashes = new WeakMap<X509Cert, string>();
function spkiHashOfCertificate(cert: X509Cert): string {
  let hash = certKeyHashes.get(cert);
  if (!hash) {
    hash = describeKey(createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' })).spkiSha256;
    certKeyHashes.set(cert, hash);
  }
  return hash;
}

// ---- building blocks ------------------------------------------------------------------------

interface SignParams {
  subject: X509Name | AsnName;
  issuer: X509Name | AsnName;
  publicKey: PublicKeyInput | SubjectPublicKeyInfo;
  signingKey: KeyObject;
  days: number;
  notAfterLimit?: Date;
  extensions: (X509Extension | AsnExtension)[];
}

async function signCertificate(params: SignParams): Promise<string> {
  const now = Date.now();
  const notBefore = new Date(now - BACKDATE_MS);
  let notAfter = new Date(now + params.days * DAY_MS);
  // A certificate cannot outlive its issuer in any useful way: clients reject it after the CA expires.
  if (params.notAfterLimit && notAfter > params.notAfterLimit) notAfter = params.notAfterLimit;
  return signCertificateFields({
    serialNumber: randomSerialNumber(),
    subject: params.subject instanceof AsnName ? params.subject : asnName(params.subject),
    issuer: params.issuer instanceof AsnName ? params.issuer : asnName(params.issuer),
    notBefore,
    notAfter,
    subjectPublicKeyInfo: publicKeyInfoOf(params.publicKey),
    extensions: params.extensions.map((extension) => (extension instanceof AsnExtension ? extension : asnExtension(extension))),
    signingKey: params.signingKey,
  });
}

// Parsed once per KeyObject: a self-signed or CA certificate reads its own key's SPKI.
const publicKeyInfos = new WeakMap<KeyObject, SubjectPublicKeyInfo>();
function publicKeyInfoOf(publicKey: PublicKeyInput | SubjectPublicKeyInfo): SubjectPublicKeyInfo {
  if (publicKey instanceof SubjectPublicKeyInfo) return publicKey;
  if (!(publicKey instanceof KeyObject)) return asnPublicKeyInfo(publicKey.rawData);
  let info = publicKeyInfos.get(publicKey);
  if (!info) {
    info = asnPublicKeyInfo(spkiOf(publicKey));
    publicKeyInfos.set(publicKey, info);
  }
  return info;
}

/**
 * 128 random bits as a positive DER INTEGER: a first byte >= 0x80 would read as negative, so
 * it gets a 0x00 in front (17 bytes, well within the 20-octet limit).
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  if (bytes[0] === 0) bytes[0] = 1; // keep all 16 bytes significant (no leading zero octet)
  const hex = bytes.toString('hex');
  return bytes[0] >= 0x80 ? `00${hex}` : hex;
}

// The leaf extensions that do not depend on the names or the key itself are built once: each
// @peculiar/x509 extension costs an ASN.1 encode, which adds up over many leaves.
const constantLeafExtensions = new Map<string, InstanceType<typeof x509.Extension>[]>();
function leafExtensions(publicKey: KeyObject, serverAuth: boolean, clientAuth: boolean): InstanceType<typeof x509.Extension>[] {
  const isRsa = publicKey.asymmetricKeyType === 'rsa';
  const cacheKey = `${isRsa}-${serverAuth}-${clientAuth}`;
  let extensions = constantLeafExtensions.get(cacheKey);
  if (!extensions) {
    const usages: string[] = [];
    if (serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
    if (clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
    // RSA key exchange (TLS 1.2 RSA cipher suites) needs keyEncipherment; EC/EdDSA keys only sign.
    const keyUsage = isRsa ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
    extensions = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(keyUsage, true),
      ...(usages.length ? [new x509.ExtendedKeyUsageExtension(usages, false)] : []),
    ];
    constantLeafExtensions.set(cacheKey, extensions);
  }
  return extensions;
}

/**
 * SKI by RFC 5280's method 1: SHA-1 of the subjectPublicKey bits (what OpenSSL writes too).
 * The bits come from the key's JWK (EC point, Ed25519 key) or PKCS#1 (RSA): a synchronous hash
 * of a few bytes, where @peculiar/x509's own helper parses the SPKI and awaits WebCrypto. Given
 * the key's parsed SPKI (a CSR's), its bits are used as they are when they are exactly what
 * the export would give.
 */
async function subjectKeyIdentifier(publicKey: KeyObject, info?: SubjectPublicKeyInfo): Promise<AsnExtension> {
  const bits = (info && sameBitsAsExport(publicKey, info)) || subjectPublicKeyBits(publicKey);
  if (!bits) return asnExtension(await x509.SubjectKeyIdentifierExtension.create(spkiOf(publicKey), false));
  return subjectKeyIdentifierExtension(createHash('sha1').update(bits).digest());
}

/** The SPKI's key bits when they equal subjectPublicKeyBits(key): an uncompressed EC point, an Ed25519 key. */
function sameBitsAsExport(key: KeyObject, info: SubjectPublicKeyInfo): Uint8Array | undefined {
  const bits = new Uint8Array(info.subjectPublicKey);
  if (key.asymmetricKeyType === 'ec' && bits[0] === 0x04) return bits;
  if (key.asymmetricKeyType === 'ed25519' && bits.length === 32) return bits;
  return undefined;
}

function subjectPublicKeyBits(key: KeyObject): Buffer | undefined {
  try {
    if (key.asymmetricKeyType === 'rsa') return key.export({ format: 'der', type: 'pkcs1' });
    const jwk = key.export({ format: 'jwk' });
    if (jwk.kty === 'EC' && jwk.x && jwk.y)
      return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
    if (jwk.kty === 'OKP' && jwk.x) return Buffer.from(jwk.x, 'base64url');
  } catch {
    // a key type JWK cannot express: let @peculiar/x509 compute it
  }
  return undefined;
}

// DER SubjectPublicKeyInfo; exporting a KeyObject costs ~0.1 ms, so it is done once per key.
const spkiBytes = new WeakMap<KeyObject, Uint8Array<ArrayBuffer>>();
function spkiOf(publicKey: PublicKeyInput): ArrayBuffer | Uint8Array<ArrayBuffer> {
  if (!(publicKey instanceof KeyObject)) return publicKey.rawData;
  let der = spkiBytes.get(publicKey);
  if (!der) {
    der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    spkiBytes.set(publicKey, der);
  }
  return der;
}

const authorityKeyIds = new WeakMap<X509Cert, Promise<InstanceType<typeof x509.Extension>>>();
/** AKI = the issuer's SKI (what chain builders match on), or one derived from its key if it has none. */
function authorityKeyIdentifier(issuer: X509Cert): Promise<InstanceType<typeof x509.Extension>> {
  let pending = authorityKeyIds.get(issuer);
  if (!pending) {
    const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
    pending = ski
      ? Promise.resolve(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false))
      : x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false);
    authorityKeyIds.set(issuer, pending);
  }
  return pending;
}

function namesWithCommonName(subject: Subject, altNames: AltName[]): AltName[] {
  const fromCn = altNameFromCommonName(subject.CN);
  return dedupeAltNames([...(fromCn ? [fromCn] : []), ...altNames]);
}

function validDays(days: number | string | undefined, fallback: number): number {
  if (days === undefined || days === null || days === '') return fallback;
  const value = Number(days);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_DAYS) {
    throw new CertflowError('CERT_DAYS_INVALID', `validity of ${String(days)} days is not valid: use a number of days from 1 to ${MAX_DAYS}`);
  }
  return value;
}

function requirePrivateKey(key: KeyObject | string | Buffer | undefined, passphrase: string | undefined, forWhat: string): KeyObject {
  if (key === undefined || key === null || key === '' || (Buffer.isBuffer(key) && key.length === 0)) {
    throw new CertflowError('KEY_MISSING', `a private key is needed for ${forWhat}`);
  }
  if (typeof key !== 'string' || (passphrase !== undefined && passphrase !== '')) return loadPrivateKey(key, passphrase);
  // A CA key given as PEM text each time (from a flow) would be parsed and re-imported into
  // WebCrypto for every leaf; the same text maps to the same KeyObject, whose CryptoKey is cached.
  return cachedPrivateKey(key);
}

/** The first certificate in PEM text (a bundle is fine), DER, or an already parsed certificate. */
export function readCertificate(input: X509Cert | string | Buffer | undefined, what = 'the certificate'): X509Cert {
  if (input instanceof x509.X509Certificate) return input;
  if (input === undefined || input === null || input === '' || (Buffer.isBuffer(input) && input.length === 0)) {
    throw new CertflowError('CERT_MISSING', `${what} is missing`);
  }
  const isPem = typeof input === 'string' || input.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  if (isPem) {
    const text = typeof input === 'string' ? input : input.toString('utf8');
    const block = certificateBlocks(text)[0];
    if (!block) {
      const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
      throw new CertflowError('CERT_WRONG_KIND', label ? `${what} is not a certificate: found "${label}"` : `${what} is not a PEM certificate`);
    }
    return cachedCertificate(block, () => parseCertificate(block, what));
  }
  return parseCertificate(new Uint8Array(input), what);
}

function parseCertificate(data: string | Uint8Array<ArrayBuffer>, what: string): X509Cert {
  try {
    return typeof data === 'string' ? new x509.X509Certificate(data) : new x509.X509Certificate(data);
  } catch {
    throw new CertflowError('CERT_INVALID', `${what} could not be read: it is damaged or incomplete`);
  }
}
