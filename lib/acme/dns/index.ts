/**
 * DNS for the DNS-based ACME challenges, built in (no flow needed):
 *   provider.ts      the DnsProvider interface (find zone, set TXT, remove TXT, one value or
 *                    several per name, list zones), provider errors, the shared HTTP helper
 *   providers/       one file per provider: Cloudflare, DuckDNS, deSEC, acme-dns, Route 53
 *                    (SigV4), Hetzner (Cloud API), RFC 2136 (dynamic update + TSIG)
 *   wire.ts          DNS wire format, TSIG, UDP/TCP exchange (node:dgram / node:net)
 *   zone.ts          CNAME following, zone by SOA, authoritative servers by NS
 *   propagation.ts   wait until every authoritative server (and the resolvers) serve a value
 *   solver.ts        a provider as the order's dns-01 hook (delegation, zones, cleanup, serial writes)
 *   persist.ts       dns-persist-01 record (build, check) and the dns-account-01 record name
 */
export type { DnsProvider, DnsZone, ProviderSettings } from './provider';
export { providerError, scrub, retryAfterMs } from './provider';
export * from './providers';
export { waitForAuthoritativeTxt } from './propagation';
export type { PropagationOptions } from './propagation';
export { providerHook } from './solver';
export type { ProviderHookOptions } from './solver';
export { followCname, findZoneBySoa, authoritativeServers, resolverServers, txtAt } from './zone';
export type { ResolverOptions, Authority } from './zone';
export { checkPersistRecord, persistRecord, dnsAccountRecordName } from './persist';
export type { PersistRecordOptions } from './persist';
export { buildQuery, buildUpdate, parseMessage, signMessage, verifyResponse, exchange, query, TYPE } from './wire';
export type { TsigKey, DnsServer } from './wire';
