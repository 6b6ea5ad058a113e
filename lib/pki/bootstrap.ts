/**
 * The settings helper's first certificate: until a real one is installed, Node-RED serves a
 * bootstrap certificate for this machine's names, signed by a local CA kept in the storage
 * (`local-ca/`, made once and reused while it may sign for the names). lib/serve/settings.ts
 * loads this file only when it needs a bootstrap certificate, so a start that serves a stored
 * certificate does not load the signing code.
 */
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { CertflowError } from '../errors';
import { LOCAL_CA_KEYS, loadTextOrUndefined, openStorage, storageRoot } from '../storage';
import { canonicalIp } from './ip-address';
import { createLocalCa, issueBootstrapLeaf, loadLocalCa, localHostNames, namesNotPermitted, type LocalCa } from './local-ca';
import { classifyAltName, type AltName } from './names';

export type BootstrapLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

/** How long a bootstrap certificate lasts (it is re-made 30 days before, by default). */
export const BOOTSTRAP_DAYS = 365;
const LOCAL_CA_DAYS = 3650;

/**
 * The names the bootstrap certificate is for: the ones given, then this machine's (host name,
 * `<host>.local`, localhost, 127.0.0.1, ::1, IPv4 LAN addresses: local-ca's localHostNames).
 * Names that are not valid in a certificate are skipped; a given one with a warning.
 */
export function bootstrapNames(extra?: string[] | string, log?: BootstrapLogger): AltName[] {
  const given = typeof extra === 'string' ? extra.split(/[\s,;]+/) : (extra ?? []);
  const wanted = [...given.filter(Boolean), ...localHostNames()];
  const names: AltName[] = [];
  const seen = new Set<string>();
  for (const text of wanted) {
    try {
      const name = classifyAltName(text);
      if (name.type !== 'dns' && name.type !== 'ip') throw new CertflowError('name-invalid', `"${text}" is neither a host name nor an IP address`);
      const id = `${name.type}:${name.value}`;
      if (!seen.has(id)) names.push(name);
      seen.add(id);
    } catch (err) {
      if (given.includes(text)) log?.('warn', `bootstrap certificate: skipping "${text}": ${reasonOf(err)}`);
    }
  }
  return names;
}

/**
 * Why a stored bootstrap certificate must be made again (it ends within `renewDays`, or misses
 * one of `names`), or undefined while it is fine.
 */
export function bootstrapOutdated(
  stored: { facts: { notAfter: string; altNames: string[] } },
  names: AltName[],
  renewDays: number,
): string | undefined {
  const msLeft = new Date(stored.facts.notAfter).getTime() - Date.now();
  if (msLeft < renewDays * 86400_000) return `the bootstrap certificate ends on ${stored.facts.notAfter.slice(0, 10)}`;
  // OpenSSL prints IPv6 as full upper-case groups: compare both sides in one form
  const covered = new Set(
    stored.facts.altNames.map((n) => n.replace(/^DNS:/, 'dns:').replace(/^IP:(.*)$/, (_, ip: string) => `ip:${canonicalIp(ip)}`)),
  );
  const missing = names.filter((n) => !covered.has(`${n.type}:${n.type === 'ip' ? canonicalIp(n.value) : n.value}`));
  if (missing.length > 0) return `the bootstrap certificate does not cover ${missing.map((n) => n.value).join(', ')}`;
  return undefined;
}

/**
 * The local CA of this userDir: made once (EC P-256, 10 years, leaves only, limited to local
 * names plus `names`), reused while it can sign a full-length bootstrap certificate for
 * `names`. A name it may not sign for (a new address outside the private ranges, a new name in
 * `hostnames`) makes a new one, which browsers must then be told to trust.
 */
export async function ensureLocalCa(userDir: string, names: AltName[] = [], log?: BootstrapLogger): Promise<LocalCa> {
  const caFile = path.join(storageRoot(userDir), LOCAL_CA_KEYS.cert);
  const storage = await openStorage(userDir);
  const [keyPem, certPem] = await Promise.all([
    loadTextOrUndefined(storage, LOCAL_CA_KEYS.key).catch(() => undefined),
    loadTextOrUndefined(storage, LOCAL_CA_KEYS.cert).catch(() => undefined),
  ]);
  if (keyPem && certPem) {
    try {
      const ca = loadLocalCa({ keyPem, certPem });
      // keep it while it can still sign a full-length bootstrap certificate
      if (new Date(new X509Certificate(certPem).validTo).getTime() > Date.now() + (BOOTSTRAP_DAYS + 35) * 86400_000) {
        const outside = namesNotPermitted(ca, names);
        if (outside.length === 0) return ca;
        log?.(
          'warn',
          `the local CA ${caFile} may not sign for ${outside.map((n) => n.value).join(', ')}: making a new local CA (trust the new file in your browser)`,
        );
      }
    } catch {
      // damaged or mismatched: make a new one below
    }
  }
  const ca = await createLocalCa({ days: LOCAL_CA_DAYS, limitedTo: names });
  // Key first, then certificate: a crash in between leaves a key without its certificate,
  // which the check above treats as "no CA" and redoes. The storage refuses a planted folder.
  try {
    await storage.store(LOCAL_CA_KEYS.key, ca.keyPem, { secret: true });
    await storage.store(LOCAL_CA_KEYS.cert, ca.certPem);
  } catch (err) {
    // a shared storage that is unreachable (Redis away at boot): serve from this CA in memory now
    if (!(err instanceof CertflowError && err.code === 'storage-unavailable')) throw err;
    log?.('warn', `the local CA could not be stored (${err.message}); using one made for this run`);
  }
  return ca;
}

/** A fresh leaf certificate for `names`, signed by the userDir's local CA (made if missing). */
export async function issueBootstrapCertificate(
  userDir: string,
  names: AltName[],
  log?: BootstrapLogger,
): Promise<{ key: string; cert: string; chain: string[] }> {
  const ca = await ensureLocalCa(userDir, names, log);
  const leaf = await issueBootstrapLeaf(ca, names, BOOTSTRAP_DAYS);
  return { key: leaf.keyPem, cert: leaf.certPem, chain: [ca.certPem] };
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
