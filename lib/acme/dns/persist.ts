/**
 * The two account-bound DNS challenges:
 * - dns-persist-01 (draft-ietf-acme-dns-persist-02, https://datatracker.ietf.org/doc/draft-ietf-acme-dns-persist/):
 *   one TXT record `_validation-persist.<domain>` set once by hand,
 *   `<issuer-domain-name>; accounturi=<account URL>[; policy=wildcard][; persistUntil=<unix time>]`
 *   (RFC 8659 issue-value syntax); the issuer domain names come with the challenge
 *   (`issuer-domain-names`). Renewals then need no DNS access at all.
 * - dns-account-01 (draft-ietf-acme-dns-account-label-03): the dns-01 value at
 *   `_<label>._acme-challenge.<domain>`, label = base32(SHA-256(account URL)[0..9]) in lower
 *   case, so several accounts/instances can validate one name without overwriting each other.
 * Pebble 2.10's VA (va/va.go validateDNSPersist01 / validateDNSAccount01) checks exactly these.
 */
import { createHash } from 'node:crypto';
import { CertflowError } from '../../errors';
import { resolve, type ResolverOptions } from './zone';
import { TYPE } from './wire';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** `_<label>._acme-challenge.<domain>` for dns-account-01. */
export function dnsAccountRecordName(accountUrl: string, identifier: string): string {
  const label = base32(createHash('sha256').update(accountUrl).digest().subarray(0, 10));
  return `_${label}._acme-challenge.${identifier.replace(/^\*\./, '')}`;
}

export interface PersistRecordOptions {
  /** Identifier, '*.example.com' or 'example.com'. */
  identifier: string;
  accountUrl: string;
  /** The CA's issuer domain name (first of the challenge's `issuer-domain-names`). */
  issuer: string;
  /** Allow wildcards (and subdomains): default when the identifier is a wildcard. */
  wildcard?: boolean;
  /** The record stops authorizing after this time. */
  persistUntil?: Date;
}

/** The record to create once: { name, value, zoneLine } (zoneLine in zone-file syntax). */
export function persistRecord(opts: PersistRecordOptions): { name: string; value: string; zoneLine: string } {
  const name = `_validation-persist.${opts.identifier.replace(/^\*\./, '')}`;
  const parts = [opts.issuer, `accounturi=${opts.accountUrl}`];
  if (opts.wildcard ?? opts.identifier.startsWith('*.')) parts.push('policy=wildcard');
  if (opts.persistUntil) parts.push(`persistUntil=${Math.floor(opts.persistUntil.getTime() / 1000)}`);
  const value = parts.join('; ');
  return { name, value, zoneLine: `${name}. 3600 IN TXT "${value}"` };
}

interface ParsedPersist {
  issuer: string;
  params: Record<string, string>;
}

function parsePersist(value: string): ParsedPersist | undefined {
  const [issuer, ...rest] = value.split(';');
  if (!issuer?.trim()) return undefined;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const [tag, ...v] = p.split('=');
    if (!tag?.trim() || v.length === 0) return undefined;
    params[tag.trim().toLowerCase()] = v.join('=').trim();
  }
  return { issuer: issuer.trim(), params };
}

/** Why a published value does not authorize this account, or undefined when it does. */
function mismatch(value: string, issuers: string[], accountUrl: string, wildcard: boolean, now: Date): string | undefined {
  const parsed = parsePersist(value);
  if (!parsed) return `"${value}" is not in the form "<issuer>; accounturi=<account URL>"`;
  if (!issuers.includes(parsed.issuer)) return `"${value}" names the CA "${parsed.issuer}", not ${issuers.map((i) => `"${i}"`).join(' or ')}`;
  if (!parsed.params.accounturi) return `"${value}" has no accounturi`;
  if (parsed.params.accounturi !== accountUrl) return `"${value}" names another account (${parsed.params.accounturi})`;
  if (wildcard && (parsed.params.policy ?? '').toLowerCase() !== 'wildcard') return `"${value}" lacks "policy=wildcard", needed for a wildcard`;
  const until = parsed.params.persistuntil;
  if (until !== undefined && (!/^-?\d+$/.test(until) || Number(until) * 1000 < now.getTime())) return `"${value}" expired (persistUntil=${until})`;
  return undefined;
}

/**
 * Checks that `_validation-persist.<domain>` authorizes this account (asked of the resolvers).
 * Throws ACME_DNS_PERSIST_MISSING with the exact record to create when it does not.
 */
export async function checkPersistRecord(opts: PersistRecordOptions & { issuers: string[]; resolver?: ResolverOptions }): Promise<void> {
  const wanted = persistRecord(opts);
  const wildcard = opts.identifier.startsWith('*.');
  let values: string[];
  try {
    const answer = await resolve(wanted.name, TYPE.TXT, opts.resolver);
    values = answer.answers.filter((r) => r.type === TYPE.TXT).map((r) => r.data);
  } catch {
    values = [];
  }
  const problems = values.map((v) => mismatch(v, opts.issuers, opts.accountUrl, wildcard, new Date()));
  if (problems.some((p) => p === undefined)) return;
  const found = problems.filter(Boolean);
  const why = found.length ? `the record there does not fit: ${found.join('; ')}` : `there is no TXT record ${wanted.name}`;
  throw new CertflowError(
    'ACME_DNS_PERSIST_MISSING',
    `dns-persist-01 for ${opts.identifier}: ${why}. Create this record once in your DNS (later renewals need no DNS access): ${wanted.zoneLine}`,
    { record: wanted.name, value: wanted.value, identifier: opts.identifier },
  );
}
