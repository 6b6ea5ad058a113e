/**
 * dns-01 propagation check: before telling the CA to look, query TXT records until every
 * expected value is visible (a wildcard and its base name put two values on one name).
 */
import { promises as dns } from 'node:dns';
import { CertflowError } from '../../errors';
import { sleep } from '../transport';

function resolverFor(resolvers?: string[]): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  if (resolvers && resolvers.length) {
    try {
      resolver.setServers(resolvers.map((r) => r.trim()).filter(Boolean));
    } catch (err) {
      throw new CertflowError(
        'ACME_BAD_RESOLVER',
        `the DNS resolvers "${resolvers.join(', ')}" are not valid (use 1.1.1.1 or 127.0.0.1:53): ${(err as Error).message}`,
      );
    }
  }
  return resolver;
}

/** TXT values of a name (each record's strings joined); [] when there is none. */
export async function lookupTxt(name: string, resolvers?: string[]): Promise<string[]> {
  const resolver = resolverFor(resolvers);
  try {
    const records = await resolver.resolveTxt(name);
    return records.map((parts) => parts.join(''));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
    throw err;
  }
}

/**
 * Polls until every value is among `name`'s TXT records. Throws a CertflowError naming the
 * record and the missing value after `timeoutMs`.
 */
export async function waitForTxtPropagation(opts: {
  name: string;
  values: string[];
  resolvers?: string[];
  timeoutMs?: number;
  pollMs?: number;
}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120000;
  const pollMs = opts.pollMs ?? 2000;
  const deadline = Date.now() + timeoutMs;
  resolverFor(opts.resolvers); // validate the resolver list at once
  let lastProblem: string;
  for (;;) {
    try {
      const seen = await lookupTxt(opts.name, opts.resolvers);
      const missing = opts.values.filter((v) => !seen.includes(v));
      if (missing.length === 0) return;
      lastProblem = seen.length
        ? `it has ${seen.length} other value(s), not "${missing[0]}"`
        : `no TXT value is visible yet (expected "${missing[0]}")`;
    } catch (err) {
      lastProblem = `lookup failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    if (Date.now() + pollMs > deadline) break;
    await sleep(pollMs);
  }
  const where = opts.resolvers && opts.resolvers.length ? ` at ${opts.resolvers.join(', ')}` : '';
  throw new CertflowError(
    'ACME_DNS_NOT_PROPAGATED',
    `the TXT record ${opts.name} did not propagate within ${Math.round(timeoutMs / 1000)} s${where}: ${lastProblem}`,
    { record: opts.name },
  );
}
