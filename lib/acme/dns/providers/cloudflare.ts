/**
 * Cloudflare DNS with an API token (Zone:DNS:Edit).
 * Built from https://developers.cloudflare.com/api/resources/zones/methods/list/ (GET /zones?name=,
 * pagination result_info), https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/
 * (POST /zones/{zone_id}/dns_records), .../records/methods/list/ and .../methods/delete/, and
 * https://developers.cloudflare.com/fundamentals/api/reference/limits/ (429, Retry-After).
 */
import {
  jsonApi,
  jsonFields,
  providerError,
  required,
  type DnsProvider,
  type DnsZone,
  type HttpAnswer,
  type ProviderSettings,
  zoneFinderByName,
} from '../provider';

export interface CloudflareOptions extends ProviderSettings {
  /** API token. SECRET. */
  token: string;
}

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

/** Every Cloudflare answer: {success, errors, messages, result, result_info} (the fields read here). */
interface CloudflareAnswer<T> {
  result: T;
  errors: { code?: number; message?: string }[];
  result_info: { total_pages?: number };
}

export function createCloudflare(opts: CloudflareOptions): DnsProvider {
  const label = 'Cloudflare';
  const token = required(label, 'API token', opts.token);
  const base = (opts.apiUrl || CLOUDFLARE_API).replace(/\/$/, '');
  const ids = new Map<string, string>(); // `${zone}|${fqdn}|${value}` -> record id

  function explain(answer: HttpAnswer, zone?: string): string | undefined {
    const { errors } = jsonFields<CloudflareAnswer<unknown>>(answer);
    const codes = (errors ?? []).map((e) => e.code);
    if (answer.status === 401 || answer.status === 403 || codes.some((c) => c === 1000 || c === 6003 || c === 9109 || c === 10000)) {
      return `the token is not valid or lacks a permission: it needs Zone:DNS:Edit${zone ? ` on ${zone}` : ''}`;
    }
    const message = errors?.map((e) => e.message).join('; ');
    return message || undefined;
  }

  const api = jsonApi({ provider: label, base, authorization: `Bearer ${token}`, secret: token, settings: opts, explain });

  return {
    id: 'cloudflare',
    label,
    multipleValues: true,
    findZone: zoneFinderByName(
      label,
      api,
      {
        path: (name) => `/zones?name=${encodeURIComponent(name)}&status=active`,
        what: (name) => `reading the zone ${name}`,
        zones: (answer) => jsonFields<CloudflareAnswer<{ id: string; name: string }[]>>(answer).result,
      },
      (fqdn, tried) =>
        `Cloudflare has no zone for ${fqdn} that this token can see (tried ${tried}): add the domain to Cloudflare, or give the token Zone:DNS:Edit on it`,
    ),
    async setTxt(zone: DnsZone, fqdn, value) {
      const what = `setting TXT ${fqdn}`;
      const answer = await api(
        'POST',
        `/zones/${zone.id}/dns_records`,
        what,
        { type: 'TXT', name: fqdn, content: value, ttl: opts.ttl ?? 60, comment: 'ACME challenge (node-red-certificates)' },
        zone.name,
      );
      const id = jsonFields<CloudflareAnswer<{ id?: unknown } | undefined>>(answer).result?.id;
      if (typeof id !== 'string') throw providerError(label, `did not return a record id while ${what}`, `HTTP ${answer.status}`);
      ids.set(`${zone.id}|${fqdn}|${value}`, id);
    },
    async removeTxt(zone: DnsZone, fqdn, value) {
      const key = `${zone.id}|${fqdn}|${value}`;
      let id = ids.get(key);
      if (!id) {
        const found = await api(
          'GET',
          `/zones/${zone.id}/dns_records?type=TXT&name=${encodeURIComponent(fqdn)}&per_page=100`,
          `looking up TXT ${fqdn}`,
          undefined,
          zone.name,
        );
        id = jsonFields<CloudflareAnswer<{ id: string; content: string }[]>>(found).result?.find(
          (r) => r.content.replace(/^"|"$/g, '') === value,
        )?.id;
        if (!id) return; // already gone
      }
      await api('DELETE', `/zones/${zone.id}/dns_records/${id}`, `removing TXT ${fqdn}`, undefined, zone.name, [404]);
      ids.delete(key);
    },
    async listZones() {
      const names: string[] = [];
      for (let page = 1; page <= 50; page += 1) {
        const answer = await api('GET', `/zones?per_page=50&page=${page}`, 'listing the zones');
        const { result, result_info: info } = jsonFields<CloudflareAnswer<{ name: string }[]>>(answer);
        for (const z of result ?? []) names.push(z.name);
        if (!info?.total_pages || page >= info.total_pages) break;
      }
      return names;
    },
  };
}
