/**
 * A small DER (and definite/indefinite-length BER) reader and writer, with no dependency.
 *
 * Why our own: reading certificates, CSRs and keys only needs the tag-length-value tree, and
 * the asn1js package (which @peculiar/asn1-schema uses underneath) was a seventh runtime
 * dependency (the flow-library scorecard allows six) at a major version behind its latest.
 * This reader is also cheaper than asn1js's fromBER: one object per value, no schema classes,
 * no copy of the input.
 *
 * The node shape keeps asn1js's field names (idBlock, valueBlock, valueBeforeDecodeView), so
 * tree walkers written for asn1js read it unchanged. Its checks follow asn1js's fromBER: depth
 * at most 100, at most 10,000 values, no universal tag >= 37 or 15, no constructed encoding of a
 * primitive-only type, no indefinite length for a primitive value, children that fill their
 * parent exactly.
 */

export interface DerNode {
  idBlock: {
    /** asn1js's numbering: 1 universal, 2 application, 3 context-specific, 4 private. */
    tagClass: number;
    tagNumber: number;
    isConstructed: boolean;
  };
  lenBlock: { isIndefiniteForm: boolean };
  /** The whole encoding of this value: tag, length and content (a view into the input). */
  valueBeforeDecodeView: Uint8Array;
  valueBlock: {
    /** The children of a constructed value. */
    value?: DerNode[];
    /** The content of a primitive value; for a BIT STRING without its unused-bits octet (as asn1js). */
    valueHexView?: Uint8Array;
    /** BIT STRING only: the unused-bits count. */
    unusedBits?: number;
  };
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

const MAX_DEPTH = 100;
const MAX_NODES = 10000;
const MAX_CONTENT = 16 * 1024 * 1024;
/** Universal types that have only a primitive encoding (asn1js refuses constructed ones). */
const PRIMITIVE_ONLY = new Set([1, 2, 5, 6, 9, 13, 14, 23, 24, 31, 32, 33, 34]);

interface Budget {
  nodes: number;
}

/**
 * Decodes one value at the start of `input`. Returns the value and the offset after it (which
 * is less than input.length when bytes follow). Throws DerError on malformed input.
 */
export function readDer(input: Uint8Array, start = 0): { node: DerNode; end: number } {
  if (input.length - start <= 0) throw new DerError('no data');
  return readValue(input, start, input.length, 1, { nodes: 0 });
}

/** The whole of `input` as exactly one value (trailing bytes refused). */
export function decodeDerStrict(input: Uint8Array): DerNode {
  const { node, end } = readDer(input);
  if (end !== input.length) throw new DerError(`${input.length - end} bytes after the value`);
  return node;
}

function readValue(input: Uint8Array, start: number, limit: number, depth: number, budget: Budget): { node: DerNode; end: number } {
  if (depth > MAX_DEPTH) throw new DerError('ASN.1 nesting too deep');
  if (++budget.nodes > MAX_NODES) throw new DerError('too many ASN.1 values');
  let offset = start;
  if (offset >= limit) throw new DerError('end of data inside a value');
  const first = input[offset++];
  const tagClass = (first >> 6) + 1;
  const isConstructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let count = 0; ; count++) {
      if (offset >= limit) throw new DerError('end of data inside a tag');
      if (count >= 4) throw new DerError('tag number too large');
      const byte = input[offset++];
      tagNumber = tagNumber * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
  }
  if (offset >= limit) throw new DerError('end of data before a length');
  const lengthByte = input[offset++];
  let indefinite = false;
  let length = 0;
  if (lengthByte === 0xff) throw new DerError('reserved length octet');
  if (lengthByte === 0x80) {
    indefinite = true;
  } else if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new DerError('length too large');
    if (offset + count > limit) throw new DerError('end of data inside a length');
    for (let i = 0; i < count; i++) length = length * 256 + input[offset++];
  } else {
    length = lengthByte;
  }
  if (tagClass === 1) {
    if (tagNumber === 15 || tagNumber >= 37) throw new DerError(`reserved universal tag ${tagNumber}`);
    if (isConstructed && PRIMITIVE_ONLY.has(tagNumber)) throw new DerError(`constructed encoding of primitive type ${tagNumber}`);
    if (!isConstructed && (tagNumber === 16 || tagNumber === 17)) throw new DerError('primitive SEQUENCE or SET');
  }
  const idBlock = { tagClass, tagNumber, isConstructed };
  if (indefinite) {
    if (!isConstructed) throw new DerError('indefinite length for a primitive value');
    const children: DerNode[] = [];
    for (;;) {
      if (offset + 2 <= limit && input[offset] === 0 && input[offset + 1] === 0) {
        offset += 2;
        break;
      }
      const child = readValue(input, offset, limit, depth + 1, budget);
      children.push(child.node);
      offset = child.end;
    }
    return {
      node: { idBlock, lenBlock: { isIndefiniteForm: true }, valueBeforeDecodeView: input.subarray(start, offset), valueBlock: { value: children } },
      end: offset,
    };
  }
  if (length > MAX_CONTENT) throw new DerError('value too large');
  const end = offset + length;
  if (end > limit) throw new DerError('end of data inside a value');
  const whole = input.subarray(start, end);
  if (isConstructed) {
    const children: DerNode[] = [];
    while (offset < end) {
      const child = readValue(input, offset, end, depth + 1, budget);
      children.push(child.node);
      offset = child.end;
    }
    return { node: { idBlock, lenBlock: { isIndefiniteForm: false }, valueBeforeDecodeView: whole, valueBlock: { value: children } }, end };
  }
  const content = input.subarray(offset, end);
  if (tagClass === 1 && tagNumber === 3) {
    if (content.length === 0) throw new DerError('BIT STRING without its unused-bits octet');
    const unusedBits = content[0];
    if (unusedBits > 7) throw new DerError('BIT STRING unused bits above 7');
    return {
      node: {
        idBlock,
        lenBlock: { isIndefiniteForm: false },
        valueBeforeDecodeView: whole,
        valueBlock: { valueHexView: content.subarray(1), unusedBits },
      },
      end,
    };
  }
  return { node: { idBlock, lenBlock: { isIndefiniteForm: false }, valueBeforeDecodeView: whole, valueBlock: { valueHexView: content } }, end };
}

