/**
 * deSEC (desec.io, and dedyn.io dynDNS sub-zones) with an API token.
 * Built from https://desec.readthedocs.io/en/latest/dns/domains.html (GET /api/v1/domains/,
 * ?owns_qname= for the zone of a name, cursor pagination with Link rel="next"),
 * https://desec.readthedocs.io/en/latest/dns/rrsets.html (GET .../rrsets/{subname}/TXT/, bulk PATCH
 * /rrsets/ creates, changes or - with records [] - deletes RRsets; TXT values quoted) and
 * https://desec.readthedocs.io/en/latest/rate-limits.html (429 with Retry-After).
 */
import { CertflowError } from '../../../errors';
import { jsonApi, jsonFields, relativeName, required, type DnsProvider, type DnsZone, type HttpAnswer, type ProviderSettings } from '../provider';

export interface DesecOptions extends ProviderSettings {
  /** API token. SECRET. */
  token: string;
}

export const DESEC_API = 'https://desec.io/api/v1';

/** An RRset (GET .../rrsets/{subname}/TXT/). */
interface DesecRrset {
  records: string[];
  ttl: number;
}

/** A domain in a domain list (GET /domains/). */
interface DesecDomain {
  name: string;
}

/** The domain list, a JSON array; none when the answer is something else. */
function domainsOf(answer: HttpAnswer): DesecDomain[] | undefined {
  return Array.isArray(answer.json) ? (answer.json as DesecDomain[]) : undefined;
}

const quote = (v: string) => `"${v}"`;
const unquote = (v: string) => v.replace(/^"|"$/g, '');

export function createDesec(opts: DesecOptions): DnsProvider {
  const label = 'deSEC';
  const token = required(label, 'token', opts.token);
  const base = (opts.apiUrl || DESEC_API).replace(/\/$/, '');

  function explain(answer: HttpAnswer, zone?: string): string | undefined {
    if (answer.status === 401) return 'the token is not valid (create one at desec.io > Token management)';
    if (answer.status === 403) return `the token may not change ${zone ?? 'this domain'}: its scoping policy must allow writing TXT records there`;
    const { detail } = jsonFields<{ detail: unknown }>(answer);
    return typeof detail === 'string' ? detail : undefined;
  }

  const api = jsonApi({ provider: label, base, authorization: `Token ${token}`, secret: token, settings: opts, explain });

  async function currentValues(zone: DnsZone, sub: string, fqdn: string): Promise<{ values: string[]; ttl?: number }> {
    const answer = await api('GET', `/domains/${zone.name}/rrsets/${sub || '@'}/TXT/`, `reading TXT ${fqdn}`, undefined, zone.name, [404]);
    if (answer.status === 404) return { values: [] };
    const { records, ttl } = jsonFields<DesecRrset>(answer);
    return { values: (records ?? []).map(unquote), ttl };
  }

  async function write(zone: DnsZone, fqdn: string, values: string[], ttl: number | undefined, what: string) {
    const sub = relativeName(fqdn, zone.name);
    await api(
      'PATCH',
      `/domains/${zone.name}/rrsets/`,
      what,
      [{ subname: sub, type: 'TXT', ttl: ttl ?? Math.max(opts.ttl ?? 3600, 3600), records: values.map(quote) }],
      zone.name,
    );
  }

  return {
    id: 'desec',
    label,
    multipleValues: true,
    async findZone(fqdn) {
      const answer = await api('GET', `/domains/?owns_qname=${encodeURIComponent(fqdn)}`, `finding the domain of ${fqdn}`);
      const domain = domainsOf(answer)?.[0];
      if (!domain) {
        throw new CertflowError(
          'DNS_ZONE_NOT_FOUND',
          `deSEC has no domain holding ${fqdn} in this account: add it at desec.io (dedyn.io names are their own domain)`,
          { provider: label },
        );
      }
      return { id: domain.name, name: domain.name };
    },
    async setTxt(zone, fqdn, value) {
      const { values, ttl } = await currentValues(zone, relativeName(fqdn, zone.name), fqdn);
      if (values.includes(value)) return;
      await write(zone, fqdn, [...values, value], ttl, `setting TXT ${fqdn}`);
    },
    async removeTxt(zone, fqdn, value) {
      const { values, ttl } = await currentValues(zone, relativeName(fqdn, zone.name), fqdn);
      if (!values.includes(value)) return;
      await write(
        zone,
        fqdn,
        values.filter((v) => v !== value),
        ttl,
        `removing TXT ${fqdn}`,
      );
    },
    async listZones() {
      const names: string[] = [];
      let url: string | undefined = '/domains/';
      for (let page = 0; url && page < 50; page += 1) {
        const answer: HttpAnswer = await api('GET', url, 'listing the domains');
        for (const d of domainsOf(answer) ?? []) names.push(d.name);
        const next = answer.headers.get('link')?.match(/<([^>]+)>;\s*rel="next"/);
        url = next ? next[1] : undefined;
      }
      return names;
    },
  };
}
