/**
 * Reading a DER tree that lib/pki/der decoded: each accessor checks the tag or shape it expects
 * and throws CERT_INVALID otherwise, so the fact readers never index into a wrong structure.
 */
import { CertflowError } from '../errors';
import { DerError, decodeDerStrict, oidValue, readDer, stringValue, timeValue, type DerNode } from '../pki/der';

export type Node = DerNode;

function derOrInvalid(decode: () => Node, what: string): Node {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DerError) throw new CertflowError('CERT_INVALID', what);
    throw err;
  }
}

/** The whole of `der` as one ASN.1 value; trailing bytes are refused. */
export function decodeDer(der: Uint8Array, what = 'not DER'): Node {
  return derOrInvalid(() => decodeDerStrict(der), what);
}

/** An extension's value: one ASN.1 value at the start of the bytes. */
export function innerOf(value: Buffer): Node {
  return derOrInvalid(() => readDer(value).node, 'malformed extension');
}

/** The characters of a string value (UTF8String, PrintableString, BMPString...); undefined for other types. */
export function stringOf(node: Node | undefined): string | undefined {
  return stringValue(node);
}

/** The dotted OID of an OBJECT IDENTIFIER value; undefined for other types. */
export function optionalOidOf(node: Node | undefined): string | undefined {
  return oidValue(node);
}

export function kids(node: Node | undefined): Node[] {
  const value = node?.valueBlock.value;
  if (!Array.isArray(value)) throw new CertflowError('CERT_INVALID', 'unexpected structure');
  return value;
}

export function isContext(node: Node | undefined, tag: number): boolean {
  return node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === tag;
}

export function oidOf(node: Node | undefined): string {
  const oid = oidValue(node);
  if (oid === undefined) throw new CertflowError('CERT_INVALID', 'expected an OID');
  return oid;
}

export function bytesOf(node: Node | undefined): Buffer {
  const view = node?.valueBlock.valueHexView;
  if (!view) throw new CertflowError('CERT_INVALID', 'expected a primitive value');
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export function bigOf(node: Node): number {
  return bytesOf(node).reduce((n, b) => n * 256 + b, 0);
}

/** RFC 5280 times: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ; OpenSSL refuses others ("Bad time value"). */
const UTC_TIME = /^\d{12}Z$/;
const GENERALIZED_TIME = /^\d{14}Z$/;

export function timeOf(node: Node): Date {
  const universal = node.idBlock.tagClass === 1 && !node.idBlock.isConstructed;
  const isUtc = universal && node.idBlock.tagNumber === 23;
  if (!isUtc && !(universal && node.idBlock.tagNumber === 24)) throw new CertflowError('CERT_INVALID', 'expected a time');
  const text = bytesOf(node).toString('latin1');
  const date = (isUtc ? UTC_TIME : GENERALIZED_TIME).test(text) ? timeValue(node) : undefined;
  if (!date || Number.isNaN(date.getTime()) || !validFields(text.slice(isUtc ? 2 : 4))) {
    throw new CertflowError(
      'CERT_INVALID',
      `its validity time "${text.replace(/[^\x20-\x7e]/g, '?').slice(0, 24)}" is not a valid ${isUtc ? 'UTCTime (YYMMDDHHMMSSZ)' : 'GeneralizedTime (YYYYMMDDHHMMSSZ)'}`,
    );
  }
  return date;
}

/** MMDDHHMMSS within range (Date.UTC turns month 13 into next January). */
function validFields(mmddhhmmss: string): boolean {
  const [month, day, hour, minute, second] = (mmddhhmmss.match(/\d\d/g) ?? []).map(Number);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * The serial's value in hex as OpenSSL prints it: DER's sign byte (a leading 00 before a high
 * bit) is not part of it, and a negative serial (two's complement) is "-" and its magnitude.
 */
export function serialHex(node: Node): string {
  const bytes = bytesOf(node);
  if (bytes.length > 0 && bytes[0] & 0x80) {
    const magnitude = (1n << BigInt(bytes.length * 8)) - BigInt(`0x${bytes.toString('hex')}`);
    let hex = magnitude.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    return `-${hex}`;
  }
  const value = bytes.length > 1 && bytes[0] === 0 ? bytes.subarray(1) : bytes;
  return value.toString('hex');
}

export function colonHex(bytes: Buffer): string {
  return bytes
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}
