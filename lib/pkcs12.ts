/**
 * PKCS#12 (.p12 / .pfx): one password-protected file holding a private key, its certificate and
 * the chain, as Windows, Java, browsers and many devices want them.
 *
 * Built and read with node-forge's PKCS#12 pieces (PKCS#12 key derivation, PBES2, HMAC) on
 * forge's ASN.1 tree. forge's X.509 and key layers only know RSA, so certificates travel as
 * their DER bytes and keys as PKCS#8: EC and Ed25519 work as well as RSA.
 *
 * What we write: the key in a pkcs8ShroudedKeyBag (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, or
 * the older 3DES PKCS#12 scheme on request), certificates unencrypted (they are public), and a
 * SHA-256 MAC (SHA-1 with 3DES, for the old readers that want 3DES). OpenSSL 3 reads both
 * without -legacy.
 */
import { createHash, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import * as forge from 'node-forge';
import { CertflowError } from './errors';
import { loadPrivateKey } from './keys';
import { certificatesFrom, derToPem } from './pem';

export interface ExportPkcs12Options {
  /** The private key (PEM, DER or KeyObject); passphrase when it is encrypted. */
  key: string | Buffer | KeyObject;
  passphrase?: string;
  /** The certificate (PEM/DER, or a bundle: its cert). */
  cert: string | Buffer | object;
  /** Intermediates (and root, if wanted), PEM text or a list. */
  chain?: string | string[] | Buffer;
  /** The password that protects the file. May be empty, but should not be. */
  password: string;
  /** The name importers show for the key (e.g. in Windows' certificate manager). */
  friendlyName?: string;
  /** 'aes256' (default, OpenSSL 3's choice) or '3des' for old readers (Windows 7, Java 8 before 8u301). */
  encryption?: 'aes256' | '3des';
  /** PBKDF2 / MAC iterations (default 2048, as OpenSSL). */
  iterations?: number;
}

export interface Pkcs12Content {
  /** PKCS#8 PEM (unencrypted: protect it as you protect the password). */
  privateKeyPem?: string;
  /** PEM certificates, in the file's order. */
  certificates: string[];
  friendlyName?: string;
}

const { asn1, pki } = forge;
// forge's typings omit its PBE module, which it does export
const pbe = (pki as unknown as { pbe: { getCipher(oid: string, params: forge.asn1.Asn1, password: string): forge.cipher.BlockCipher } }).pbe;
const OID = {
  data: pki.oids.data,
  encryptedData: pki.oids.encryptedData,
  keyBag: pki.oids.keyBag,
  shroudedKeyBag: pki.oids.pkcs8ShroudedKeyBag,
  certBag: pki.oids.certBag,
  x509Certificate: pki.oids.x509Certificate,
  friendlyName: pki.oids.friendlyName,
  localKeyId: pki.oids.localKeyId,
  sha1: pki.oids.sha1,
  sha256: pki.oids.sha256,
  pbes2: pki.oids.pkcs5PBES2,
};
const MAC_DIGESTS: Record<string, () => forge.md.MessageDigest> = {
  [pki.oids.sha1]: () => forge.md.sha1.create(),
  [pki.oids.sha256]: () => forge.md.sha256.create(),
  [pki.oids.sha384]: () => forge.md.sha384.create(),
  [pki.oids.sha512]: () => forge.md.sha512.create(),
};

// ---- export -------------------------------------------------------------------------------------

/** Key + certificate + chain as a PKCS#12 file. */
export async function exportPkcs12(options: ExportPkcs12Options): Promise<Buffer> {
  if (typeof options?.password !== 'string') throw new CertflowError('P12_PASSWORD_MISSING', 'a PKCS#12 file needs a password (an empty one is allowed, but unsafe)');
  const key = loadPrivateKey(options.key as string | Buffer | KeyObject, options.passphrase);
  const [leafPem, ...bundleChain] = certificatesFrom(options.cert);
  const chainPems = options.chain === undefined || options.chain === '' || (Array.isArray(options.chain) && options.chain.length === 0) ? bundleChain : certificatesFrom(options.chain);
  const leafDer = pemToDer(leafPem);
  if (!new X509Certificate(leafDer).checkPrivateKey(key)) {
    throw new CertflowError('P12_KEY_MISMATCH', 'the private key does not match the certificate: a PKCS#12 file must pair a certificate with its own key');
  }
  const encryption = options.encryption ?? 'aes256';
  const iterations = options.iterations ?? 2048;
  const localKeyId = createHash('sha1').update(leafDer).digest(); // what OpenSSL uses too
  const leafAttributes = [attribute(OID.localKeyId, octets(localKeyId)), ...(options.friendlyName ? [attribute(OID.friendlyName, bmpString(options.friendlyName))] : [])];

  const certBags = [certBag(leafDer, leafAttributes), ...chainPems.map((pem) => certBag(pemToDer(pem), []))];
  const privateKeyInfo = asn1.fromDer(binary(key.export({ format: 'der', type: 'pkcs8' })));
  await yieldToEventLoop(); // key encryption and MAC are a few ms of JavaScript each
  const encryptedKey = pki.encryptPrivateKeyInfo(privateKeyInfo, encryption === '3des' ? options.password : utf8(options.password), {
    algorithm: encryption,
    count: iterations,
    saltSize: 16,
    ...(encryption === 'aes256' ? { prfAlgorithm: 'sha256' } : {}),
  } as forge.pki.EncryptionOptions);
  const keyBag = seq([oid(OID.shroudedKeyBag), explicit0(encryptedKey), set(leafAttributes)]);

  const authenticatedSafe = seq([dataContentInfo(seq(certBags)), dataContentInfo(seq([keyBag]))]);
  const authenticatedSafeDer = asn1.toDer(authenticatedSafe).getBytes();
  await yieldToEventLoop();
  const macDigest = encryption === '3des' ? OID.sha1 : OID.sha256;
  const macSalt = randomBytes(16);
  const mac = computeMac(options.password, macSalt, iterations, macDigest, authenticatedSafeDer);
  const pfx = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq([oid(OID.data), explicit0(octetsRaw(authenticatedSafeDer))]),
    seq([
      seq([seq([oid(macDigest), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]), octetsRaw(mac)]),
      octets(macSalt),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
    ]),
  ]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

function certBag(der: Buffer, attributes: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  const value = seq([oid(OID.x509Certificate), explicit0(octets(der))]);
  return seq([oid(OID.certBag), explicit0(value), ...(attributes.length ? [set(attributes)] : [])]);
}

function dataContentInfo(content: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid(OID.data), explicit0(octetsRaw(asn1.toDer(content).getBytes()))]);
}

