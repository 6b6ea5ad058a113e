/**
 * The built-in DNS providers, one file each, all behind lib/acme/dns/provider.ts's DnsProvider,
 * and the one factory the config node uses.
 */
import { CertflowError } from '../../../errors';
import type { DnsProvider, ProviderSettings } from '../provider';
import { createAcmeDns, registerAcmeDns } from './acme-dns';
import { createCloudflare } from './cloudflare';
import { createDesec } from './desec';
import { createDuckDns } from './duckdns';
import { createHetzner } from './hetzner';
import { createRfc2136 } from './rfc2136';
import { createRoute53, signV4 } from './route53';

export { createAcmeDns, registerAcmeDns, createCloudflare, createDesec, createDuckDns, createHetzner, createRfc2136, createRoute53, signV4 };

export const PROVIDER_IDS = ['cloudflare', 'duckdns', 'desec', 'acme-dns', 'route53', 'hetzner', 'rfc2136'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Every field any provider reads; each provider takes the ones it needs. */
export interface ProviderConfig extends ProviderSettings {
  provider: ProviderId | (string & {});
  /** Cloudflare, DuckDNS, deSEC, Hetzner token. SECRET. */
  token?: string;
  /** DuckDNS domain, or RFC 2136 / Route 53 zone. */
  domain?: string;
  zone?: string;
  /** acme-dns */
  server?: string;
  username?: string;
  /** acme-dns password. SECRET. */
  password?: string;
  subdomain?: string;
  fulldomain?: string;
  /** Route 53 */
  accessKeyId?: string;
  /** Route 53 secret access key or RFC 2136 TSIG secret. SECRET. */
  secret?: string;
  hostedZoneId?: string;
  /** RFC 2136 */
  keyName?: string;
  algorithm?: string;
  /** Poll delays of Route 53 changes / Hetzner actions (tests make them short). */
  syncPollMs?: number;
  actionPollMs?: number;
}

export function createProvider(config: ProviderConfig): DnsProvider {
  const s: ProviderSettings = {
    apiUrl: config.apiUrl || undefined,
    timeoutMs: config.timeoutMs,
    maxRetryAfterMs: config.maxRetryAfterMs,
    ttl: config.ttl,
  };
  switch (config.provider) {
    case 'cloudflare':
      return createCloudflare({ ...s, token: config.token ?? '' });
    case 'duckdns':
      return createDuckDns({ ...s, token: config.token ?? '', domain: config.domain });
    case 'desec':
      return createDesec({ ...s, token: config.token ?? '' });
    case 'acme-dns':
      return createAcmeDns({
        ...s,
        server: config.server,
        username: config.username,
        password: config.password,
        subdomain: config.subdomain,
        fulldomain: config.fulldomain,
      });
    case 'route53':
      return createRoute53({
        ...s,
        accessKeyId: config.accessKeyId ?? '',
        secretAccessKey: config.secret ?? '',
        hostedZoneId: config.hostedZoneId,
        syncPollMs: config.syncPollMs,
      });
    case 'hetzner':
      return createHetzner({ ...s, token: config.token ?? '', actionPollMs: config.actionPollMs });
    case 'rfc2136':
      return createRfc2136({
        ...s,
        server: config.server ?? '',
        keyName: config.keyName,
        algorithm: config.algorithm,
        secret: config.secret,
        zone: config.zone,
      });
    default:
      throw new CertflowError('DNS_PROVIDER_CONFIG', `"${config.provider}" is not a DNS provider (choose one of ${PROVIDER_IDS.join(', ')})`);
  }
}

/** The secrets of a config (to check that none is ever shown). */
export function providerSecrets(config: ProviderConfig): string[] {
  return [config.token, config.password, config.secret].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
