/**
 * ACME identifiers: DNS names (wildcards included) and IP addresses (RFC 8738), and which
 * challenge proves each one.
 */
import { isIP } from 'node:net';
import { CertflowError } from '../errors';
import { validateDnsName, validateIpAddress } from '../pki/names';
import type { AcmeIdentifier, ChallengeOptions, ChallengeType } from './types';

const CHALLENGE_TYPES: readonly ChallengeType[] = ['http-01', 'dns-01', 'tls-alpn-01', 'dns-account-01', 'dns-persist-01'];

/** dns-01, dns-account-01 and dns-persist-01: proved in DNS (the only ones for wildcards). */
export function isDnsChallenge(type: ChallengeType): boolean {
  return type === 'dns-01' || type === 'dns-account-01' || type === 'dns-persist-01';
}

function toIdentifier(item: string | AcmeIdentifier): AcmeIdentifier {
  if (item && typeof item === 'object') {
    if (item.type === 'ip') return { type: 'ip', value: validateIpAddress(String(item.value)) };
    if (item.type === 'dns') return { type: 'dns', value: validateDnsName(String(item.value)) };
    throw new CertflowError(
      'ACME_BAD_IDENTIFIER',
      `identifier type "${String((item as { type?: unknown }).type)}" is not supported (use a DNS name or an IP address)`,
    );
  }
  const text = String(item).trim();
  // '[::1]' is how people write IPv6 in URLs
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(bare)) return { type: 'ip', value: validateIpAddress(bare) };
  return { type: 'dns', value: validateDnsName(text) };
}

/**
 * DNS names and IP addresses from a list or a comma/semicolon/newline separated text (a space
 * inside a name is an error, not a separator: "exa mple.com" is a typo to report). Names are
 * normalized (lower case, punycode), duplicates dropped, order kept. Throws a clear error for
 * an invalid entry and for an empty list.
 */
export function parseIdentifiers(input: string | ReadonlyArray<string | AcmeIdentifier> | undefined | null): AcmeIdentifier[] {
  const items: (string | AcmeIdentifier)[] =
    input === undefined || input === null ? [] : typeof input === 'string' ? input.split(/[,;\n]+/) : [...input];
  const result: AcmeIdentifier[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item === 'string' && item.trim() === '') continue;
    const id = toIdentifier(item);
    const key = `${id.type}:${id.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(id);
  }
  if (result.length === 0) {
    throw new CertflowError('ACME_NO_IDENTIFIERS', 'no DNS name or IP address given for the certificate');
  }
  return result;
}

/** How an identifier is shown in progress and errors: the name or address itself. */
export function identifierLabel(id: AcmeIdentifier): string {
  return id.value;
}

/** The TXT record name for dns-01: '_acme-challenge.' + the name without '*.'. */
export function dns01RecordName(id: AcmeIdentifier | string): string {
  const value = typeof id === 'string' ? id : id.value;
  return `_acme-challenge.${value.replace(/^\*\./, '')}`;
}

/**
 * The challenge for one identifier: per-identifier choice, then per kind, then the defaults
 * (http-01 for names, dns-01 for wildcards, http-01 for IPs). Refuses impossible choices
 * (a wildcard needs dns-01; an IP address cannot use dns-01).
 */
export function challengeTypeFor(id: AcmeIdentifier, options: ChallengeOptions = {}): ChallengeType {
  const wildcard = id.type === 'dns' && id.value.startsWith('*.');
  const chosen =
    options.perIdentifier?.[id.value] ??
    (wildcard
      ? (options.defaults?.wildcard ?? 'dns-01')
      : id.type === 'ip'
        ? (options.defaults?.ip ?? 'http-01')
        : (options.defaults?.dns ?? 'http-01'));
  if (!CHALLENGE_TYPES.includes(chosen)) {
    throw new CertflowError(
      'ACME_BAD_CHALLENGE',
      `"${String(chosen)}" is not a challenge type (use http-01, dns-01, tls-alpn-01, dns-account-01 or dns-persist-01)`,
    );
  }
  if (wildcard && !isDnsChallenge(chosen)) {
    throw new CertflowError(
      'ACME_BAD_CHALLENGE',
      `${id.value} is a wildcard: CAs accept only dns-01 (or dns-account-01, dns-persist-01) for wildcards, not ${chosen}`,
    );
  }
  if (id.type === 'ip' && isDnsChallenge(chosen)) {
    throw new CertflowError('ACME_BAD_CHALLENGE', `${id.value} is an IP address: use http-01 or tls-alpn-01 (${chosen} cannot prove an address)`);
  }
  return chosen;
}

/** Same set of identifiers (order and case do not matter)? */
export function sameIdentifiers(a: AcmeIdentifier[], b: AcmeIdentifier[]): boolean {
  const key = (list: AcmeIdentifier[]) => [...new Set(list.map((i) => `${i.type}:${i.value.toLowerCase()}`))].sort().join(',');
  return key(a) === key(b);
}
