/**
 * The one interface every DNS provider implements, its errors, and the HTTP helper the HTTP
 * providers share (timeout, Retry-After on 429, secrets scrubbed from anything shown).
 */
import { CertflowError } from '../../errors';
import { isObject } from '../../guards';
import { sleep } from '../transport';

export interface DnsZone {
  /** Provider's id of the zone (Cloudflare zone id, Route 53 hosted zone id, ...); the name when it has none. */
  id: string;
  /** Zone name without trailing dot, e.g. 'example.com'. */
  name: string;
}

export interface DnsProvider {
  /** Short id, 'cloudflare'. */
  readonly id: string;
  /** Name shown to people, 'Cloudflare'. */
  readonly label: string;
  /** False when a name can hold only one TXT value at a time (DuckDNS): challenges then run one at a time. */
  readonly multipleValues: boolean;
  /** The provider's zone for a record name; `soaZone` is what DNS says (a hint, may be undefined). */
  findZone(fqdn: string, soaZone?: string): Promise<DnsZone>;
  setTxt(zone: DnsZone, fqdn: string, value: string): Promise<void>;
  removeTxt(zone: DnsZone, fqdn: string, value: string): Promise<void>;
  /** Zones the credentials can edit (the editor's Test button). */
  listZones(): Promise<string[]>;
}

/** Common settings of every provider (from the config node). */
export interface ProviderSettings {
  /** API base URL override (configuration/tests only). */
  apiUrl?: string;
  timeoutMs?: number;
  /** Longest Retry-After honoured (default 60 s); a longer wait fails with the time to wait. */
  maxRetryAfterMs?: number;
  /** TTL of the TXT records set (default 60, or the provider's minimum). */
  ttl?: number;
}

/** A provider's refusal, naming the provider, the record, the HTTP status or DNS rcode, and the fix. */
export function providerError(provider: string, what: string, status: string, fix?: string, details: Record<string, unknown> = {}): CertflowError {
  return new CertflowError('DNS_PROVIDER_FAILED', `${provider} ${what} (${status})${fix ? `: ${fix}` : ''}`, { provider, status, ...details });
}

/** Replaces every secret in a text (an upstream error body may echo what it got). */
export function scrub(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[secret]');
  return out;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
}

/**
 * The fields of a JSON answer, typed as the provider documents them (its promise, not checked
 * here: read them as optional); an empty object when the answer is not a JSON object.
 */
export function jsonFields<T extends object>(answer: HttpAnswer): Partial<T> {
  return isObject(answer.json) ? (answer.json as Partial<T>) : {};
}

export interface HttpRequest {
  provider: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Values to scrub from anything that could be shown. */
  secrets: (string | undefined)[];
  settings?: ProviderSettings;
  /** Statuses that are answers, not failures (e.g. 404 when looking for a zone). */
  accept?: number[];
  /** What the request does, for the error ('setting TXT _acme-challenge.example.com'). */
  what: string;
  /** Maps a failed answer to a fix for the user. */
  explain?: (answer: HttpAnswer) => string | undefined;
}

/** Seconds or an HTTP date (Retry-After), or a unix time (RateLimit-Reset), as a wait in ms. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value) {
    if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('ratelimit-reset') ?? headers.get('x-ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) {
    const n = Number(reset);
    // a unix time (Hetzner) or seconds from now (IETF RateLimit draft)
    return n > 1e9 ? Math.max(0, n * 1000 - now) : n * 1000;
  }
  return undefined;
}

/**
 * One HTTP request to a provider's API. 429 (and 503 with Retry-After) is retried after the
 * time the provider asks for, at most 3 times; other failures throw a providerError.
 */
