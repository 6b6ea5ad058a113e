/**
 * The storage of a userDir: `<userDir>/certificates/` on the filesystem, opened once per
 * process. The first open migrates 0.1.0's folders and cleans what a crashed run left
 * (staging folders, temp files, stale locks) before anything reads or writes.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStorage, type FileStorageOptions } from './file-storage';
import { migrateFrom010, type MigrationReport } from './migrate-0.1';
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
export function openStorage(userDir: string, options: FileStorageOptions = {}): Promise<Storage> {
  const root = storageRoot(userDir);
  let storage = opened.get(root);
  if (!storage) {
    storage = prepare(path.resolve(expandHome(userDir)), new FileStorage(root, options));
    opened.set(root, storage);
    storage.catch(() => opened.delete(root)); // a refused folder is reported again at the next use
  }
  return storage;
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
  opened.clear();
}
