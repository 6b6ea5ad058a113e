/**
 * The propagation check: before the CA is told to look, ask every authoritative server of the
 * record's zone (found by NS lookup) until each serves every expected value, then the
 * configured resolvers as an extra check. A timeout names the server that did not.
 */
import { CertflowError } from '../../errors';
import { sleep } from '../transport';
import { serverLabel, type DnsServer } from './wire';
import { authoritativeServers, findZoneBySoa, resolverServers, txtAt, type Authority, type ResolverOptions } from './zone';

export interface PropagationOptions extends ResolverOptions {
  /** Where the values must be visible (after CNAME following). */
  name: string;
  values: string[];
  /** Known zone of `name` (else found by SOA). */
  zone?: string;
  /** Also ask the configured resolvers (only when some are configured). Default true. */
  checkResolvers?: boolean;
  /** The name the resolvers are asked about (the original name, whose CNAME they follow). */
  resolverName?: string;
  timeoutMs?: number;
  pollMs?: number;
  /** Who set the record, for the error text ('Cloudflare'). */
  provider?: string;
  /** Told once per server that does not serve the value yet. */
  onWaiting?: (server: string) => void;
}

type Check = { label: string; server: DnsServer; name: string; recursion: boolean };

function describeMissing(seen: string[], missing: string[]): string {
  return seen.length ? `it serves ${seen.length} other value(s), not "${missing[0]}"` : `it serves no value yet (expected "${missing[0]}")`;
}

/** Resolves when every server serves every value; throws naming the first server that does not. */
export async function waitForAuthoritativeTxt(opts: PropagationOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120000;
  const pollMs = opts.pollMs ?? 2000;
  const deadline = Date.now() + timeoutMs;
  const zone = opts.zone ?? (await findZoneBySoa(opts.name, opts));
  const authorities: Authority[] = await authoritativeServers(zone, opts);
  const checks: Check[] = authorities.map((a) => ({
    label: `${a.name} (${serverLabel(a.server)})`,
    server: a.server,
    name: opts.name,
    recursion: false,
  }));
  if (opts.checkResolvers !== false && opts.resolvers && opts.resolvers.length) {
    for (const server of resolverServers(opts.resolvers)) {
      checks.push({ label: `resolver ${serverLabel(server)}`, server, name: opts.resolverName ?? opts.name, recursion: true });
    }
  }
  const pending = new Set(checks);
  const problems = new Map<Check, string>();
  const told = new Set<string>();
  for (;;) {
    await Promise.all(
      [...pending].map(async (check) => {
        try {
          const { values, rcode } = await txtAt(check.server, check.name, check.recursion, Math.min(3000, Math.max(500, deadline - Date.now())));
          const missing = opts.values.filter((v) => !values.includes(v));
          if (missing.length === 0) {
            pending.delete(check);
            return;
          }
          problems.set(
            check,
            rcode === 5 ? 'it refused the query (REFUSED): is it really authoritative for the zone?' : describeMissing(values, missing),
          );
        } catch (err) {
          problems.set(check, `no answer: ${(err as Error).message}`);
        }
        if (!told.has(check.label)) {
          told.add(check.label);
          opts.onWaiting?.(check.label);
        }
      }),
    );
    if (pending.size === 0) return;
    if (Date.now() + pollMs > deadline) break;
    await sleep(pollMs);
  }
  const [first] = pending;
  const by = opts.provider ? ` (set through ${opts.provider})` : '';
  throw new CertflowError(
    'ACME_DNS_NOT_PROPAGATED',
    `the TXT record ${first.name}${by} is not served by ${first.label} after ${Math.round(timeoutMs / 1000)} s: ${problems.get(first)}`,
    { record: first.name, server: first.label },
  );
}