function attribute(type: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid(type), set([value])]);
}

// ---- import -------------------------------------------------------------------------------------

/**
 * Opens a PKCS#12 file: the key (as PKCS#8 PEM) and the certificates (PEM). Reads what forge
 * can decrypt: PBES2 with AES or 3DES (OpenSSL 3's default), and the older PKCS#12 3DES and
 * RC2 schemes (OpenSSL 1.x).
 */
export function importPkcs12(data: Buffer | Uint8Array, password: string | undefined): Pkcs12Content {
  if (!data || data.length === 0) throw new CertflowError('EMPTY_INPUT', 'the PKCS#12 file is empty');
  const pass = password ?? '';
  let pfx: forge.asn1.Asn1;
  try {
    pfx = asn1.fromDer(binary(Buffer.from(data)), false);
  } catch {
    throw new CertflowError('P12_INVALID', 'this is not a PKCS#12 file, or it is damaged');
  }
  const [version, authSafe, macData] = children(pfx);
  if (!version || !authSafe || contentType(authSafe) !== OID.data) {
    throw new CertflowError('P12_INVALID', 'this PKCS#12 file is not password-protected in the usual way (public-key integrity mode is not supported) or is damaged');
  }
  const authSafeBytes = octetContent(children(children(authSafe)[1])[0]);
  if (macData) verifyMac(macData, pass, authSafeBytes);

  const content: Pkcs12Content = { certificates: [] };
  for (const contentInfo of children(asn1.fromDer(authSafeBytes, false))) {
    const type = contentType(contentInfo);
    let safeContents: string;
    if (type === OID.data) safeContents = octetContent(children(children(contentInfo)[1])[0]);
    else if (type === OID.encryptedData) safeContents = decryptSafeContents(children(children(contentInfo)[1])[0], pass);
    else throw new CertflowError('P12_UNSUPPORTED', `this PKCS#12 file has a part of type ${type} (public-key encrypted), which is not supported`);
    readSafeContents(safeContents, pass, content);
  }
  return content;
}