// ---- reading values ---------------------------------------------------------------------------

export function isUniversal(node: DerNode | undefined, tagNumber: number): node is DerNode {
  return node !== undefined && node.idBlock.tagClass === 1 && node.idBlock.tagNumber === tagNumber;
}

/** The children of a constructed value (throws DerError for a primitive one). */
export function childrenOf(node: DerNode | undefined): DerNode[] {
  const value = node?.valueBlock.value;
  if (!value) throw new DerError('expected a constructed value');
  return value;
}

/** The dotted form of an OBJECT IDENTIFIER's content, or undefined if the node is not one. */
export function oidValue(node: DerNode | undefined): string | undefined {
  if (!isUniversal(node, 6)) return undefined;
  const bytes = node.valueBlock.valueHexView!;
  const arcs: string[] = [];
  let value = 0;
  let big: bigint | undefined;
  let started = false;
  for (const byte of bytes) {
    started = true;
    if (big !== undefined) big = big * 128n + BigInt(byte & 0x7f);
    else if (value > 2 ** 45) big = BigInt(value) * 128n + BigInt(byte & 0x7f);
    else value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (arcs.length === 0) {
      if (big !== undefined) arcs.push('2', (big - 80n).toString());
      else if (value < 40) arcs.push('0', String(value));
      else if (value < 80) arcs.push('1', String(value - 40));
      else arcs.push('2', String(value - 80));
    } else arcs.push(big !== undefined ? big.toString() : String(value));
    value = 0;
    big = undefined;
    started = false;
  }
  if (started || arcs.length === 0) return undefined; // cut off inside a sub-identifier, or empty
  return arcs.join('.');
}

const LATIN1_STRINGS = new Set([18, 19, 20, 21, 22, 25, 26, 27, 29]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a string value (UTF8String, PrintableString, IA5String, BMPString,
 * UniversalString, TeletexString...), decoded as asn1js decodes it; undefined for other types.
 */
export function stringValue(node: DerNode | undefined): string | undefined {
  if (!node || node.idBlock.tagClass !== 1 || node.idBlock.isConstructed) return undefined;
  const tag = node.idBlock.tagNumber;
  const bytes = node.valueBlock.valueHexView!;
  if (tag === 12) {
    try {
      return utf8.decode(bytes);
    } catch {
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'); // as asn1js: the raw octets
    }
  }
  if (LATIN1_STRINGS.has(tag)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (tag === 30) {
    let text = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return text;
  }
  if (tag === 28) {
    let text = '';
    // as asn1js: each 32-bit code as one UTF-16 unit (its low 16 bits)
    for (let i = 0; i + 3 < bytes.length; i += 4) text += String.fromCharCode((bytes[i + 2] << 8) | bytes[i + 3]);
    return text;
  }
  return undefined;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/**
 * A UTCTime (YYMMDDHHMMSSZ; years 50-99 are 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ), the
 * forms RFC 5280 allows; undefined for another type or form. Fields are not range-checked
 * (month 13 rolls over, as Date.UTC does): callers check them.
 */
export function timeValue(node: DerNode | undefined): Date | undefined {
  if (!node || node.idBlock.tagClass !== 1 || node.idBlock.isConstructed) return undefined;
  const tag = node.idBlock.tagNumber;
  if (tag !== 23 && tag !== 24) return undefined;
  const text = Buffer.from(node.valueBlock.valueHexView!).toString('latin1');
  const match = (tag === 23 ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const fullYear = tag === 24 ? year : year >= 50 ? 1900 + year : 2000 + year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  if (fullYear < 100) date.setUTCFullYear(fullYear);
  return date;
}

// ---- writing ----------------------------------------------------------------------------------

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER value: a single-octet tag (e.g. 0x30 SEQUENCE, 0x03 BIT STRING) and its content. */
export function encodeDer(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(body.length), body]);
}

/** An OBJECT IDENTIFIER's DER encoding from its dotted form. */
export function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new DerError(`"${dotted}" is not an OID`);
  const octets: number[] = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) group.unshift(Number(rest & 0x7fn) | 0x80);
    octets.push(...group);
  }
  return encodeDer(0x06, Buffer.from(octets));
}
