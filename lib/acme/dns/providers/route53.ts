/**
 * Amazon Route 53 with an access key (route53:ListHostedZonesByName, ListResourceRecordSets,
 * ChangeResourceRecordSets, GetChange), signed with AWS Signature Version 4 on node:crypto.
 * Built from https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html,
 * .../API_ListResourceRecordSets.html, .../API_ChangeResourceRecordSets.html (UPSERT/DELETE of the
 * whole RRset, TXT values quoted), .../API_GetChange.html (PENDING -> INSYNC),
 * .../CommonErrors.html (Throttling, InvalidClientTokenId, SignatureDoesNotMatch, AccessDenied)
 * and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html.
 */
import { createHash, createHmac } from 'node:crypto';
import { sleep } from '../../transport';
import {
  providerError,
  providerFetch,
  required,
  findZoneByName,
  type DnsProvider,
  type DnsZone,
  type HttpAnswer,
  type ProviderSettings,
} from '../provider';

export interface Route53Options extends ProviderSettings {
  accessKeyId: string;
  /** SECRET. */
  secretAccessKey: string;
  /** Hosted zone id (optional: found by name). */
  hostedZoneId?: string;
  /** Longest wait for INSYNC (default 120 s). */
  syncTimeoutMs?: number;
  /** Delay between two GetChange calls (default 2 s). */
  syncPollMs?: number;
}

export const ROUTE53_API = 'https://route53.amazonaws.com';
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (also '!', "'", '(', ')', '*'). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Signature Version 4 headers for one request (region us-east-1, service route53 by default).
 * Returns the headers to send (Authorization, X-Amz-Date, and Host for the signature).
 */
