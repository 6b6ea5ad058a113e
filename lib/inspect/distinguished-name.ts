/**
 * Distinguished names: the display text ("C=US, O=Example, CN=example.com"), the fields by short
 * name, and a comparison key that follows RFC 5280 section 7.1, so chain building links an
 * issuer to a subject the way OpenSSL and browsers do.
 */
import { kids, oidOf, stringOf, type Node } from './asn1-tree';

/** OpenSSL's short names for the attributes seen in practice. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.9': 'street',
  '2.5.4.12': 'title',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.13': 'description',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.4.16': 'postalAddress',
  '2.5.4.41': 'name',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/**
 * Universal tags of the string types compared without case: DirectoryString's choices (UTF8,
 * Printable, Teletex, BMP, Universal), plus IA5 (emailAddress, DC) and Visible/Numeric, which
 * OpenSSL canonicalises the same way. Any other value is compared by its DER bytes.
 */
const CASE_IGNORED_STRING_TAGS = new Set([12, 19, 20, 30, 28, 22, 26, 18]);

export interface ReadName {
  /** "C=US, O=Example, CN=example.com" in the order the certificate encodes. */
  text: string;
  fields: Record<string, string | string[]>;
  /** Equal keys mean equal names under RFC 5280 section 7.1 (see nameComparisonKey). */
  key: string;
}

export function readName(node: Node | undefined): ReadName {
  const rdns: string[] = [];
  const comparable: string[][] = [];
  const fields: Record<string, string | string[]> = {};
  for (const rdn of kids(node)) {
    const parts: string[] = [];
    const attributeKeys: string[] = [];
    for (const attribute of kids(rdn)) {
      const [type, value] = kids(attribute);
      const oid = oidOf(type);
      const name = ATTRIBUTE_NAMES[oid] ?? oid;
      const text = stringOf(value) ?? `#${Buffer.from(value.valueBeforeDecodeView).toString('hex')}`;
      parts.push(`${name}=${escapeRdnValue(text)}`);
      attributeKeys.push(`${oid}=${comparableValue(value)}`);
      const existing = fields[name];
      fields[name] = existing === undefined ? text : Array.isArray(existing) ? [...existing, text] : [existing, text];
    }
    rdns.push(parts.join('+'));
    // an RDN is a SET: the order its attributes were written in does not matter
    comparable.push(attributeKeys.sort());
  }
  return { text: rdns.join(', '), fields, key: JSON.stringify(comparable) };
}

/**
 * RFC 5280 section 7.1: RDNs match in order, each the same set of attributes; string values
 * match after RFC 4518 preparation (NFKC, case folded, leading and trailing space removed, inner
 * runs of space as one), whatever string type each side used; other values match byte for byte.
 */
function comparableValue(value: Node): string {
  const text = stringOf(value);
  const tag = value.idBlock.tagClass === 1 ? value.idBlock.tagNumber : -1;
  if (text !== undefined && CASE_IGNORED_STRING_TAGS.has(tag)) return `s:${prepareString(text)}`;
  return `b:${Buffer.from(value.valueBeforeDecodeView).toString('hex')}`;
}

/** RFC 4518's steps that matter in practice: map away soft hyphens and zero-width marks, normalize, fold case, squeeze spaces. */
export function prepareString(text: string): string {
  return text
    .replace(/[\u00ad\u180e\u200b\u2060\ufeff\u200c\u200d]/g, '')
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** RFC 4514 escaping, so a comma inside a value cannot be read as a separator. */
function escapeRdnValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}
