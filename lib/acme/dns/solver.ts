/**
 * A DNS provider as the dns-01 hook of an order: follows a CNAME on the record name
 * (delegation), finds the zone by SOA and at the provider, sets/removes the value (one write
 * per name at a time, so read-modify-write APIs never lose a value), and checks propagation
 * at the zone's authoritative servers (plus the configured resolvers).
 */
import { CertflowError } from '../../errors';
import type { Dns01Hook, Dns01Record, ProgressCallback } from '../types';
import type { DnsProvider, DnsZone } from './provider';
import { waitForAuthoritativeTxt } from './propagation';
import { findZoneBySoa, followCname, type ResolverOptions } from './zone';

export interface ProviderHookOptions extends ResolverOptions {
  provider: DnsProvider;
  /** Follow a CNAME on the record name (default true). */
  followCname?: boolean;
  propagationTimeoutMs?: number;
  propagationPollMs?: number;
  onProgress?: ProgressCallback;
}

interface Placed {
  target: string;
  soaZone?: string;
  zone?: DnsZone;
}

/** The hook lib/acme's order uses (Dns01Options.hook), backed by a DNS provider. */
export function providerHook(opts: ProviderHookOptions): Dns01Hook & { placedAt(name: string): string | undefined } {
  const { provider } = opts;
  const placed = new Map<string, Placed>(); // record name -> where it went
  const chains = new Map<string, Promise<unknown>>(); // one write per target name at a time

  function serial<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = chains.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    chains.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  async function locate(record: Dns01Record): Promise<Placed> {
    const known = placed.get(record.name);
    if (known) return known;
    const target = opts.followCname === false ? record.name : await followCname(record.name, opts);
    if (target !== record.name)
      opts.onProgress?.(`dns-01: ${record.name} is delegated to ${target}`, { step: 'challenge', identifier: record.identifier });
    const soaZone = await findZoneBySoa(target, opts).catch(() => undefined);
    const where: Placed = { target, soaZone };
    placed.set(record.name, where);
    return where;
  }

  return {
    label: provider.label,
    oneAtATime: !provider.multipleValues,
    placedAt: (name) => placed.get(name)?.target,
    async set(record) {
      const where = await locate(record);
      where.zone = where.zone ?? (await provider.findZone(where.target, where.soaZone));
      await serial(where.target, () => provider.setTxt(where.zone!, where.target, record.value));
    },
    async remove(record, options) {
      let where = placed.get(record.name);
      if (!where?.zone) {
        if (!options?.leftover) return; // nothing was written
        // written by an earlier holder of the order: find where, as set() would have
        where = await locate(record);
        where.zone = where.zone ?? (await provider.findZone(where.target, where.soaZone));
      }
      const zone = where.zone;
      await serial(where.target, () => provider.removeTxt(zone, where.target, record.value));
    },
    async waitForPropagation(name, values) {
      const where = placed.get(name);
      if (!where) throw new CertflowError('ACME_DNS_NOT_SET', `the TXT record ${name} was not set`);
      await waitForAuthoritativeTxt({
        ...opts,
        name: where.target,
        resolverName: name,
        values,
        zone: where.soaZone,
        provider: provider.label,
        timeoutMs: opts.propagationTimeoutMs,
        pollMs: opts.propagationPollMs,
        onWaiting: (server) => opts.onProgress?.(`dns-01: waiting for ${where.target} at ${server}`, { step: 'propagation' }),
      });
    },
  };
}