export function signV4(req: {
  method: string;
  url: string;
  body?: string;
  headers?: Record<string, string>;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  service?: string;
  date?: Date;
}): Record<string, string> {
  const url = new URL(req.url);
  const region = req.region ?? 'us-east-1';
  const service = req.service ?? 'route53';
  const amzDate = (req.date ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...req.headers, host: url.host, 'x-amz-date': amzDate };
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim().replace(/\s+/g, ' ')]));
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path =
    url.pathname
      .split('/')
      .map((seg) => uriEncode(decodeURIComponent(seg)))
      .join('/') || '/';
  const canonical = [req.method, path, query, ...names.map((n) => `${n}:${lower[n]}`), '', names.join(';'), sha256(req.body ?? '')].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${req.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...(req.headers ?? {}),
    'X-Amz-Date': amzDate,
    Authorization: `AWS4-HMAC-SHA256 Credential=${req.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** Text of every <tag>...</tag> (no attributes, no nesting of the same tag: enough for Route 53's answers). */
export function xmlAll(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]);
  return out;
}
const xmlOne = (xml: string, tag: string) => xmlAll(xml, tag)[0];
const xmlText = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createRoute53(opts: Route53Options): DnsProvider {
  const label = 'Route 53';
  const accessKeyId = required(label, 'access key ID', opts.accessKeyId);
  const secretAccessKey = required(label, 'secret access key', opts.secretAccessKey);
  const base = (opts.apiUrl || ROUTE53_API).replace(/\/$/, '');

  function explain(zone?: string) {
    return (answer: HttpAnswer): string | undefined => {
      const code = xmlOne(answer.text, 'Code');
      const message = xmlOne(answer.text, 'Message');
      if (code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch' || code === 'IncompleteSignature') {
        return `AWS refused the access key (${code}): check the access key ID and secret`;
      }
      if (code === 'AccessDenied' || answer.status === 403) {
        return `the access key lacks a permission (${code ?? 'AccessDenied'}): its IAM policy needs route53:ListHostedZonesByName, route53:ListResourceRecordSets, route53:ChangeResourceRecordSets${zone ? ` on ${zone}` : ''} and route53:GetChange`;
      }
      if (code === 'NoSuchHostedZone') return `the hosted zone ${zone ?? ''} does not exist in this AWS account`;
      return code ? `${code}${message ? `: ${xmlText(message)}` : ''}` : undefined;
    };
  }

  async function api(method: string, path: string, what: string, body?: string, zone?: string): Promise<HttpAnswer> {
    // AWS throttles with HTTP 400 + <Code>Throttling</Code> (no Retry-After): back off and retry
    for (let attempt = 0; ; attempt += 1) {
      const url = `${base}${path}`;
      const headers = signV4({ method, url, body, accessKeyId, secretAccessKey, headers: body ? { 'content-type': 'application/xml' } : {} });
      const answer = await providerFetch({
        provider: label,
        method,
        url,
        headers,
        body,
        secrets: [secretAccessKey],
        settings: opts,
        what,
        explain: explain(zone),
        accept: [400],
      });
      if (answer.status !== 400) return answer;
      const code = xmlOne(answer.text, 'Code');
      if ((code === 'Throttling' || code === 'PriorRequestNotComplete') && attempt < 4) {
        await sleep(Math.min(8000, 500 * 2 ** attempt));
        continue;
      }
      throw providerError(label, `refused ${what}`, `HTTP 400 ${code ?? ''}`.trim(), explain(zone)(answer));
    }
  }

  async function rrset(zone: DnsZone, fqdn: string): Promise<{ values: string[]; ttl?: number }> {
    const name = `${fqdn.replace(/\.$/, '')}.`;
    const answer = await api(
      'GET',
      `/2013-04-01/hostedzone/${zone.id}/rrset?name=${encodeURIComponent(name)}&type=TXT&maxitems=1`,
      `reading TXT ${fqdn}`,
      undefined,
      zone.name,
    );
    const set = xmlAll(answer.text, 'ResourceRecordSet').find(
      (s) => xmlOne(s, 'Name')?.toLowerCase() === name.toLowerCase() && xmlOne(s, 'Type') === 'TXT',
    );
    if (!set) return { values: [] };
    return { values: xmlAll(set, 'Value').map((v) => xmlText(v).replace(/^"|"$/g, '')), ttl: Number(xmlOne(set, 'TTL')) || undefined };
  }

  async function change(zone: DnsZone, fqdn: string, action: 'UPSERT' | 'DELETE', values: string[], ttl: number, what: string): Promise<void> {
    const records = values.map((v) => `<ResourceRecord><Value>${xmlEscape(`"${v}"`)}</Value></ResourceRecord>`).join('');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch>` +
      `<Comment>ACME challenge (node-red-certificates)</Comment><Changes><Change><Action>${action}</Action>` +
      `<ResourceRecordSet><Name>${fqdn.replace(/\.$/, '')}.</Name><Type>TXT</Type><TTL>${ttl}</TTL><ResourceRecords>${records}</ResourceRecords></ResourceRecordSet>` +
      `</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const answer = await api('POST', `/2013-04-01/hostedzone/${zone.id}/rrset/`, what, body, zone.name);
    const changeId = xmlOne(answer.text, 'Id')?.replace(/^\/change\//, '');
    if (!changeId) throw providerError(label, `did not return a change id while ${what}`, `HTTP ${answer.status}`);
    // wait until Route 53's own servers all have the change (INSYNC)
    const deadline = Date.now() + (opts.syncTimeoutMs ?? 120000);
    for (let status = xmlOne(answer.text, 'Status'); status !== 'INSYNC';) {
      if (Date.now() > deadline)
        throw providerError(
          label,
          `did not finish ${what} in time`,
          `change ${changeId} still ${status}`,
          'Route 53 is slow right now: try again later',
        );
      await sleep(opts.syncPollMs ?? 2000);
      status = xmlOne((await api('GET', `/2013-04-01/change/${changeId}`, `checking change ${changeId}`)).text, 'Status');
    }
  }

  return {
    id: 'route53',
    label,
    multipleValues: true,
    async findZone(fqdn, soaZone) {
      if (opts.hostedZoneId?.trim()) {
        const id = opts.hostedZoneId.trim().replace(/^\/?hostedzone\//, '');
        const answer = await api('GET', `/2013-04-01/hostedzone/${id}`, `reading hosted zone ${id}`);
        return { id, name: (xmlOne(answer.text, 'Name') ?? soaZone ?? '').replace(/\.$/, '') };
      }
      return findZoneByName(
        label,
        fqdn,
        soaZone,
        async (name) => {
          const answer = await api(
            'GET',
            `/2013-04-01/hostedzonesbyname?dnsname=${encodeURIComponent(name)}&maxitems=1`,
            `finding the hosted zone ${name}`,
          );
          const zone = xmlAll(answer.text, 'HostedZone').find(
            (z) => xmlOne(z, 'Name')?.replace(/\.$/, '').toLowerCase() === name && xmlOne(z, 'PrivateZone') !== 'true',
          );
          return zone ? { id: xmlOne(zone, 'Id').replace(/^\/hostedzone\//, ''), name } : undefined;
        },
        (tried) => `Route 53 has no public hosted zone for ${fqdn} in this AWS account (tried ${tried})`,
      );
    },
    async setTxt(zone, fqdn, value) {
      const { values, ttl } = await rrset(zone, fqdn);
      if (values.includes(value)) return;
      await change(zone, fqdn, 'UPSERT', [...values, value], ttl ?? opts.ttl ?? 60, `setting TXT ${fqdn}`);
    },
    async removeTxt(zone, fqdn, value) {
      const { values, ttl } = await rrset(zone, fqdn);
      if (!values.includes(value)) return;
      const rest = values.filter((v) => v !== value);
      // DELETE must name the RRset exactly as it is; UPSERT keeps the other values
      if (rest.length) await change(zone, fqdn, 'UPSERT', rest, ttl ?? 60, `removing TXT ${fqdn}`);
      else await change(zone, fqdn, 'DELETE', values, ttl ?? 60, `removing TXT ${fqdn}`);
    },
    async listZones() {
      const names: string[] = [];
      let next = '';
      for (let page = 0; page < 50; page += 1) {
        const answer = await api('GET', `/2013-04-01/hostedzonesbyname?maxitems=100${next}`, 'listing the hosted zones');
        for (const z of xmlAll(answer.text, 'HostedZone')) if (xmlOne(z, 'PrivateZone') !== 'true') names.push(xmlOne(z, 'Name').replace(/\.$/, ''));
        if (xmlOne(answer.text, 'IsTruncated') !== 'true') break;
        next = `&dnsname=${encodeURIComponent(xmlOne(answer.text, 'NextDNSName'))}&hostedzoneid=${encodeURIComponent(xmlOne(answer.text, 'NextHostedZoneId'))}`;
      }
      return names;
    },
  };
}
