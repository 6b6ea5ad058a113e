/**
 * What a certificate's extensions state (names, CA flag, usages, key ids, URLs, policies). The
 * structured ones are read by @peculiar/x509's extension classes, memoized by their bytes since
 * certificates from one CA repeat most of them.
 */
import { CertflowError } from '../errors';
import type { AltName } from '../pki/names';
import { x509 } from '../pki/x509';
import { ipFromBytes } from '../pki/ip-address';
import { bytesOf, colonHex, innerOf, kids, oidOf, type Node } from './asn1-tree';
import type { CertificateInfo } from './certificate-facts';

const EXTENDED_KEY_USAGES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.5.5.7.3.5': 'ipsecEndSystem',
  '1.3.6.1.5.5.7.3.6': 'ipsecTunnel',
  '1.3.6.1.5.5.7.3.7': 'ipsecUser',
  '1.3.6.1.5.5.7.3.17': 'ipsecIKE',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.4.1.311.10.3.3': 'msSGC',
  '2.16.840.1.113730.4.1': 'nsSGC',
  '1.3.6.1.5.5.7.3.31': 'bimi',
};
const KEY_USAGES: [number, string][] = [
  [1, 'digitalSignature'],
  [2, 'nonRepudiation'],
  [4, 'keyEncipherment'],
  [8, 'dataEncipherment'],
  [16, 'keyAgreement'],
  [32, 'keyCertSign'],
  [64, 'cRLSign'],
  [128, 'encipherOnly'],
  [256, 'decipherOnly'],
];

/** The fields of CertificateInfo that come from extensions. */
export type ExtensionFacts = Pick<
  CertificateInfo,
  | 'altNames'
  | 'isCa'
  | 'pathLength'
  | 'keyUsage'
  | 'extendedKeyUsage'
  | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier'
  | 'ocspUrls'
  | 'caIssuersUrls'
  | 'crlDistributionPoints'
  | 'policies'
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
  '2.5.29.37': (raw) => ({
    extendedKeyUsage: Array.from(new x509.ExtendedKeyUsageExtension(raw).usages, (u) => EXTENDED_KEY_USAGES[String(u)] ?? String(u)),
  }),
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
    const urls = Array.from(e.distributionPoints)
      .flatMap((p) => p.distributionPoint?.fullName ?? [])
      .map((n) => n.uniformResourceIdentifier)
      .filter((u): u is string => !!u);
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

export function readExtensions(extensions: Node[]): ExtensionFacts {
  const facts: ExtensionFacts = {
    altNames: [],
    isCa: false,
    keyUsage: [],
    extendedKeyUsage: [],
    ocspUrls: [],
    caIssuersUrls: [],
    crlDistributionPoints: [],
    policies: [],
  };
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
    for (const [name, value] of Object.entries(found))
      (facts as unknown as Record<string, unknown>)[name] = Array.isArray(value) ? [...value] : value;
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
      case 1:
        names.push({ type: 'email', value: ia5Text(bytes) });
        break;
      case 2:
        names.push({ type: 'dns', value: ia5Text(bytes) });
        break;
      case 6:
        names.push({ type: 'uri', value: ia5Text(bytes) });
        break;
      case 7:
        names.push({ type: 'ip', value: ipFromBytes(bytes) });
        break;
      default:
        break;
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
