/**
 * The storage of a userDir, opened once per process: `<userDir>/certificates/` on the
 * filesystem, or the Redis storage configured for that userDir (redis-config.ts: settings
 * helper `https({ storage })` or settings.js `certflow.storage`). The first open of the files
 * migrates 0.1.0's folders and cleans what a crashed run left (staging folders, temp files,
 * stale locks) before anything reads or writes.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStorage, type FileStorageOptions } from './file-storage';
import { migrateFrom010, type MigrationReport } from './migrate-0.1';
import { resolveRedisSettings, storageSettingsFor } from './redis-config';
import { RedisStorage, type StorageLogger } from './redis-storage';
import type { Storage } from './storage';

export const STORAGE_DIR = 'certificates';

const opened = new Map<string, Promise<Storage>>();
const lastMigration = new Map<string, MigrationReport>();

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** `<userDir>/certificates` */
export function storageRoot(userDir: string): string {
  return path.join(path.resolve(expandHome(userDir)), STORAGE_DIR);
}

/** The storage of `userDir` (migrated and cleaned on first use in this process). */
export function openStorage(userDir: string, options: FileStorageOptions & { log?: StorageLogger } = {}): Promise<Storage> {
  const root = storageRoot(userDir);
  let storage = opened.get(root);
  if (!storage) {
    const shared = storageSettingsFor(path.resolve(expandHome(userDir)));
    storage =
      shared?.redis !== undefined
        ? openRedis(path.resolve(expandHome(userDir)), options.log)
        : prepare(path.resolve(expandHome(userDir)), new FileStorage(root, options));
    opened.set(root, storage);
    storage.catch(() => opened.delete(root)); // a refused folder is reported again at the next use
  }
  return storage;
}

/** Opened storages' loggers: the first opener with one (the settings helper) reports outages. */
let defaultLog: StorageLogger | undefined;
export function setStorageLogger(log: StorageLogger): void {
  defaultLog ??= log;
}

async function openRedis(userDir: string, log?: StorageLogger): Promise<Storage> {
  const settings = resolveRedisSettings(storageSettingsFor(userDir)!, userDir);
  const storage = new RedisStorage(settings, { log: (level, message) => (log ?? defaultLog ?? consoleLog)(level, message) });
  // the first connection, briefly: without Redis the storage still opens (and fails until Redis answers)
  await storage.waitReady(3000);
  return storage;
}

function consoleLog(level: string, message: string): void {
  (level === 'info' ? console.log : console.warn)(`[${level}] [certflow-storage] ${message}`);
}

async function prepare(userDir: string, storage: FileStorage): Promise<Storage> {
  await storage.cleanup();
  const report = await migrateFrom010(userDir, storage);
  if (report.movedTo) lastMigration.set(storage.root, report);
  return storage;
}

/** What the first open of `userDir` migrated (for a log line), once. */
export function takeMigrationReport(userDir: string): MigrationReport | undefined {
  const root = storageRoot(userDir);
  const report = lastMigration.get(root);
  lastMigration.delete(root);
  return report;
}

/** Forgets opened storages (tests that reuse a path after deleting it). */
export function forgetOpenedStorages(): void {
  for (const storage of opened.values()) {
    storage.then((s) => (s instanceof RedisStorage ? s.close() : undefined)).catch(() => undefined);
  }
  opened.clear();
}