export async function providerFetch(req: HttpRequest): Promise<HttpAnswer> {
  const timeoutMs = req.settings?.timeoutMs ?? 30000;
  const maxWait = req.settings?.maxRetryAfterMs ?? 60000;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetch(req.url, {
        method: req.method,
        headers: {
          'User-Agent': 'node-red-certificates',
          ...(req.body !== undefined && !Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
            ? { 'Content-Type': 'application/json' }
            : {}),
          ...req.headers,
        },
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw providerError(
        req.provider,
        `could not be reached while ${req.what}`,
        `${new URL(req.url).host}: ${cause}`,
        'check the network and the API address',
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const answer: HttpAnswer = { status: response.status, headers: response.headers, text, json };
    if (response.ok || req.accept?.includes(response.status)) return answer;
    const wait = retryAfterMs(response.headers);
    if ((response.status === 429 || (response.status === 503 && wait !== undefined)) && attempt < 3) {
      const ms = wait ?? 1000 * 2 ** attempt;
      if (ms <= maxWait) {
        await sleep(ms);
        continue;
      }
      throw providerError(
        req.provider,
        `is rate limiting while ${req.what}`,
        `HTTP ${response.status}`,
        `it asks to wait ${Math.ceil(ms / 1000)} s; try again later`,
        { retryAfterMs: ms },
      );
    }
    const fix = req.explain?.(answer);
    const snippet = scrub(text.replace(/\s+/g, ' ').slice(0, 200), req.secrets);
    throw providerError(req.provider, `refused ${req.what}`, `HTTP ${response.status}`, fix ?? (snippet || undefined));
  }
}

/** A provider's sentence for a refused answer (the fix), given the zone the request was about. */
export type ExplainRefusal = (answer: HttpAnswer, zone?: string) => string | undefined;

/** One call of a provider's JSON API: `zone` names the zone for `explain`; `accept` as in HttpRequest. */
export type JsonApiCall = (method: string, path: string, what: string, body?: unknown, zone?: string, accept?: number[]) => Promise<HttpAnswer>;

export interface JsonApiOptions {
  provider: string;
  /** The API's base URL, without a trailing slash. */
  base: string;
  /** The Authorization header ('Bearer <token>'). */
  authorization: string;
  /** The credential to scrub from anything shown. */
  secret: string;
  settings: ProviderSettings;
  explain: ExplainRefusal;
}

/**
 * The request function of a provider with a token-authenticated JSON API (Cloudflare, Hetzner,
 * deSEC): `path` is below `base` (or a whole URL, e.g. a pagination link), a `body` is sent as
 * JSON, and a refusal is explained by the provider's own `explain`.
 */
export function jsonApi(opts: JsonApiOptions): JsonApiCall {
  return (method, path, what, body, zone, accept) =>
    providerFetch({
      provider: opts.provider,
      method,
      url: path.startsWith('http') ? path : `${opts.base}${path}`,
      headers: { Authorization: opts.authorization },
      body: body === undefined ? undefined : JSON.stringify(body),
      secrets: [opts.secret],
      settings: opts.settings,
      what,
      accept,
      explain: (answer) => opts.explain(answer, zone),
    });
}

/** Zone candidates for a name, longest first: 'a.b.example.com' -> ['a.b.example.com', 'b.example.com', 'example.com']. */
export function zoneCandidates(fqdn: string): string[] {
  const labels = fqdn.replace(/\.$/, '').toLowerCase().split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1; i += 1) out.push(labels.slice(i).join('.'));
  return out;
}

/** The zones to ask a provider for, in order: the one DNS names (SOA) first, then zoneCandidates. */
export function zoneSearchOrder(fqdn: string, soaZone?: string): string[] {
  return soaZone ? [soaZone, ...zoneCandidates(fqdn).filter((c) => c !== soaZone)] : zoneCandidates(fqdn);
}

/**
 * The zone of a name at a provider that is asked zone by zone: the first of zoneSearchOrder
 * that `lookup` finds. None: DNS_ZONE_NOT_FOUND, with `notFound(tried)` (tried: the names asked).
 */
export async function findZoneByName(
  provider: string,
  fqdn: string,
  soaZone: string | undefined,
  lookup: (name: string) => Promise<DnsZone | undefined>,
  notFound: (tried: string) => string,
): Promise<DnsZone> {
  const candidates = zoneSearchOrder(fqdn, soaZone);
  for (const name of candidates) {
    const zone = await lookup(name);
    if (zone) return zone;
  }
  throw new CertflowError('DNS_ZONE_NOT_FOUND', notFound(candidates.join(', ')), { provider });
}

/** How a JSON API finds a zone by its name: the request, and the zones in the answer. */
export interface ZoneQuery {
  path: (name: string) => string;
  what: (name: string) => string;
  zones: (answer: HttpAnswer) => { id: string | number; name: string }[] | undefined;
}

/**
 * findZone for a JSON API asked zone by zone (findZoneByName): GET query.path(name); the zone
 * is the one of query.zones(answer) with that name. notFound as for findZoneByName, with fqdn.
 */
export function zoneFinderByName(
  provider: string,
  api: JsonApiCall,
  query: ZoneQuery,
  notFound: (fqdn: string, tried: string) => string,
): DnsProvider['findZone'] {
  return (fqdn, soaZone) =>
    findZoneByName(
      provider,
      fqdn,
      soaZone,
      async (name) => {
        const zone = query.zones(await api('GET', query.path(name), query.what(name)))?.find((z) => z.name === name);
        return zone ? { id: String(zone.id), name: zone.name } : undefined;
      },
      (tried) => notFound(fqdn, tried),
    );
}

/** The record name relative to its zone ('_acme-challenge.www' in 'example.com'; '' at the apex). */
export function relativeName(fqdn: string, zone: string): string {
  const name = fqdn.replace(/\.$/, '').toLowerCase();
  const z = zone.replace(/\.$/, '').toLowerCase();
  if (name === z) return '';
  if (!name.endsWith(`.${z}`)) throw new CertflowError('DNS_NOT_IN_ZONE', `${name} is not in the zone ${z}`);
  return name.slice(0, -(z.length + 1));
}

/** Throws when a required credential or setting is empty. */
export function required(provider: string, field: string, value: string | undefined): string {
  if (!value || !String(value).trim())
    throw new CertflowError('DNS_PROVIDER_CONFIG', `${provider}: the ${field} is missing in the DNS provider settings`);
  return String(value).trim();
}
