/**
 * Hetzner DNS through the Hetzner Cloud API (api.hetzner.cloud/v1; the old DNS Console API at
 * dns.hetzner.com was retired in May 2026) with a project API token (Read & Write).
 * Built from https://docs.hetzner.cloud/reference/cloud#zones (GET /zones?name=, pagination
 * meta.pagination), https://docs.hetzner.cloud/reference/cloud#zone-rrsets (GET
 * /zones/{id_or_name}/rrsets/{rr_name}/{rr_type}; POST .../actions/add_records and
 * .../actions/remove_records with {records: [{value}]}, TXT values quoted), the actions
 * (GET /actions/{id}: running -> success | error), errors ({error: {code, message}}) and
 * rate limits (429 rate_limit_exceeded, RateLimit-Reset) in https://docs.hetzner.cloud/reference/cloud#overview.
 */
import { sleep } from '../../transport';
import {
  jsonApi,
  jsonFields,
  providerError,
  relativeName,
  required,
  type DnsProvider,
  type DnsZone,
  type HttpAnswer,
  type ProviderSettings,
  zoneFinderByName,
} from '../provider';

export interface HetznerOptions extends ProviderSettings {
  /** Cloud API token (Read & Write). SECRET. */
  token: string;
  /** Longest wait for an action to finish (default 60 s). */
  actionTimeoutMs?: number;
  actionPollMs?: number;
}

export const HETZNER_API = 'https://api.hetzner.cloud/v1';

/** An action (running -> success | error), in the answer of every change and of GET /actions/{id}. */
interface HetznerAction {
  id: number;
  status: string;
  error?: { code: string; message: string };
}

/** The fields of Hetzner's answers read here (each answer has some of them). */
interface HetznerAnswer {
  error: { code?: unknown; message?: unknown };
  action: HetznerAction;
  rrset: { records?: { value: string }[] };
  zones: { id: number | string; name: string }[];
  meta: { pagination?: { next_page?: number | null } };
}

export function createHetzner(opts: HetznerOptions): DnsProvider {
  const label = 'Hetzner';
  const token = required(label, 'API token', opts.token);
  const base = (opts.apiUrl || HETZNER_API).replace(/\/$/, '');

  function explain(answer: HttpAnswer, zone?: string): string | undefined {
    const { error } = jsonFields<HetznerAnswer>(answer);
    const code = error?.code;
    if (answer.status === 401 || code === 'unauthorized')
      return 'the API token is not valid: create one in the Hetzner Console under Security > API tokens';
    if (answer.status === 403 || code === 'forbidden' || code === 'token_readonly')
      return `the API token is read-only or may not change ${zone ?? 'this zone'}: it needs Read & Write`;
    if (code === 'incorrect_zone_mode') return `${zone ?? 'the zone'} is a secondary zone: records can only be changed on its primary`;
    const message = error?.message;
    return typeof message === 'string' ? `${String(code)}: ${message}` : undefined;
  }

  const api = jsonApi({ provider: label, base, authorization: `Bearer ${token}`, secret: token, settings: opts, explain });

  async function waitForAction(answer: HttpAnswer, what: string): Promise<void> {
    let action = jsonFields<HetznerAnswer>(answer).action;
    const deadline = Date.now() + (opts.actionTimeoutMs ?? 60000);
    while (action && action.status === 'running') {
      if (Date.now() > deadline) throw providerError(label, `did not finish ${what} in time`, `action ${action.id} still running`, 'try again later');
      await sleep(opts.actionPollMs ?? 1000);
      action = jsonFields<HetznerAnswer>(await api('GET', `/actions/${action.id}`, `checking action ${action.id}`)).action;
    }
    if (action && action.status === 'error')
      throw providerError(label, `failed ${what}`, `action ${action.id}: ${action.error?.code ?? 'error'}`, action.error?.message);
  }

  const rrPath = (zone: DnsZone, fqdn: string) =>
    `/zones/${encodeURIComponent(zone.id)}/rrsets/${encodeURIComponent(relativeName(fqdn, zone.name) || '@')}/TXT`;

  async function values(zone: DnsZone, fqdn: string): Promise<string[]> {
    const answer = await api('GET', rrPath(zone, fqdn), `reading TXT ${fqdn}`, undefined, zone.name, [404]);
    if (answer.status === 404) return [];
    return (jsonFields<HetznerAnswer>(answer).rrset?.records ?? []).map((r) => r.value.replace(/^"|"$/g, ''));
  }

  return {
    id: 'hetzner',
    label,
    multipleValues: true,
    findZone: zoneFinderByName(
      label,
      api,
      {
        path: (name) => `/zones?name=${encodeURIComponent(name)}`,
        what: (name) => `finding the zone ${name}`,
        zones: (answer) => jsonFields<HetznerAnswer>(answer).zones,
      },
      (fqdn, tried) =>
        `Hetzner has no zone for ${fqdn} in this project (tried ${tried}): add the zone in the Hetzner Console (DNS), or use the token of the project that has it`,
    ),
    async setTxt(zone, fqdn, value) {
      const what = `setting TXT ${fqdn}`;
      const answer = await api(
        'POST',
        `${rrPath(zone, fqdn)}/actions/add_records`,
        what,
        { ttl: opts.ttl ?? 60, records: [{ value: `"${value}"`, comment: 'ACME challenge' }] },
        zone.name,
      );
      await waitForAction(answer, what);
    },
    async removeTxt(zone, fqdn, value) {
      if (!(await values(zone, fqdn)).includes(value)) return;
      const what = `removing TXT ${fqdn}`;
      const answer = await api(
        'POST',
        `${rrPath(zone, fqdn)}/actions/remove_records`,
        what,
        { records: [{ value: `"${value}"` }] },
        zone.name,
        [404],
      );
      if (answer.status !== 404) await waitForAction(answer, what);
    },
    async listZones() {
      const names: string[] = [];
      for (let page = 1; page <= 50; page += 1) {
        const answer = await api('GET', `/zones?page=${page}&per_page=50`, 'listing the zones');
        const { zones, meta } = jsonFields<HetznerAnswer>(answer);
        for (const z of zones ?? []) names.push(z.name);
        const next = meta?.pagination?.next_page;
        if (!next) break;
        page = Number(next) - 1;
      }
      return names;
    },
  };
}
