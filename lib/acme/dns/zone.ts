/**
 * Where a TXT record really lives: follow a CNAME on `_acme-challenge.<name>` (delegation to
 * another zone, e.g. acme-dns), find the zone that holds the name by its SOA, and the zone's
 * authoritative servers by NS lookup. Asked of the configured resolvers (else the system's).
 */
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { CertflowError } from '../../errors';
import { normalizeName, parseServer, query, rcodeName, serverLabel, TYPE, type DnsMessage, type DnsServer } from './wire';

export interface ResolverOptions {
  /** 'ip' or 'ip:port' (default: the system's resolvers). */
  resolvers?: string[];
  /** Port of the zone's authoritative servers (default 53; tests use another). */
  authoritativePort?: number;
  timeoutMs?: number;
}

export function resolverServers(resolvers?: string[]): DnsServer[] {
  const list = resolvers && resolvers.length ? resolvers : getServers();
  const servers = list
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => parseServer(r));
  for (const s of servers) {
    if (!isIP(s.host))
      throw new CertflowError('ACME_BAD_RESOLVER', `the DNS resolver "${s.host}" is not an IP address (use 1.1.1.1 or 127.0.0.1:53)`);
  }
  if (servers.length === 0)
    throw new CertflowError('ACME_BAD_RESOLVER', 'no DNS resolver is configured on this system: name one in the DNS check field');
  return servers;
}

/** Asks the resolvers in turn until one answers (SERVFAIL and timeouts go to the next one). */
export async function resolve(name: string, type: number, opts: ResolverOptions = {}): Promise<DnsMessage> {
  let lastProblem = '';
  for (const server of resolverServers(opts.resolvers)) {
    try {
      const answer = await query(server, name, type, { timeoutMs: opts.timeoutMs ?? 3000 });
      if (answer.rcode === 2) {
        lastProblem = `${serverLabel(server)} answered SERVFAIL`;
        continue;
      }
      return answer;
    } catch (err) {
      lastProblem = `${serverLabel(server)}: ${(err as Error).message}`;
    }
  }
  throw new CertflowError(
    'DNS_LOOKUP_FAILED',
    `looking up ${type === TYPE.SOA ? 'SOA' : type === TYPE.NS ? 'NS' : type === TYPE.TXT ? 'TXT' : 'the record'} of ${name} failed: ${lastProblem}`,
  );
}

/**
 * The name a TXT record for `name` must be written to: `name` itself, or where its CNAME
 * chain ends (a delegated `_acme-challenge`). Stops after 8 hops.
 */
export async function followCname(name: string, opts: ResolverOptions = {}): Promise<string> {
  let current = normalizeName(name);
  const seen = new Set<string>([current]);
  for (let hop = 0; hop < 8; hop += 1) {
    const answer = await resolve(current, TYPE.CNAME, opts);
    const cname = answer.answers.find((r) => r.type === TYPE.CNAME && r.name === current);
    if (!cname) return current;
    if (seen.has(cname.data)) throw new CertflowError('DNS_CNAME_LOOP', `the CNAME chain of ${name} loops at ${cname.data}`);
    seen.add(cname.data);
    current = cname.data;
  }
  throw new CertflowError('DNS_CNAME_LOOP', `the CNAME chain of ${name} is longer than 8 hops`);
}

/** The zone that holds `name`: the owner of the SOA in the answer or in the authority section. */
export async function findZoneBySoa(name: string, opts: ResolverOptions = {}): Promise<string> {
  let current = normalizeName(name);
  for (;;) {
    const answer = await resolve(current, TYPE.SOA, opts);
    // the root zone's SOA (a local root in tests) means no real zone holds the name
    const soa = [...answer.answers, ...answer.authority].find((r) => r.type === TYPE.SOA && r.name !== '');
    if (soa && (current === soa.name || current.endsWith(`.${soa.name}`))) return soa.name;
    if (answer.rcode !== 0 && answer.rcode !== 3) {
      throw new CertflowError('DNS_NO_ZONE', `the zone of ${name} cannot be found: ${current} SOA gave ${rcodeName(answer.rcode)}`);
    }
    const dot = current.indexOf('.');
    if (dot < 0)
      throw new CertflowError(
        'DNS_NO_ZONE',
        `no DNS zone holds ${name} (no SOA record found up to the top-level domain): is the domain registered and delegated?`,
      );
    current = current.slice(dot + 1);
  }
}

export interface Authority {
  /** NS host name, e.g. 'ns1.example.com'. */
  name: string;
  server: DnsServer;
}

/** The zone's authoritative servers: NS names, each with its addresses (IPv4 first). */
export async function authoritativeServers(zone: string, opts: ResolverOptions = {}): Promise<Authority[]> {
  const answer = await resolve(zone, TYPE.NS, opts);
  const names = [...new Set(answer.answers.filter((r) => r.type === TYPE.NS).map((r) => r.data))];
  if (names.length === 0) throw new CertflowError('DNS_NO_NAMESERVERS', `the zone ${zone} has no NS records (${rcodeName(answer.rcode)})`);
  const port = opts.authoritativePort ?? 53;
  const result: Authority[] = [];
  for (const ns of names) {
    let addresses = answer.additional.filter((r) => r.name === ns && (r.type === TYPE.A || r.type === TYPE.AAAA)).map((r) => r.data);
    if (addresses.length === 0) {
      const a = await resolve(ns, TYPE.A, opts);
      addresses = a.answers.filter((r) => r.type === TYPE.A).map((r) => r.data);
      if (addresses.length === 0) {
        const aaaa = await resolve(ns, TYPE.AAAA, opts);
        addresses = aaaa.answers.filter((r) => r.type === TYPE.AAAA).map((r) => r.data);
      }
    }
    // one address per name server is enough to tell whether it serves the value
    const v4 = addresses.find((a) => isIP(a) === 4) ?? addresses[0];
    if (v4) result.push({ name: ns, server: { host: v4, port } });
  }
  if (result.length === 0) throw new CertflowError('DNS_NO_NAMESERVERS', `the name servers of ${zone} (${names.join(', ')}) have no address`);
  return result;
}

/** TXT values of `name` at one server, asked without recursion (the server's own data). */
export async function txtAt(server: DnsServer, name: string, recursion = false, timeoutMs = 3000): Promise<{ values: string[]; rcode: number }> {
  const answer = await query(server, name, TYPE.TXT, { recursion, timeoutMs });
  // through a resolver the answer may follow a CNAME: then the TXT records carry the target's name
  const own = (r: { type: number; name: string }) => r.type === TYPE.TXT && (recursion || r.name === normalizeName(name));
  return { values: answer.answers.filter(own).map((r) => r.data), rcode: answer.rcode };
}
