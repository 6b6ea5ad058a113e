/**
 * A small local CA in two calls: make a CA, issue leaves for host names. Used for Node-RED's
 * bootstrap HTTPS certificate (localhost, 127.0.0.1, ::1 and the machine's name) and by
 * anyone who wants certificates for devices on a LAN without a public CA.
 */
import { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { Subject } from './csr';
import { CertflowError } from './errors';
import { DEFAULT_KEY_ALGORITHM, exportPrivateKeyPem, generateKey, KeyAlgorithm, loadPrivateKey } from './keys';
import { AltNamesInput, parseAltNames, validateDnsName } from './names';
import { assertUsableCa, createCaCertificate, issueCertificate, readCertificate } from './sign';

export interface LocalCa {
  key: KeyObject;
  /** PKCS#8 PEM (encrypted when a passphrase was given). Store with mode 0600. */
  keyPem: string;
  certPem: string;
}

export interface IssuedLeaf {
  key: KeyObject;
  /** PKCS#8 PEM of the leaf's new key (unencrypted: a TLS server needs to read it). */
  keyPem: string;
  certPem: string;
  /** The CA certificate, for clients to trust. */
  caPem: string;
  /** Leaf then CA, as a server sends it. */
  fullchainPem: string;
}

/** A new self-signed root CA, EC P-256 by default, valid 10 years, path length 0 (leaves only). */
export async function createLocalCa(options: {
  commonName?: string;
  subject?: Subject;
  algorithm?: KeyAlgorithm;
  days?: number;
  passphrase?: string;
  pathLength?: number;
} = {}): Promise<LocalCa> {
  const generated = await generateKey(options.algorithm ?? DEFAULT_KEY_ALGORITHM);
  const subject: Subject = options.subject ?? { CN: options.commonName ?? `Certflow local CA (${safeHostname() ?? 'node-red'})`, O: 'Certflow local CA' };
  const certPem = await createCaCertificate({ key: generated.key, subject, days: options.days ?? 3650, pathLength: options.pathLength ?? 0 });
  return { key: generated.key, keyPem: exportPrivateKeyPem(generated.key, options.passphrase), certPem };
}

/** Reads a stored local CA back and checks the key and certificate belong together and form a CA. */
export function loadLocalCa(options: { keyPem: string | Buffer; certPem: string | Buffer; passphrase?: string }): LocalCa {
  const key = loadPrivateKey(options.keyPem, options.passphrase);
  const certPem = typeof options.certPem === 'string' ? options.certPem : options.certPem.toString('utf8');
  assertUsableCa(readCertificate(certPem, 'the local CA certificate'), key);
  return { key, keyPem: typeof options.keyPem === 'string' ? options.keyPem : options.keyPem.toString('utf8'), certPem };
}

/** A leaf certificate with a new key for the given names (DNS names, IPs...), signed by the CA. */
export async function issueLeaf(options: {
  ca: LocalCa;
  names: AltNamesInput;
  commonName?: string;
  algorithm?: KeyAlgorithm;
  days?: number;
  serverAuth?: boolean;
  clientAuth?: boolean;
}): Promise<IssuedLeaf> {
  if (!options?.ca?.key || !options.ca.certPem) throw new CertflowError('CA_MISSING', 'a local CA (key and certificate) is needed to issue a certificate');
  const altNames = parseAltNames(options.names);
  if (altNames.length === 0) throw new CertflowError('CERT_NO_NAMES', 'give at least one name (host name or IP) for the certificate');
  const generated = await generateKey(options.algorithm ?? DEFAULT_KEY_ALGORITHM);
  const certPem = await issueCertificate({
    publicKey: generated.key,
    subject: { CN: options.commonName ?? altNames[0].value.slice(0, 64) },
    altNames,
    ca: { key: options.ca.key, cert: options.ca.certPem },
    days: options.days ?? 365,
    serverAuth: options.serverAuth ?? true,
    clientAuth: options.clientAuth ?? false,
  });
  return { key: generated.key, keyPem: generated.privateKeyPem, certPem, caPem: options.ca.certPem, fullchainPem: certPem + options.ca.certPem };
}

/** The names this machine answers to locally: localhost, 127.0.0.1, ::1 and its host name. */
export function localHostNames(): string[] {
  const names = ['localhost', '127.0.0.1', '::1'];
  const own = safeHostname();
  if (own && own !== 'localhost') names.push(own);
  return names;
}

/** A CA plus a leaf for this machine's local names, in one go: the bootstrap HTTPS certificate. */
export async function createLocalServerCertificate(options: { names?: string[]; days?: number; caDays?: number } = {}): Promise<{ ca: LocalCa; leaf: IssuedLeaf }> {
  const ca = await createLocalCa({ days: options.caDays });
  const leaf = await issueLeaf({ ca, names: options.names ?? localHostNames(), days: options.days ?? 365 });
  return { ca, leaf };
}

/** os.hostname() when it is a valid DNS name (some machines have names with "_" or spaces). */
function safeHostname(): string | undefined {
  try {
    return validateDnsName(hostname(), { allowWildcard: false });
  } catch {
    return undefined;
  }
}
