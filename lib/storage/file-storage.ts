/**
 * The filesystem backend (the default): a storage root, normally `<userDir>/certificates/`.
 *
 *   certificates/
 *     node-red/                      a record (one certificate)
 *       gen-20260225T101010123Z-1a2b3c/   privkey.pem (0600) cert.pem chain.pem fullchain.pem meta.json
 *       gen-...                      the generation before
 *       current -> gen-...           symlink, or a small file naming the generation where the
 *       previous -> gen-...          OS allows no symlinks (Windows without Developer Mode)
 *       privkey.pem -> current/privkey.pem ...   stable paths for other programs (copies without symlinks)
 *       state.json ...               plain keys, each replaced atomically
 *     .staging/<pid>-<random>/       generations being written (never inside a record)
 *     .locks/                        lock files (file-lock.ts)
 *
 * A generation is written completely in `.staging/` (each file 0600/0644 from its first byte,
 * fsynced), renamed into the record, and published by ONE rename of a new `current` pointer.
 * A kill -9 at any moment leaves `current` at a complete generation. Whatever an interrupted
 * write left (staging folders - possibly holding a private key -, temp files, unpublished
 * generations) is removed when the storage is opened and at every publish, as soon as no live
 * process owns it.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CertflowError } from '../errors';
import { FileLocks, processAlive } from './file-lock';
import { syncDirectory } from './atomic-file';
import { checkFolder, ensureSafeFolders } from './folder-safety';
import { keySegments, validateKey } from './keys';
import type { GenerationFile, GenerationPointer, KeyInfo, LockOptions, PublishOptions, Storage, StorageChange, StoreOptions } from './storage';

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;
const GENERATION_PREFIX = 'gen-';
const STAGING_DIR = '.staging';
const LOCKS_DIR = '.locks';
/** Temp names carry the writer's pid, so a cleanup can tell a dead writer's leftovers from a live one's. */
const TEMP_PATTERN = /^\.[^/]*\.(\d+)\.[0-9a-f]+\.tmp$/;
/** 0.1.0 wrote staging folders and link temps inside the record. */
const LEGACY_LEFTOVER = /^\.(staging-|link-)/;

export interface FileStorageOptions {
  /**
   * Use symlinks for `current`/`previous` and the stable paths (default: when the OS allows
   * them; env CERTFLOW_STORAGE_SYMLINKS=0 forces pointer files, as on Windows without Developer Mode).
   */
  symlinks?: boolean;
}

/**
 * Changes made in this process, by storage root. Files have no other process to tell (a
 * cluster shares Redis), but the Node-RED HTTPS node must hear at once that the ACME node
 * beside it stored a renewal, to swap it in with no wait for Node-RED's next refresh.
 */
const localChanges = new EventEmitter().setMaxListeners(0);

export class FileStorage implements Storage {
  readonly kind = 'file';
  readonly root: string;
  private readonly locks: FileLocks;
  private symlinks: boolean | undefined;
  /** Staging folders this process is writing now (never removed by our own cleanup). */
  private readonly staging = new Set<string>();

  constructor(root: string, options: FileStorageOptions = {}) {
    this.root = path.resolve(root);
    this.locks = new FileLocks(path.join(this.root, LOCKS_DIR));
    const env = process.env.CERTFLOW_STORAGE_SYMLINKS;
    this.symlinks = options.symlinks ?? (env === '0' || env === 'false' ? false : undefined);
  }