function verifyMac(macData: forge.asn1.Asn1, password: string, authSafeBytes: string): void {
  const [digestInfo, saltNode, iterationsNode] = children(macData);
  const [algorithm, digest] = children(digestInfo);
  const digestOid = asn1.derToOid(children(algorithm)[0].value as string);
  if (!MAC_DIGESTS[digestOid]) throw new CertflowError('P12_UNSUPPORTED', `this PKCS#12 file's integrity check uses ${digestOid}, which is not supported`);
  const salt = Buffer.from(saltNode.value as string, 'binary');
  const iterations = iterationsNode ? asn1.derToInteger(iterationsNode.value as string) : 1;
  const expected = digest.value as string;
  // OpenSSL writes an empty password either as "" or as no password at all: accept both.
  const candidates = password === '' ? ['', null] : [password];
  for (const candidate of candidates) {
    if (computeMac(candidate, salt, iterations, digestOid, authSafeBytes) === expected) return;
  }
  throw wrongPassword(password);
}

function computeMac(password: string | null, salt: Buffer, iterations: number, digestOid: string, content: string): string {
  const md = MAC_DIGESTS[digestOid]();
  const key = forge.pkcs12.generateKey(password as string, forge.util.createBuffer(binary(salt)), 3, iterations, md.digestLength, MAC_DIGESTS[digestOid]());
  const hmac = forge.hmac.create();
  hmac.start(md, key);
  hmac.update(content);
  return hmac.digest().getBytes();
}

function decryptSafeContents(encryptedData: forge.asn1.Asn1, password: string): string {
  // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT content } }
  const [, encryptedContentInfo] = children(encryptedData);
  const [, algorithm, encrypted] = children(encryptedContentInfo);
  const algorithmOid = asn1.derToOid(children(algorithm)[0].value as string);
  let cipher: forge.cipher.BlockCipher;
  try {
    cipher = pbe.getCipher(algorithmOid, children(algorithm)[1], passwordFor(algorithmOid, password));
  } catch (err) {
    throw unsupportedAlgorithm(algorithm, err);
  }
  const bytes = typeof encrypted.value === 'string' ? encrypted.value : (encrypted.value as forge.asn1.Asn1[]).map((p) => p.value as string).join('');
  cipher.update(forge.util.createBuffer(bytes));
  if (!cipher.finish()) throw wrongPassword(password);
  return cipher.output.getBytes();
}

function readSafeContents(safeContents: string, password: string, content: Pkcs12Content): void {
  for (const bag of children(asn1.fromDer(safeContents, false))) {
    const [bagIdNode, wrapped, attributes] = children(bag);
    const bagId = asn1.derToOid(bagIdNode.value as string);
    const value = children(wrapped)[0];
    const friendlyName = attributes ? friendlyNameOf(attributes) : undefined;
    if (bagId === OID.certBag) {
      const [certId, certValue] = children(value);
      if (asn1.derToOid(certId.value as string) !== OID.x509Certificate) continue; // SDSI certificates: none in practice
      content.certificates.push(derToPem(Buffer.from(octetContent(children(certValue)[0]), 'binary'), 'CERTIFICATE'));
    } else if (bagId === OID.shroudedKeyBag || bagId === OID.keyBag) {
      if (content.privateKeyPem) continue; // one key per file is what every tool writes
      const info = bagId === OID.keyBag ? value : decryptKey(value, password);
      content.privateKeyPem = derToPem(Buffer.from(asn1.toDer(info).getBytes(), 'binary'), 'PRIVATE KEY');
      if (friendlyName) content.friendlyName = friendlyName;
    }
    if (friendlyName && !content.friendlyName) content.friendlyName = friendlyName;
  }
}

