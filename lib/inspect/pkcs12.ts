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
import { createHash, createHmac, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import * as forge from 'node-forge';
import { CertflowError } from '../errors';
import { loadPrivateKey } from '../pki/keys';
import { checkSize, INPUT_LIMITS, PKCS12_LIMITS } from '../limits';
import { bmpPassword, IterationBudget, MAC_HASHES, macMatches, PBES2_CIPHERS, PBKDF2_PRFS, pbkdf2Async, PKCS12_PBE, pkcs12Kdf, decrypt } from './pbe';
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
  pbkdf2: pki.oids.pkcs5PBKDF2,
};
// ---- export -------------------------------------------------------------------------------------

/** Key + certificate + chain as a PKCS#12 file. */
export async function exportPkcs12(options: ExportPkcs12Options): Promise<Buffer> {
  if (typeof options?.password !== 'string')
    throw new CertflowError('P12_PASSWORD_MISSING', 'a PKCS#12 file needs a password (an empty one is allowed, but unsafe)');
  const key = loadPrivateKey(options.key, options.passphrase);
  const [leafPem, ...bundleChain] = certificatesFrom(options.cert);
  const chainPems =
    options.chain === undefined || options.chain === '' || (Array.isArray(options.chain) && options.chain.length === 0)
      ? bundleChain
      : certificatesFrom(options.chain);
  const leafDer = pemToDer(leafPem);
  if (!new X509Certificate(leafDer).checkPrivateKey(key)) {
    throw new CertflowError(
      'P12_KEY_MISMATCH',
      'the private key does not match the certificate: a PKCS#12 file must pair a certificate with its own key',
    );
  }
  const encryption = options.encryption ?? 'aes256';
  const iterations = options.iterations ?? 2048;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PKCS12_LIMITS.maxExportIterations) {
    throw new CertflowError(
      'P12_ITERATIONS_INVALID',
      `iterations must be a whole number from 1 to ${PKCS12_LIMITS.maxExportIterations.toLocaleString('en-US')} (OpenSSL writes 2,048)`,
    );
  }
  const localKeyId = createHash('sha1').update(leafDer).digest(); // what OpenSSL uses too
  const leafAttributes = [
    attribute(OID.localKeyId, octets(localKeyId)),
    ...(options.friendlyName ? [attribute(OID.friendlyName, bmpString(options.friendlyName))] : []),
  ];

  const certBags = [certBag(leafDer, leafAttributes), ...chainPems.map((pem) => certBag(pemToDer(pem), []))];
  const privateKeyInfo = asn1.fromDer(binary(key.export({ format: 'der', type: 'pkcs8' })));
  await yieldToEventLoop(); // key encryption and MAC are a few ms of JavaScript each
  const encryptedKey = pki.encryptPrivateKeyInfo(privateKeyInfo, encryption === '3des' ? options.password : utf8(options.password), {
    algorithm: encryption,
    count: iterations,
    saltSize: 16,
    ...(encryption === 'aes256' ? { prfAlgorithm: 'sha256' } : {}),
  });
  const keyBag = seq([oid(OID.shroudedKeyBag), explicit0(encryptedKey), set(leafAttributes)]);

  const authenticatedSafe = seq([dataContentInfo(seq(certBags)), dataContentInfo(seq([keyBag]))]);
  const authenticatedSafeDer = asn1.toDer(authenticatedSafe).getBytes();
  await yieldToEventLoop();
  const macDigest = encryption === '3des' ? OID.sha1 : OID.sha256;
  const macSalt = randomBytes(16);
  const macKey = await pkcs12Kdf(MAC_HASHES[macDigest], bmpPassword(options.password), macSalt, 3, iterations, macDigest === OID.sha1 ? 20 : 32);
  const mac = createHmac(MAC_HASHES[macDigest].name, macKey).update(Buffer.from(authenticatedSafeDer, 'binary')).digest().toString('binary');
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
 * Opens a PKCS#12 file: the key (as PKCS#8 PEM) and the certificates (PEM). Reads PBES2 with
 * AES or 3DES (OpenSSL 3's default) and the older PKCS#12 3DES and RC2 schemes (OpenSSL 1.x,
 * Windows, Java). Hostile files end with a CertflowError: sizes and iteration counts are capped
 * (lib/limits.ts) and the password work never holds the event loop (lib/inspect/pbe.ts).
 */
