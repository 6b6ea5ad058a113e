/**
 * The names a certificate can be for (subject alternative names): DNS names (wildcards
 * included), IPv4/IPv6 addresses, e-mail addresses and URIs. Each validator returns the
 * normalized form that goes into a certificate, or throws a CertflowError a user can act on.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { CertflowError } from '../errors';

export type AltNameType = 'dns' | 'ip' | 'email' | 'uri';
export interface AltName {
  type: AltNameType;
  value: string;
}

const MAX_DNS_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const MAX_EMAIL_LENGTH = 254;
const MAX_EMAIL_LOCAL_LENGTH = 64;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function invalid(code: string, value: string, what: string, reason: string): CertflowError {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return new CertflowError(code, `"${shown}" is not a valid ${what}: ${reason}`);
}

/**
 * A host name for a certificate, lower-cased, trailing dot removed, IDN converted to punycode
 * (bücher.de -> xn--bcher-kva.de). A wildcard is allowed only as the whole left-most label.
 */
export function validateDnsName(name: string, opts: { allowWildcard?: boolean } = {}): string {
  const allowWildcard = opts.allowWildcard ?? true;
  const given = String(name ?? '');
  const bad = (reason: string) => invalid('NAME_INVALID_DNS', given, 'DNS name', reason);
  let text = given.trim();
  if (text === '') throw new CertflowError('NAME_INVALID_DNS', 'a DNS name is empty');
  if (/\s/.test(text)) throw bad('it contains a space');
  if (text.endsWith('.') && text.length > 1) text = text.slice(0, -1);
  let wildcard = false;
  if (text.startsWith('*.')) {
    if (!allowWildcard) throw bad('a wildcard is not allowed here');
    wildcard = true;
    text = text.slice(2);
  }
  if (text.includes('*')) throw bad('"*" is only allowed as the whole left-most label, like *.example.com');
  if (/[\x80-\uffff]/.test(text)) {
    const ascii = domainToASCII(text);
    if (!ascii) throw bad('it is not a valid internationalized domain name');
    text = ascii;
  }
  text = text.toLowerCase();
  const labels = text.split('.');
  for (const label of labels) {
    if (label === '') throw bad('it has an empty label (two dots in a row, or a leading dot)');
    if (label.length > MAX_LABEL_LENGTH) throw bad(`a label is longer than ${MAX_LABEL_LENGTH} characters`);
    if (!LDH_LABEL.test(label)) {
      if (/:\d+$/.test(label)) throw bad('a port (":' + label.split(':').pop() + '") is not part of a name');
      if (label.includes('_')) throw bad('"_" is not allowed in a host name');
      if (label.startsWith('-') || label.endsWith('-')) throw bad('a label cannot start or end with "-"');
      throw bad('only letters, digits, "-" and "." are allowed');
    }
    if (/^xn--/.test(label) && domainToASCII(label) === '') throw bad(`"${label}" is not valid punycode`);
  }
  if (/^\d+$/.test(labels[labels.length - 1]) && labels.length > 1) {
    throw bad(isIP(text) ? 'it is an IP address: give it as an IP address' : 'the last label cannot be all digits');
  }
  if (wildcard && labels.length < 2) throw bad('a wildcard needs at least two labels after "*." (like *.example.com)');
  const result = wildcard ? `*.${text}` : text;
  if (result.length > MAX_DNS_NAME_LENGTH) throw bad(`it is longer than ${MAX_DNS_NAME_LENGTH} characters`);
  return result;
}

/** An IPv4 or IPv6 address; IPv6 is normalized (lower case, zeros compressed). Brackets are accepted. */
export function validateIpAddress(address: string): string {
  const given = String(address ?? '');
  let text = given.trim();
  if (text === '') throw new CertflowError('NAME_INVALID_IP', 'an IP address is empty');
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes('%')) throw invalid('NAME_INVALID_IP', given, 'IP address', 'a zone index (%...) cannot go into a certificate');
  const version = isIP(text);
  if (version === 4) return text;
  if (version === 6) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  throw invalid('NAME_INVALID_IP', given, 'IP address', 'expected IPv4 like 192.168.1.10 or IPv6 like fd00::1');
}

const EMAIL_LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** An e-mail address (rfc822Name): ASCII local part kept as given, domain validated and lower-cased. */
export function validateEmail(address: string): string {
  const given = String(address ?? '');
  const text = given.trim();
  const bad = (reason: string) => invalid('NAME_INVALID_EMAIL', given, 'e-mail address', reason);
  if (text === '') throw new CertflowError('NAME_INVALID_EMAIL', 'an e-mail address is empty');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) throw bad('expected name@domain');
  const local = text.slice(0, at);
  const domainPart = text.slice(at + 1);
  if (local.length > MAX_EMAIL_LOCAL_LENGTH) throw bad(`the part before "@" is longer than ${MAX_EMAIL_LOCAL_LENGTH} characters`);
  if (!EMAIL_LOCAL_PART.test(local)) throw bad('the part before "@" has characters a certificate cannot carry');
  let domain: string;
  try {
    domain = validateDnsName(domainPart, { allowWildcard: false });
  } catch {
    throw bad(`"${domainPart}" is not a valid domain`);
  }
  const result = `${local}@${domain}`;
  if (result.length > MAX_EMAIL_LENGTH) throw bad(`it is longer than ${MAX_EMAIL_LENGTH} characters`);
  return result;
}

