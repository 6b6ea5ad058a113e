/**
 * The one place that loads @peculiar/x509, and the adapter for its non-public parts.
 *
 * Loading: it needs reflect-metadata first (tsyringe, underneath it, wants a Reflect polyfill),
 * and its crypto provider must be Node's WebCrypto (native, async). Import x509 from here,
 * never directly.
 *
 * Non-public parts (only here; test/contracts/peculiar-x509.test.js checks them on upgrade):
 * - `Name#asn`: the parsed ASN.1 Name an x509.Name keeps (typings: private). Used so a
 *   certificate's subject/issuer go into a new certificate without an encode + parse.
 * - `Pkcs10CertificateRequest#asn.certificationRequestInfo`: the parsed request (typings:
 *   protected). Its public `extensions` getter re-encodes and re-parses every attribute and
 *   extension, a third of a signed leaf's cost.
 * Each has a fallback through the public API (used when the field is absent or of another
 * shape, or when forced with setX509PrivateFieldsUsed(false), as the tests do).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name as AsnName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** The @peculiar/x509 classes as types, for the modules that build certificates from them. */
export type X509Name = InstanceType<typeof x509.Name>;
export type X509Extension = InstanceType<typeof x509.Extension>;

let usePrivateFields = true;

/**
 * Tests only: false makes every function here take its public-API fallback, as if the
 * private fields were absent. Returns the previous setting.
 */
export function setX509PrivateFieldsUsed(use: boolean): boolean {
  const previous = usePrivateFields;
  usePrivateFields = use;
  return previous;
}

/** The private field, when it is there and of the expected class. */
export function privateAsnOfName(name: InstanceType<typeof x509.Name>): AsnName | undefined {
  const inner = (name as unknown as { asn?: unknown }).asn;
  return inner instanceof AsnName ? inner : undefined;
}

/** An x509.Name as its ASN.1 object (the same bytes it encodes to). */
export function asnNameOf(name: InstanceType<typeof x509.Name>): AsnName {
  const inner = usePrivateFields ? privateAsnOfName(name) : undefined;
  // fallback: a round trip through its public encoding gives the same object
  return inner ?? AsnConvert.parse(name.toArrayBuffer(), AsnName);
}

/** A CSR's parsed certificationRequestInfo: the parts sign.ts reads. */
export interface RequestInfo {
  subjectPKInfo: SubjectPublicKeyInfo;
  attributes: { type: string; values: ArrayBuffer[] }[];
}

/** The protected field, when it is there and of the expected shape. */
export function privateRequestInfoOf(csr: InstanceType<typeof x509.Pkcs10CertificateRequest>): RequestInfo | undefined {
  const info = (csr as unknown as { asn?: { certificationRequestInfo?: Partial<RequestInfo> } }).asn?.certificationRequestInfo;
  return info && info.subjectPKInfo instanceof SubjectPublicKeyInfo && Array.isArray(info.attributes) ? (info as RequestInfo) : undefined;
}

/**
 * The CSR's parsed certificationRequestInfo, or undefined (the field changed, or forced off):
 * callers then use the public getters (`extensions`, `publicKey`).
 */
export function requestInfoOf(csr: InstanceType<typeof x509.Pkcs10CertificateRequest>): RequestInfo | undefined {
  return usePrivateFields ? privateRequestInfoOf(csr) : undefined;
}