  describe(key: string): string {
    return key === '' ? this.root : path.join(this.root, ...keySegments(key));
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...keySegments(key));
  }

  /** Makes (and checks) the folders a key's value lives in; returns the value's path. */
  private async prepare(key: string): Promise<string> {
    const segments = keySegments(key);
    const dir = await ensureSafeFolders(this.root, segments.slice(0, -1));
    return path.join(dir, segments[segments.length - 1]);
  }

  // -------------------------------------------------------------------------------------------
  // Plain keys

  async load(key: string): Promise<Buffer> {
    const file = this.pathOf(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw notFoundOr(err, key, file);
    }
  }

  async store(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<void> {
    const file = await this.prepare(key);
    await writeAtomic(file, value, options.secret ? SECRET_MODE : PUBLIC_MODE);
    this.changed(key);
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { recursive: true, force: true });
    this.changed(key);
  }

  /** Calls `listener` after each write of this process to this storage root (see localChanges). */
  watch(listener: (change: StorageChange) => void): () => void {
    const forThisRoot = (root: string, change: StorageChange) => {
      if (root === this.root) listener(change);
    };
    localChanges.on('change', forThisRoot);
    return () => localChanges.off('change', forThisRoot);
  }

  private changed(key: string): void {
    const change: StorageChange = { record: keySegments(key)[0] ?? '*' };
    // after the caller's await resumes, never inside its write
    setImmediate(() => localChanges.emit('change', this.root, change));
  }

  async exists(key: string): Promise<boolean> {
    return fs.lstat(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  async list(prefix: string, recursive = false): Promise<string[]> {
    const dir = prefix === '' ? this.root : this.pathOf(prefix);
    const found: string[] = [];
    const walk = async (folder: string, keyPrefix: string) => {
      const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const key = keyPrefix ? `${keyPrefix}/${entry.name}` : entry.name;
        found.push(key);
        if (recursive && entry.isDirectory()) await walk(path.join(folder, entry.name), key);
      }
    };
    await walk(dir, prefix);
    return found.sort();
  }

  async stat(key: string): Promise<KeyInfo> {
    const file = this.pathOf(key);
    try {
      const stats = await fs.stat(file);
      return { key, size: stats.size, modified: stats.mtime, isTerminal: !stats.isDirectory() };
    } catch (err) {
      throw notFoundOr(err, key, file);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Locks

  async lock(name: string, options?: LockOptions): Promise<void> {
    await ensureSafeFolders(this.root, []);
    await this.locks.acquire(name, options);
  }

  async unlock(name: string): Promise<void> {
    await this.locks.release(name);
  }

  // -------------------------------------------------------------------------------------------
  // Generations

  async publishGeneration(record: string, files: GenerationFile[], options: PublishOptions = {}): Promise<string> {
    validateKey(record);
    const lockName = recordLock(record);
    await this.lock(lockName);
    try {
      const dir = await ensureSafeFolders(this.root, keySegments(record));
      if (options.ifCurrentIs !== undefined) {
        const current = await this.generation(record, 'current');
        if (current !== options.ifCurrentIs) {
          throw new CertflowError('store-changed', `${dir} changed meanwhile (another certificate was installed); nothing written`);
        }
      }
      const generation = `${GENERATION_PREFIX}${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
      await this.writeGeneration(dir, generation, files);
      await this.publish(
        dir,
        generation,
        options.as ?? 'current',
        files.map((f) => f.name),
      );
      await this.removeLeftovers(dir, true).catch(() => undefined); // tidiness only; never fails a publish
      this.changed(record);
      return generation;
    } finally {
      await this.unlock(lockName);
    }
  }

  async generation(record: string, which: GenerationPointer): Promise<string | null> {
    const value = await readPointer(path.join(this.pathOf(record), which));
    if (value === null) return null;
    if (!isGenerationName(value)) {
      throw new CertflowError('store-broken', `${path.join(this.pathOf(record), which)} points at "${value}", not at a generation of the store`);
    }
    return value;
  }

  async loadGeneration(record: string, generation: string, names: readonly string[]): Promise<Record<string, Buffer | undefined>> {
    if (!isGenerationName(generation)) throw new CertflowError('storage-key-invalid', `"${generation}" is not a generation name`);
    const dir = path.join(this.pathOf(record), generation);
    const result: Record<string, Buffer | undefined> = {};
    try {
      await fs.access(dir);
    } catch (err) {
      throw notFoundOr(err, `${record}/${generation}`, dir);
    }
    await Promise.all(
      names.map(async (name) => {
        try {
          result[name] = await fs.readFile(path.join(dir, validateKey(name)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          result[name] = undefined;
        }
      }),
    );
    // removed while we read (two publishes meanwhile): the caller resolves the pointer again
    if (Object.values(result).every((v) => v === undefined)) {
      await fs.access(dir).catch((err) => {
        throw notFoundOr(err, `${record}/${generation}`, dir);
      });
    }
    return result;
  }

  /** Writes the generation in `.staging/` (outside the record), then renames it into the record. */
  private async writeGeneration(dir: string, generation: string, files: GenerationFile[]): Promise<void> {
    const stagingRoot = await ensureSafeFolders(this.root, [STAGING_DIR]);
    const staging = path.join(stagingRoot, `${process.pid}-${randomBytes(6).toString('hex')}`);
    this.staging.add(staging);
    try {
      await fs.mkdir(staging, { mode: 0o700 });
      for (const file of files) await writeNew(path.join(staging, validateKey(file.name)), file.data, file.secret ? SECRET_MODE : PUBLIC_MODE);
      await syncDirectory(staging);
      await fs.rename(staging, path.join(dir, generation));
      await syncDirectory(dir);
      await syncDirectory(stagingRoot);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined); // never leave a key behind
      throw err;
    } finally {
      this.staging.delete(staging);
    }
  }

  private async useSymlinks(): Promise<boolean> {
    if (this.symlinks !== undefined) return this.symlinks;
    await ensureSafeFolders(this.root, []);
    const probe = path.join(this.root, `.symlink-probe.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.symlink('probe', probe);
      this.symlinks = true;
    } catch {
      this.symlinks = false; // EPERM on Windows without Developer Mode
    } finally {
      await fs.rm(probe, { force: true }).catch(() => undefined);
    }
    return this.symlinks;
  }

  /** Points `which` at the generation (one rename); the stable top-level paths follow `current`. */
  private async publish(dir: string, generation: string, which: GenerationPointer, names: string[]): Promise<void> {
    const symlinks = await this.useSymlinks();
    if (which === 'current') {
      const oldCurrent = await readPointer(path.join(dir, 'current'));
      if (oldCurrent && oldCurrent !== generation && isGenerationName(oldCurrent)) await writePointer(dir, 'previous', oldCurrent, symlinks);
      await writePointer(dir, 'current', generation, symlinks);
      await this.refreshStablePaths(dir, names, symlinks);
    } else {
      await writePointer(dir, 'previous', generation, symlinks);
    }
    await syncDirectory(dir);
  }

  /**
   * Stable paths for other programs (`<record>/privkey.pem`...): symlinks through `current`
   * (made once), or, without symlinks, copies of the current generation's files.
   */
  private async refreshStablePaths(dir: string, names: string[], symlinks: boolean): Promise<void> {
    const current = await readPointer(path.join(dir, 'current'));
    if (!current) return;
    for (const name of names) {
      const stable = path.join(dir, name);
      if (symlinks) {
        const wanted = path.join('current', name);
        if ((await readLinkOrNull(stable)) !== wanted) await replaceWithSymlink(stable, wanted);
      } else {
        const source = path.join(dir, current, name);
        const data = await fs.readFile(source).catch(() => undefined);
        if (data === undefined) continue;
        const mode = (await fs.stat(source)).mode & 0o777;
        const existing = await fs.lstat(stable).catch(() => undefined);
        if (existing?.isFile() && (await fs.readFile(stable)).equals(data)) continue;
        await writeAtomic(stable, data, mode);
      }
    }
  }

  /**
   * Removes what interrupted writes left in a record: generations that are neither current nor
   * previous, temp files of dead writers, and 0.1.0's in-record staging folders. `locked`: the
   * caller holds the record's lock (else unpublished generations are left alone).
   */
  private async removeLeftovers(dir: string, locked: boolean): Promise<void> {
    const keep = new Set([await readPointer(path.join(dir, 'current')), await readPointer(path.join(dir, 'previous'))]);
    for (const entry of await fs.readdir(dir)) {
      const full = path.join(dir, entry);
      if (isGenerationName(entry)) {
        if (locked && !keep.has(entry)) await fs.rm(full, { recursive: true, force: true });
      } else if (LEGACY_LEFTOVER.test(entry)) {
        if (locked) await fs.rm(full, { recursive: true, force: true });
      } else {
        const temp = TEMP_PATTERN.exec(entry);
        if (temp && !processAlive(Number(temp[1]))) await fs.rm(full, { recursive: true, force: true });
      }
    }
  }

  /** Removes staging folders whose writer is gone (dead pid), whatever their age. */
  private async removeDeadStaging(): Promise<void> {
    const stagingRoot = path.join(this.root, STAGING_DIR);
    for (const entry of await fs.readdir(stagingRoot).catch(() => [] as string[])) {
      const full = path.join(stagingRoot, entry);
      const pid = Number(entry.split('-')[0]);
      if (this.staging.has(full)) continue;
      if (pid === process.pid || !processAlive(pid)) await fs.rm(full, { recursive: true, force: true });
    }
  }

  /**
   * Start-up cleanup (run once when the storage is opened): dead writers' staging folders and
   * temp files, stale locks, unpublished generations, stable copies brought up to date.
   * Records another live process is writing (it holds their lock) are left alone.
   */
  async cleanup(): Promise<void> {
    if (!(await checkFolder(this.root))) return;
    await this.locks.removeStale();
    await this.removeDeadStaging();
    for (const entry of await fs.readdir(this.root, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) {
        const temp = TEMP_PATTERN.exec(entry.name);
        if (temp && !processAlive(Number(temp[1]))) await fs.rm(path.join(this.root, entry.name), { force: true });
        continue;
      }
      if (!entry.isDirectory()) continue;
      await this.cleanupRecord(entry.name);
    }
  }

  private async cleanupRecord(record: string): Promise<void> {
    const lockName = recordLock(record);
    try {
      await this.locks.acquire(lockName, { timeoutMs: 0 });
    } catch {
      return; // a live process is writing it: its own publish tidies up
    }
    try {
      const dir = path.join(this.root, record);
      await checkFolder(dir);
      await this.removeLeftovers(dir, true);
      const current = await readPointer(path.join(dir, 'current'));
      if (current && isGenerationName(current) && !(await this.useSymlinks())) {
        const names = await fs.readdir(path.join(dir, current)).catch(() => [] as string[]);
        await this.refreshStablePaths(dir, names, false);
      }
      // plain keys of the record: temp files of dead writers
      for (const sub of await fs.readdir(dir, { withFileTypes: true })) {
        if (sub.isDirectory() && !isGenerationName(sub.name) && !sub.name.startsWith('.')) await this.removeDeadTemps(path.join(dir, sub.name));
      }
    } catch {
      // an unreadable or refused record is reported when it is used, not at start-up
    } finally {
      await this.locks.release(lockName);
    }
  }

  private async removeDeadTemps(dir: string): Promise<void> {
    for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      const temp = TEMP_PATTERN.exec(entry.name);
      if (temp && !processAlive(Number(temp[1]))) await fs.rm(full, { force: true });
      else if (entry.isDirectory() && !entry.name.startsWith('.')) await this.removeDeadTemps(full);
    }
  }

  /** For tests and diagnostics: true when pointers are symlinks. */
  symlinkMode(): Promise<boolean> {
    return this.useSymlinks();
  }
}

export function recordLock(record: string): string {
  return `record:${record}`;
}

export function isGenerationName(name: string): boolean {
  return /^gen-[0-9A-Za-z]+-[0-9a-f]+$/.test(name);
}

// ---------------------------------------------------------------------------------------------

/** `current`/`previous`: a symlink (its target) or a pointer file (its content). */
async function readPointer(file: string): Promise<string | null> {
  let stats;
  try {
    stats = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (stats.isSymbolicLink()) return fs.readlink(file);
  if (stats.isFile() && stats.size < 200) return (await fs.readFile(file, 'utf8')).trim() || null;
  return null;
}

async function writePointer(dir: string, name: GenerationPointer, generation: string, symlinks: boolean): Promise<void> {
  if (symlinks) await replaceWithSymlink(path.join(dir, name), generation);
  else await writeAtomic(path.join(dir, name), `${generation}\n`, PUBLIC_MODE);
}

async function readLinkOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readlink(file);
  } catch {
    return null;
  }
}

/** A new symlink renamed over `file` (atomic). */
async function replaceWithSymlink(file: string, target: string): Promise<void> {
  const temp = tempName(file);
  await fs.symlink(target, temp);
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** A new file, mode set at creation (0600 for secrets from the first byte), fsynced. */
async function writeNew(file: string, data: string | Buffer, mode: number): Promise<void> {
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.chmod(mode); // the umask may have narrowed the mode given to open()
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp file beside the target, fsynced, renamed over it, folder fsynced. */
export async function writeAtomic(file: string, data: string | Buffer, mode: number): Promise<void> {
  const temp = tempName(file);
  try {
    await writeNew(temp, data, mode);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(file));
}

function notFoundOr(err: unknown, key: string, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new CertflowError('storage-not-found', `${file} does not exist`, { key });
  if (code === 'EACCES' || code === 'EPERM') return new CertflowError('storage-denied', `no permission to read ${file}`, { key }, { cause: err });
  return err;
}