export async function importPkcs12(data: Buffer | Uint8Array, password: string | undefined): Promise<Pkcs12Content> {
  if (!data || data.length === 0) throw new CertflowError('EMPTY_INPUT', 'the PKCS#12 file is empty');
  checkSize('the PKCS#12 file', data.length, INPUT_LIMITS.pkcs12Bytes);
  const reader = new Pfx(password ?? '');
  try {
    return await reader.read(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (err) {
    if (err instanceof CertflowError) throw err;
    // anything forge or a cipher throws on malformed bytes: say which part was broken
    throw new CertflowError('P12_INVALID', `the PKCS#12 file is damaged: ${reader.part} could not be read`, undefined, { cause: err });
  }
}

/** One reading of one file: the password, the iteration budget, and the part being read (for errors). */
class Pfx {
  part = 'its outer structure';
  private readonly budget = new IterationBudget();
  private bags = 0;
  /** The password as the MAC accepted it: null when the file was made with "no password" (not ""). */
  private kdfPassword: string | null;
  constructor(private readonly password: string) {
    this.kdfPassword = password;
  }

  async read(der: Buffer): Promise<Pkcs12Content> {
    let pfx: forge.asn1.Asn1;
    try {
      pfx = parseDer(binary(der));
    } catch (err) {
      throw new CertflowError('P12_INVALID', 'this is not a PKCS#12 file, or it is damaged', undefined, { cause: err });
    }
    const [version, authSafe, macData] = children(pfx);
    if (!version || !authSafe || contentType(authSafe) !== OID.data) {
      throw new CertflowError(
        'P12_INVALID',
        'this PKCS#12 file is not password-protected in the usual way (public-key integrity mode is not supported) or is damaged',
      );
    }
    this.part = 'its content';
    const authSafeBytes = octetContent(children(children(authSafe)[1])[0]);
    if (macData) {
      this.part = 'its integrity check (MAC)';
      await this.verifyMac(macData, authSafeBytes);
    }
    const content: Pkcs12Content = { certificates: [] };
    this.part = 'its list of contents';
    for (const contentInfo of children(parseDer(authSafeBytes))) {
      const type = contentType(contentInfo);
      let safeContents: string;
      if (type === OID.data) {
        this.part = 'its unencrypted part';
        safeContents = octetContent(children(children(contentInfo)[1])[0]);
      } else if (type === OID.encryptedData) {
        this.part = 'its encrypted part';
        safeContents = await this.decryptSafeContents(children(children(contentInfo)[1])[0]);
      } else {
        throw new CertflowError('P12_UNSUPPORTED', `this PKCS#12 file has a part of type ${type} (public-key encrypted), which is not supported`);
      }
      await this.readSafeContents(safeContents, content);
    }
    return content;
  }

  private async verifyMac(macData: forge.asn1.Asn1, authSafeBytes: string): Promise<void> {
    const [digestInfo, saltNode, iterationsNode] = children(macData);
    const [algorithm, digest] = children(digestInfo);
    const digestOid = oidOf(children(algorithm)[0]);
    if (!MAC_HASHES[digestOid])
      throw new CertflowError('P12_UNSUPPORTED', `this PKCS#12 file's integrity check uses ${digestOid}, which is not supported`);
    const iterations = iterationsNode ? integerOf(iterationsNode) : 1;
    this.budget.take(iterations, 'its integrity check (MAC)');
    const salt = bytesOf(saltNode);
    const expected = bytesOf(digest);
    const content = Buffer.from(authSafeBytes, 'binary');
    // OpenSSL writes an empty password either as "" or as no password at all: accept both.
    const candidates = this.password === '' ? ['', null] : [this.password];
    for (const candidate of candidates) {
      if (await macMatches(digestOid, candidate, salt, iterations, content, expected)) {
        this.kdfPassword = candidate;
        return;
      }
    }
    throw wrongPassword(this.password);
  }

  private async decryptSafeContents(encryptedData: forge.asn1.Asn1): Promise<string> {
    // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT content } }
    const [, encryptedContentInfo] = children(encryptedData);
    const [, algorithm, encrypted] = children(encryptedContentInfo);
    if (!encrypted) return ''; // no content: nothing inside
    const plain = await this.decrypt(algorithm, Buffer.from(octetContent(encrypted), 'binary'), 'its encrypted certificates');
    return plain.toString('binary');
  }

  private async readSafeContents(safeContents: string, content: Pkcs12Content): Promise<void> {
    if (safeContents === '') return;
    for (const bag of children(parseDer(safeContents))) {
      if (++this.bags > PKCS12_LIMITS.maxBags)
        throw new CertflowError('P12_INVALID', `the PKCS#12 file holds more than ${PKCS12_LIMITS.maxBags} items: it is damaged or hostile`);
      this.part = 'an item (bag) inside it';
      const [bagIdNode, wrapped, attributes] = children(bag);
      const bagId = oidOf(bagIdNode);
      const value = children(wrapped)[0];
      const friendlyName = attributes ? friendlyNameOf(attributes) : undefined;
      if (bagId === OID.certBag) {
        this.part = 'a certificate inside it';
        const [certId, certValue] = children(value);
        if (oidOf(certId) !== OID.x509Certificate) continue; // SDSI certificates: none in practice
        content.certificates.push(derToPem(Buffer.from(octetContent(children(certValue)[0]), 'binary'), 'CERTIFICATE'));
      } else if (bagId === OID.shroudedKeyBag || bagId === OID.keyBag) {
        if (content.privateKeyPem) continue; // one key per file is what every tool writes
        this.part = 'its private key';
        const info = bagId === OID.keyBag ? Buffer.from(asn1.toDer(value).getBytes(), 'binary') : await this.decryptKey(value);
        content.privateKeyPem = derToPem(info, 'PRIVATE KEY');
        if (friendlyName) content.friendlyName = friendlyName;
      }
      if (friendlyName && !content.friendlyName) content.friendlyName = friendlyName;
    }
  }

  /** EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING } */
  private async decryptKey(encryptedPrivateKeyInfo: forge.asn1.Asn1): Promise<Buffer> {
    const [algorithm, encrypted] = children(encryptedPrivateKeyInfo);
    const plain = await this.decrypt(algorithm, bytesOf(encrypted), 'its private key');
    // a wrong password passes the padding check about once in 256 tries: the result must be DER
    try {
      parseDer(plain.toString('binary'));
    } catch {
      throw wrongPassword(this.password);
    }
    return plain;
  }

  /** Derives the key (and IV) the AlgorithmIdentifier names, then decrypts. */
  private async decrypt(algorithm: forge.asn1.Asn1, data: Buffer, what: string): Promise<Buffer> {
    const [oidNode, params] = children(algorithm);
    const algorithmOid = oidOf(oidNode);
    let plain: Buffer | null;
    if (algorithmOid === OID.pbes2) {
      // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier (PBKDF2), encryptionScheme AlgorithmIdentifier }
      const [kdf, scheme] = children(params);
      const [kdfOid, kdfParams] = children(kdf);
      if (oidOf(kdfOid) !== OID.pbkdf2) throw unsupportedAlgorithm(algorithm);
      const cipher = PBES2_CIPHERS[oidOf(children(scheme)[0])];
      if (!cipher) throw unsupportedAlgorithm(algorithm);
      // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
      const [saltNode, iterationsNode, ...rest] = children(kdfParams);
      const prfNode = rest.find((n) => n.type === asn1.Type.SEQUENCE);
      const prf = prfNode ? PBKDF2_PRFS[oidOf(children(prfNode)[0])] : 'sha1';
      if (!prf) throw unsupportedAlgorithm(algorithm);
      const iterations = integerOf(iterationsNode);
      this.budget.take(iterations, what);
      const key = await pbkdf2Async(Buffer.from(this.password, 'utf8'), bytesOf(saltNode), iterations, cipher.keyBytes, prf);
      plain = decrypt(cipher.cipher, key, bytesOf(children(scheme)[1]), data, 'the PKCS#12 file');
    } else if (PKCS12_PBE[algorithmOid]) {
      const scheme = PKCS12_PBE[algorithmOid];
      if (scheme.cipher === 'rc4') throw unsupportedAlgorithm(algorithm);
      // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
      const [saltNode, iterationsNode] = children(params);
      const salt = bytesOf(saltNode);
      const iterations = integerOf(iterationsNode);
      this.budget.take(iterations, what);
      const hash = MAC_HASHES[OID.sha1];
      const password = bmpPassword(this.kdfPassword);
      const key = await pkcs12Kdf(hash, password, salt, 1, iterations, scheme.keyBytes);
      const iv = await pkcs12Kdf(hash, password, salt, 2, iterations, 8);
      plain = decrypt(scheme.cipher, key, iv, data, 'the PKCS#12 file');
    } else {
      throw unsupportedAlgorithm(algorithm);
    }
    if (!plain) throw wrongPassword(this.password);
    return plain;
  }
}

function friendlyNameOf(attributes: forge.asn1.Asn1): string | undefined {
  for (const attr of children(attributes)) {
    const [type, values] = children(attr);
    if (oidOf(type) === OID.friendlyName) {
      const value = children(values)[0]?.value;
      return typeof value === 'string' ? value : undefined; // forge decoded the BMPString to text
    }
  }
  return undefined;
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

function unsupportedAlgorithm(algorithm: forge.asn1.Asn1): CertflowError {
  const name = algorithmName(algorithm);
  return new CertflowError(
    'P12_UNSUPPORTED',
    `this PKCS#12 file is encrypted with ${name}, which this package cannot decrypt: export it again with AES-256 (openssl pkcs12 -export, OpenSSL 3's default) or 3DES (-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES)`,
  );
}

// ---- forge ASN.1 helpers -------------------------------------------------------------------------

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new CertflowError('P12_INVALID', 'the PKCS#12 file is damaged (unexpected structure)');
  return node.value;
}

function contentType(contentInfo: forge.asn1.Asn1): string {
  return oidOf(children(contentInfo)[0]);
}

/** forge's DER reader, lenient as OpenSSL is on bytes after the object (which it ignores), strict on lengths. */
function parseDer(bytes: string): forge.asn1.Asn1 {
  return asn1.fromDer(bytes, { strict: true, parseAllBytes: false, decodeBitStrings: false } as never);
}

function damaged(what: string): CertflowError {
  return new CertflowError('P12_INVALID', `the PKCS#12 file is damaged: ${what}`);
}

function oidOf(node: forge.asn1.Asn1 | undefined): string {
  if (!node || node.type !== asn1.Type.OID || typeof node.value !== 'string' || node.value.length === 0)
    throw damaged('an object identifier is missing or malformed');
  return asn1.derToOid(node.value);
}

/** A non-negative INTEGER; Infinity when it has more digits than a safe integer (caught by the limits). */
function integerOf(node: forge.asn1.Asn1 | undefined): number {
  if (!node || node.type !== asn1.Type.INTEGER || typeof node.value !== 'string' || node.value.length === 0)
    throw damaged('a number (version or iteration count) is missing or malformed');
  const bytes = Buffer.from(node.value, 'binary');
  if (bytes[0] & 0x80) return -1;
  if (bytes.length > 7) return Infinity;
  return bytes.reduce((n, b) => n * 256 + b, 0);
}

/** An OCTET STRING's bytes as a Buffer. */
function bytesOf(node: forge.asn1.Asn1 | undefined): Buffer {
  return Buffer.from(octetContent(node), 'binary');
}

/** An OCTET STRING's bytes; BER writers may split it into a constructed string of pieces. */
function octetContent(node: forge.asn1.Asn1 | undefined, depth = 0): string {
  if (!node || depth > 8) throw damaged('a byte string is missing or malformed');
  if (typeof node.value === 'string') return node.value;
  if (!Array.isArray(node.value)) throw damaged('a byte string is missing or malformed');
  return node.value.map((part) => octetContent(part, depth + 1)).join('');
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
