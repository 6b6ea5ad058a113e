/**
 * A small local CA in two calls: make a CA, issue leaves for host names. Used for Node-RED's
 * bootstrap HTTPS certificate (localhost, 127.0.0.1, ::1 and the machine's names) and by
 * anyone who wants certificates for devices on a LAN without a public CA.
 *
 * The bootstrap CA ends up trusted in users' browsers, so it is limited (X.509 name
 * constraints) to names that are local by definition plus the exact names it was made for: a
 * stolen key of it cannot impersonate a public web site.
 */
import { KeyObject } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { Subject } from './csr';
import { CertflowError } from '../errors';
import { DEFAULT_KEY_ALGORITHM, exportPrivateKeyPem, generateKey, KeyAlgorithm, loadPrivateKey } from './keys';
import { namesOutside, readNameConstraints, type NameConstraintsSpec } from './name-constraints';
import { AltName, AltNamesInput, dedupeAltNames, parseAltNames, validateDnsName } from './names';
import { assertUsableCa, createCaCertificate, issueCertificate, readCertificate } from './sign';

/**
 * Names and addresses that only ever mean something on the local machine or LAN: localhost,
 * mDNS (.local), the residential and private-use domains (home.arpa, RFC 8375; .internal,
 * ICANN 2024), loopback and the private address ranges (RFC 1918, IPv6 ULA).
 */
export const LOCAL_ONLY_NAMES = Object.freeze({
  dns: ['localhost', 'local', 'home.arpa', 'internal'],
  ip: ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '::1/128', 'fc00::/7'],
});

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

/**
 * A new self-signed root CA, EC P-256 by default, valid 10 years, path length 0 (leaves only).
 * With `limitedTo`, it may sign only for LOCAL_ONLY_NAMES and those names (see localOnlyConstraints).
 */
export async function createLocalCa(
  options: {
    commonName?: string;
    subject?: Subject;
    algorithm?: KeyAlgorithm;
    days?: number;
    passphrase?: string;
    pathLength?: number;
    limitedTo?: AltNamesInput;
  } = {},
): Promise<LocalCa> {
  const nameConstraints = options.limitedTo !== undefined ? localOnlyConstraints(parseAltNames(options.limitedTo)) : undefined;
  const generated = await generateKey(options.algorithm ?? DEFAULT_KEY_ALGORITHM);
  const subject: Subject = options.subject ?? {
    CN: options.commonName ?? `Certflow local CA (${safeHostname() ?? 'node-red'})`,
    O: 'Certflow local CA',
  };
  const certPem = await createCaCertificate({
    key: generated.key,
    subject,
    days: options.days ?? 3650,
    pathLength: options.pathLength ?? 0,
    nameConstraints,
  });
  return { key: generated.key, keyPem: exportPrivateKeyPem(generated.key, options.passphrase), certPem };
}

/**
 * Name constraints for a local CA: LOCAL_ONLY_NAMES, plus each of `names` outside them exactly
 * (a DNS name is permitted and the names below it excluded; an address as a single host; a
 * wildcard *.x permits what is below x).
 */
export function localOnlyConstraints(names: AltName[]): NameConstraintsSpec {
  const base: NameConstraintsSpec = { permitted: { dns: [...LOCAL_ONLY_NAMES.dns], ip: [...LOCAL_ONLY_NAMES.ip] } };
  const extra = namesOutside(base, names);
  const dns = extra.filter((n) => n.type === 'dns').map((n) => n.value);
  const wildcardBases = new Set(dns.filter((d) => d.startsWith('*.')).map((d) => d.slice(2)));
  const exact = dns.filter((d) => !d.startsWith('*.') && !wildcardBases.has(d));
  return {
    permitted: {
      dns: [...base.permitted!.dns!, ...new Set(dns.map((d) => d.replace(/^\*\./, '')))],
      ip: [...base.permitted!.ip!, ...extra.filter((n) => n.type === 'ip').map((n) => `${n.value}/${n.value.includes(':') ? 128 : 32}`)],
    },
    ...(exact.length ? { excluded: { dns: exact.map((d) => `.${d}`) } } : {}),
  };
}