/** An absolute URI (scheme:rest), ASCII only, like https://example.com/x or spiffe://domain/workload. */
export function validateUri(uri: string): string {
  const given = String(uri ?? '');
  const text = given.trim();
  const bad = (reason: string) => invalid('NAME_INVALID_URI', given, 'URI', reason);
  if (text === '') throw new CertflowError('NAME_INVALID_URI', 'a URI is empty');
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) throw bad('it needs a scheme, like https: or urn:');
  if (/[^\x21-\x7e]/.test(text)) throw bad('it contains spaces or non-ASCII characters (percent-encode them)');
  try {
    new URL(text);
  } catch {
    throw bad('it cannot be parsed');
  }
  return text;
}

const TYPE_PREFIX = /^(dns|ip|ip address|email|e-mail|rfc822|uri|url)\s*:\s*/i;

/**
 * Decides what a text is (an IP, an e-mail, a URI or a DNS name) and validates it. An OpenSSL
 * style prefix decides explicitly: "DNS:host", "IP:10.0.0.1", "email:a@b", "URI:urn:x".
 */
export function classifyAltName(text: string): AltName {
  const given = String(text ?? '').trim();
  const prefix = TYPE_PREFIX.exec(given);
  if (prefix) {
    const value = given.slice(prefix[0].length);
    const kind = prefix[1].toLowerCase();
    if (kind === 'dns') return { type: 'dns', value: validateDnsName(value) };
    if (kind.startsWith('ip')) return { type: 'ip', value: validateIpAddress(value) };
    if (kind === 'uri' || kind === 'url') return { type: 'uri', value: validateUri(value) };
    return { type: 'email', value: validateEmail(value) };
  }
  const unbracketed = given.startsWith('[') && given.endsWith(']') ? given.slice(1, -1) : given;
  if (isIP(unbracketed)) return { type: 'ip', value: validateIpAddress(unbracketed) };
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(given) || /^(urn|tag|did|mailto|spiffe):/i.test(given)) {
    return { type: 'uri', value: validateUri(given) };
  }
  if (given.includes('@')) return { type: 'email', value: validateEmail(given) };
  // Looks like an address but is not one (e.g. 300.1.1.1): say so rather than "bad DNS name".
  if (/^[\d.]+$/.test(given) && given.includes('.')) return { type: 'ip', value: validateIpAddress(given) };
  if (/^[0-9a-f:]+$/i.test(given) && given.split(':').length > 2) return { type: 'ip', value: validateIpAddress(given) };
  return { type: 'dns', value: validateDnsName(given) };
}

/** Validates an AltName object's value for its type. */
export function validateAltName(name: AltName): AltName {
  switch (name?.type) {
    case 'dns':
      return { type: 'dns', value: validateDnsName(name.value) };
    case 'ip':
      return { type: 'ip', value: validateIpAddress(name.value) };
    case 'email':
      return { type: 'email', value: validateEmail(name.value) };
    case 'uri':
      return { type: 'uri', value: validateUri(name.value) };
    default:
      throw new CertflowError(
        'NAME_INVALID_TYPE',
        `unknown alternative name type "${String((name as { type?: unknown })?.type)}": use dns, ip, email or uri`,
      );
  }
}

export type AltNamesInput =
  string | (string | AltName)[] | { dns?: string | string[]; ip?: string | string[]; email?: string | string[]; uri?: string | string[] };

/**
 * Every way a flow may give names: "a.example, b.example 10.0.0.1" (one text, comma, space,
 * semicolon or newline separated), an array of strings (one name each) or {type, value}, or
 * {dns: [..], ip: [..], ...} (a text value there is split like the single text).
 * Returns validated names without duplicates, in the order given.
 */
export function parseAltNames(list: AltNamesInput | null | undefined): AltName[] {
  const found: AltName[] = [];
  if (list === undefined || list === null) return found;
  const splitText = (text: string) => text.split(/[\s,;]+/).filter((part) => part !== '');
  if (typeof list === 'string') {
    for (const part of splitText(list)) found.push(classifyAltName(part));
  } else if (Array.isArray(list)) {
    for (const item of list) {
      // A list holds one name per item: "exa mple.com" is a typo to report, not two names.
      if (typeof item === 'string') {
        if (item.trim() !== '') found.push(classifyAltName(item));
      } else if (item && typeof item === 'object') found.push(validateAltName(item));
      else throw new CertflowError('NAME_INVALID_TYPE', 'alternative names must be strings or {type, value} objects');
    }
  } else if (typeof list === 'object') {
    for (const type of ['dns', 'ip', 'email', 'uri'] as const) {
      const values = list[type];
      if (values === undefined || values === null) continue;
      const items = Array.isArray(values) ? values : splitText(String(values));
      for (const value of items) found.push(validateAltName({ type, value: String(value) }));
    }
  } else {
    throw new CertflowError('NAME_INVALID_TYPE', 'alternative names must be a text, a list or {dns, ip, email, uri}');
  }
  return dedupeAltNames(found);
}

export function dedupeAltNames(names: AltName[]): AltName[] {
  const seen = new Set<string>();
  return names.filter((name) => {
    const key = `${name.type}:${name.type === 'email' ? name.value.toLowerCase() : name.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** OpenSSL's way of writing a name: "DNS:example.com", "IP Address:10.0.0.1". */
export function formatAltName(name: AltName): string {
  const label = { dns: 'DNS', ip: 'IP Address', email: 'email', uri: 'URI' }[name.type];
  return `${label}:${name.value}`;
}
