/**
 * One-time migration of the folders 0.1.0 wrote, run when the storage is first opened:
 *
 *   <userDir>/certflow/acme/<name>/      privkey.pem cert.pem chain.pem fullchain.pem state.json
 *        -> record <name>: one generation (meta.json carries the ACME facts), state.json beside it
 *   <userDir>/certflow/accounts/<id>/account.json
 *        -> _accounts/<id>/account.json
 *   <userDir>/certificates/<name>/       (the 0.1.0 generation store: already this layout)
 *
 * Nothing is deleted: once everything is copied, `<userDir>/certflow` is renamed to
 * `<userDir>/certflow-0.1.0-migrated` (delete it by hand when all works). Every step can be
 * repeated (an imported certificate is recognised by its fingerprint), so a crash in the middle
 * only means the next start finishes the job.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { accountKey } from './layout';
import type { Storage } from './storage';
import { isNotFound } from './storage';

export const LEGACY_DIR = 'certflow';
export const MIGRATED_DIR = 'certflow-0.1.0-migrated';

export interface MigrationReport {
  certificates: string[];
  accounts: string[];
  /** Where the old folder was moved to (undefined when there was nothing to migrate). */
  movedTo?: string;
}

const readOrUndefined = (file: string) => fs.readFile(file, 'utf8').catch(() => undefined);

export async function migrateFrom010(userDir: string, storage: Storage): Promise<MigrationReport> {
  const legacy = path.join(userDir, LEGACY_DIR);
  const report: MigrationReport = { certificates: [], accounts: [] };
  const stats = await fs.lstat(legacy).catch(() => undefined);
  if (!stats || !stats.isDirectory()) return report;

  const acmeDir = path.join(legacy, 'acme');
  for (const name of await fs.readdir(acmeDir).catch(() => [] as string[])) {
    if (await migrateCertificate(path.join(acmeDir, name), name, storage)) report.certificates.push(name);
  }
  const accountsDir = path.join(legacy, 'accounts');
  for (const id of await fs.readdir(accountsDir).catch(() => [] as string[])) {
    const text = await readOrUndefined(path.join(accountsDir, id, 'account.json'));
    if (text === undefined) continue;
    const key = accountKey(id);
    if (!(await storage.exists(key))) await storage.store(key, text, { secret: true });
    report.accounts.push(id);
  }

  let target = path.join(userDir, MIGRATED_DIR);
  if (await fs.lstat(target).catch(() => undefined)) target = `${target}-${Date.now()}`;
  await fs.rename(legacy, target);
  report.movedTo = target;
  return report;
}

async function migrateCertificate(dir: string, name: string, storage: Storage): Promise<boolean> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name)) return false;
  const [keyPem, certPem, chainPem, fullchainPem, stateText] = await Promise.all(
    ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'state.json'].map((f) => readOrUndefined(path.join(dir, f))),
  );
  if (!certPem) return false;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    return false; // a torn 0.1.0 write: the old folder is kept, the manager orders anew
  }
  let state: Record<string, unknown> | undefined;
  try {
    state = stateText ? (JSON.parse(stateText) as Record<string, unknown>) : undefined;
  } catch {
    state = undefined;
  }
  // the state only describes this certificate if it names its serial
  if (state && state.serialNumber !== leaf.serialNumber) state = undefined;

  if (await alreadyImported(storage, name, leaf.fingerprint256)) return true;

  const current = await storage.generation(name, 'current');
  let as: 'current' | 'previous' = 'current';
  if (current) {
    const meta = await storage.loadGeneration(name, current, ['meta.json']).catch((): Record<string, Buffer | undefined> => ({}));
    const existing = parseJson(meta['meta.json']);
    const existingNotBefore = typeof existing?.notBefore === 'string' ? Date.parse(existing.notBefore) : 0;
    if (existing?.source !== 'bootstrap' && existingNotBefore > Date.parse(leaf.validFrom)) as = 'previous';
  }
  const { renewal: _renewal, revokedAt: _revoked, ...acmeFacts } = state ?? {};
  const meta = {
    name,
    installedAt: new Date().toISOString(),
    source: 'acme',
    migratedFrom: '0.1.0',
    serialNumber: leaf.serialNumber,
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    fingerprint256: leaf.fingerprint256,
    acme: state ? acmeFacts : { version: 1, name, identifiers: [], serialNumber: leaf.serialNumber, keySource: keyPem ? 'generated' : 'csr' },
  };
  const chain = chainPem ?? '';
  await storage.publishGeneration(
    name,
    [
      ...(keyPem ? [{ name: 'privkey.pem', data: keyPem, secret: true }] : []),
      { name: 'cert.pem', data: certPem },
      { name: 'chain.pem', data: chain },
      { name: 'fullchain.pem', data: fullchainPem ?? certPem + chain },
      { name: 'meta.json', data: `${JSON.stringify(meta, null, 2)}\n` },
    ],
    { as },
  );
  if (stateText && state && as === 'current') await storage.store(`${name}/state.json`, stateText);
  return true;
}

async function alreadyImported(storage: Storage, name: string, fingerprint: string): Promise<boolean> {
  for (const which of ['current', 'previous'] as const) {
    const generation = await storage.generation(name, which).catch(() => null);
    if (!generation) continue;
    try {
      const files = await storage.loadGeneration(name, generation, ['cert.pem']);
      if (files['cert.pem'] && new X509Certificate(files['cert.pem']).fingerprint256 === fingerprint) return true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return false;
}

function parseJson(data: Buffer | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  try {
    return JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