/** The names (of `names`) the CA may not sign for: empty when it may sign for all (or is not limited). */
export function namesNotPermitted(ca: Pick<LocalCa, 'certPem'>, names: AltNamesInput): AltName[] {
  return namesOutside(readNameConstraints(readCertificate(ca.certPem, 'the local CA certificate')), parseAltNames(names));
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
  if (!options?.ca?.key || !options.ca.certPem)
    throw new CertflowError('CA_MISSING', 'a local CA (key and certificate) is needed to issue a certificate');
  const altNames = parseAltNames(options.names);
  if (altNames.length === 0) throw new CertflowError('CERT_NO_NAMES', 'give at least one name (host name or IP) for the certificate');
  const constraints = readNameConstraints(readCertificate(options.ca.certPem, 'the local CA certificate'));
  const outside = namesOutside(constraints, altNames);
  if (outside.length > 0) {
    const caName = readCertificate(options.ca.certPem).subject || 'the local CA';
    throw new CertflowError(
      'CA_NAME_NOT_PERMITTED',
      `the CA "${caName}" may only sign for local names and the names it was made for; ${outside.map((n) => `"${n.value}"`).join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside them`,
    );
  }
  // Under a limited CA a leaf without a DNS name gets no CN: verifiers check a CN like
  // "192.168.1.20" against the DNS limits when no DNS name is present, and refuse it.
  const bareAddresses = constraints !== undefined && !altNames.some((n) => n.type === 'dns');
  const commonName = options.commonName ?? (bareAddresses ? undefined : altNames[0].value.slice(0, 64));
  const generated = await generateKey(options.algorithm ?? DEFAULT_KEY_ALGORITHM);
  const certPem = await issueCertificate({
    publicKey: generated.key,
    subject: commonName ? { CN: commonName } : {},
    altNames,
    ca: { key: options.ca.key, cert: options.ca.certPem },
    days: options.days ?? 365,
    serverAuth: options.serverAuth ?? true,
    clientAuth: options.clientAuth ?? false,
  });
  return { key: generated.key, keyPem: generated.privateKeyPem, certPem, caPem: options.ca.certPem, fullchainPem: certPem + options.ca.certPem };
}

/**
 * The names this machine answers to: its host name (and `<host>.local` for mDNS, as on a
 * Raspberry Pi), localhost, 127.0.0.1, ::1 and its IPv4 LAN addresses. IPv6 LAN addresses are
 * left out: global ones rotate (privacy extensions) and would change the list every day.
 */
export function localHostNames(): string[] {
  const names: string[] = [];
  const host = safeHostname();
  if (host && host !== 'localhost') names.push(host, ...(host.includes('.') ? [] : [`${host}.local`]));
  names.push('localhost', '127.0.0.1', '::1');
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && (address.family === 'IPv4' || (address.family as unknown) === 4)) names.push(address.address);
    }
  }
  return [...new Set(names)];
}

/** The bootstrap HTTPS leaf: `names`, the CN its first host name other than localhost. */
export async function issueBootstrapLeaf(ca: LocalCa, names: AltNamesInput, days = 365): Promise<IssuedLeaf> {
  const altNames = dedupeAltNames(parseAltNames(names));
  const commonName = altNames.find((n) => n.type === 'dns' && n.value !== 'localhost')?.value ?? 'localhost';
  return issueLeaf({ ca, names: altNames, commonName, days });
}

/**
 * A CA limited to local names plus `names`, and a leaf for `names` (default: this machine's),
 * in one go: the bootstrap HTTPS certificate.
 */
export async function createLocalServerCertificate(
  options: { names?: AltNamesInput; days?: number; caDays?: number } = {},
): Promise<{ ca: LocalCa; leaf: IssuedLeaf }> {
  const names = parseAltNames(options.names ?? localHostNames());
  const ca = await createLocalCa({ days: options.caDays, limitedTo: names });
  const leaf = await issueBootstrapLeaf(ca, names, options.days ?? 365);
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
