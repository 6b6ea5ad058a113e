/**
 * IP addresses in one written form. Certificates carry them as 4 or 16 bytes, OpenSSL prints
 * IPv6 as full upper-case groups, people write them compressed or in brackets: everything is
 * compared and shown as RFC 5952 text ('2001:db8::1'), which is what Node's URL parser gives.
 */
import { isIP } from 'node:net';

/** RFC 5952 text of an IPv6 address (any valid spelling, brackets allowed); IPv4 and non-addresses unchanged. */
export function canonicalIp(address: string): string {
  const text = address.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(text) !== 6) return text;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** An iPAddress GeneralName's bytes as text: 4 bytes dotted, 16 bytes RFC 5952; other lengths as hex. */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return Buffer.from(bytes).toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return canonicalIp(groups.join(':'));
}

/** The 32 hex digits of an IPv6 address, zeros written out (for ip6.arpa names). */
export function ipv6Nibbles(address: string): string {
  const groups = canonicalIp(address).split(':');
  const gap = groups.indexOf('');
  if (gap >= 0) {
    const present = groups.filter((g) => g !== '');
    groups.splice(gap, groups.lastIndexOf('') - gap + 1, ...new Array<string>(8 - present.length).fill('0'));
  }
  return groups.map((g) => g.padStart(4, '0')).join('');
}