function decryptKey(encryptedPrivateKeyInfo: forge.asn1.Asn1, password: string): forge.asn1.Asn1 {
  const algorithm = children(encryptedPrivateKeyInfo)[0];
  const algorithmOid = asn1.derToOid(children(algorithm)[0].value as string);
  let info: forge.asn1.Asn1 | null;
  try {
    info = pki.decryptPrivateKeyInfo(encryptedPrivateKeyInfo, passwordFor(algorithmOid, password));
  } catch (err) {
    if (/unsupported|cannot read|not supported/i.test(String((err as Error).message))) throw unsupportedAlgorithm(algorithm, err);
    throw wrongPassword(password);
  }
  if (!info) throw wrongPassword(password);
  return info;
}

function friendlyNameOf(attributes: forge.asn1.Asn1): string | undefined {
  for (const attr of children(attributes)) {
    const [type, values] = children(attr);
    if (asn1.derToOid(type.value as string) === OID.friendlyName) {
      const value = children(values)[0].value;
      return typeof value === 'string' ? value : undefined; // forge decoded the BMPString to text
    }
  }
  return undefined;
}

/** PBES2 takes the password's UTF-8 bytes; the PKCS#12 schemes take the text (forge makes it BMP). */
function passwordFor(algorithmOid: string, password: string): string {
  return algorithmOid === OID.pbes2 ? utf8(password) : password;
}

function wrongPassword(password: string): CertflowError {
  return password === ''
    ? new CertflowError('P12_PASSWORD_REQUIRED', 'the PKCS#12 file is protected by a password: give its password')
    : new CertflowError('P12_WRONG_PASSWORD', 'wrong password for the PKCS#12 file');
}

/** A readable name for an encryption AlgorithmIdentifier: 'PBES2 with 1.2.392.200011.61.1.1.1.4'. */
function algorithmName(algorithm: forge.asn1.Asn1): string {
  const names = pki.oids as Record<string, string>;
  const nameOf = (oid: string) => CIPHER_NAMES[oid] ?? names[oid] ?? oid;
  try {
    const oid = asn1.derToOid(children(algorithm)[0].value as string);
    if (oid !== OID.pbes2) return nameOf(oid);
    // PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme AlgorithmIdentifier }
    const scheme = children(children(algorithm)[1])[1];
    return `PBES2 with ${nameOf(asn1.derToOid(children(scheme)[0].value as string))}`;
  } catch {
    return 'an unknown algorithm';
  }
}
const CIPHER_NAMES: Record<string, string> = {
  '1.2.392.200011.61.1.1.1.2': 'Camellia-128-CBC',
  '1.2.392.200011.61.1.1.1.3': 'Camellia-192-CBC',
  '1.2.392.200011.61.1.1.1.4': 'Camellia-256-CBC',
  '1.2.840.113549.1.12.1.1': 'RC4-128 (PKCS#12)',
  '1.2.840.113549.1.12.1.2': 'RC4-40 (PKCS#12)',
  '1.2.840.113549.1.12.1.5': 'RC2-128 (PKCS#12)',
};

function unsupportedAlgorithm(algorithm: forge.asn1.Asn1, err: unknown): CertflowError {
  const name = algorithmName(algorithm);
  return new CertflowError(
    'P12_UNSUPPORTED',
    `this PKCS#12 file is encrypted with ${name}, which node-forge cannot decrypt: export it again with AES-256 (openssl pkcs12 -export, OpenSSL 3's default) or 3DES (-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES)`,
    undefined,
    { cause: err },
  );
}

// ---- forge ASN.1 helpers -------------------------------------------------------------------------

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new CertflowError('P12_INVALID', 'the PKCS#12 file is damaged (unexpected structure)');
  return node.value as forge.asn1.Asn1[];
}

function contentType(contentInfo: forge.asn1.Asn1): string {
  return asn1.derToOid(children(contentInfo)[0].value as string);
}

/** An OCTET STRING's bytes; BER writers may split it into a constructed string of pieces. */
function octetContent(node: forge.asn1.Asn1): string {
  if (typeof node.value === 'string') return node.value;
  return (node.value as forge.asn1.Asn1[]).map(octetContent).join('');
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (dotted: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
const octets = (bytes: Buffer) => octetsRaw(binary(bytes));
const octetsRaw = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);

/** forge encodes a BMPSTRING's JavaScript text as UTF-16BE itself (and decodes it back). */
function bmpString(text: string): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, text);
}

function binary(bytes: Buffer): string {
  return bytes.toString('binary');
}

function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('binary');
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
