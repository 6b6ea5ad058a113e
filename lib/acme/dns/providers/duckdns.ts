/**
 * DuckDNS with the account token. One TXT value per domain (every name under
 * <sub>.duckdns.org answers with it), so challenges run one at a time.
 * Built from https://www.duckdns.org/spec.jsp (GET /update?domains=&token=&txt=[&clear=true][&verbose=true],
 * answer "OK" or "KO" with HTTP 200).
 */
import { CertflowError } from '../../../errors';
import { providerError, providerFetch, required, type DnsProvider, type DnsZone, type ProviderSettings } from '../provider';

export interface DuckDnsOptions extends ProviderSettings {
  /** Account token. SECRET. */
  token: string;
  /** 'myhome' or 'myhome.duckdns.org' (optional: taken from the record name). */
  domain?: string;
}

export const DUCKDNS_API = 'https://www.duckdns.org';

/** 'myhome' from '_acme-challenge.x.myhome.duckdns.org', 'myhome.duckdns.org' or 'myhome'. */
export function duckDnsSubdomain(name: string): string {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.');
  const at = labels.lastIndexOf('duckdns');
  if (at > 0 && labels[at + 1] === 'org' && at === labels.length - 2) return labels[at - 1];
  if (labels.length === 1) return labels[0];
  throw new CertflowError('DNS_NOT_IN_ZONE', `${name} is not a DuckDNS name (<name>.duckdns.org)`, { provider: 'DuckDNS' });
}

export function createDuckDns(opts: DuckDnsOptions): DnsProvider {
  const label = 'DuckDNS';
  const token = required(label, 'token', opts.token);
  const base = (opts.apiUrl || DUCKDNS_API).replace(/\/$/, '');
  const configured = opts.domain?.trim() ? duckDnsSubdomain(opts.domain.trim()) : undefined;

  async function update(sub: string, txt: string, clear: boolean, what: string): Promise<void> {
    const params = new URLSearchParams({ domains: sub, token, txt });
    if (clear) params.set('clear', 'true');
    params.set('verbose', 'true');
    const answer = await providerFetch({ provider: label, method: 'GET', url: `${base}/update?${params}`, secrets: [token], settings: opts, what });
    if (!answer.text.trim().startsWith('OK')) {
      throw providerError(label, `refused ${what}`, `answer "KO"`, `check the token and that ${sub}.duckdns.org belongs to this DuckDNS account`);
    }
  }

  return {
    id: 'duckdns',
    label,
    multipleValues: false,
    findZone(fqdn) {
      // a Promise executor's throw becomes the rejection, as in an async function
      return new Promise<DnsZone>((resolve) => {
        const sub = duckDnsSubdomain(fqdn);
        if (configured && configured !== sub) {
          throw new CertflowError(
            'DNS_ZONE_NOT_FOUND',
            `DuckDNS: ${fqdn} is not under ${configured}.duckdns.org, the domain in the DNS provider settings`,
            { provider: label },
          );
        }
        resolve({ id: sub, name: `${sub}.duckdns.org` });
      });
    },
    async setTxt(zone, fqdn, value) {
      await update(zone.id, value, false, `setting TXT ${fqdn}`);
    },
    async removeTxt(zone, fqdn) {
      await update(zone.id, 'removed', true, `removing TXT ${fqdn}`);
    },
    async listZones() {
      if (!configured) throw new CertflowError('DNS_PROVIDER_CONFIG', 'DuckDNS: enter your domain (e.g. myhome.duckdns.org) to test the token');
      await update(configured, 'removed', true, `clearing the TXT record of ${configured}.duckdns.org`);
      return [`${configured}.duckdns.org`];
    },
  };
}
