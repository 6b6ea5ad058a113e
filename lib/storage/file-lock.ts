/**
 * Locks shared by every process on one machine: a lock is a file `<root>/.locks/<name>.lock`
 * holding { pid, host, token, expires }, created in one step (link(2) of a complete temp file,
 * which fails when the lock exists). The holder refreshes `expires` while it works; a lock
 * whose process is dead, or whose expiry passed (a hung or remote holder), is taken over. So a
 * process killed with -9 never holds a lock for longer than it takes the next one to look.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertflowError } from '../errors';

export const DEFAULT_LOCK_EXPIRY_MS = 30_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

interface LockContent {
  pid: number;
  host: string;
  token: string;
  expires: number;
}

interface Held {
  token: string;
  refresh: NodeJS.Timeout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when a process with this pid exists on this machine. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FileLocks {
  private readonly held = new Map<string, Held>();

  constructor(private readonly dir: string) {}

  private file(name: string): string {
    const readable = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
    return path.join(this.dir, `${readable}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}.lock`);
  }

  async acquire(name: string, options: { expiryMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const expiryMs = options.expiryMs ?? DEFAULT_LOCK_EXPIRY_MS;
    const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    const file = this.file(name);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (;;) {
      const token = randomBytes(8).toString('hex');
      if (await this.tryCreate(file, { pid: process.pid, host: os.hostname(), token, expires: Date.now() + expiryMs })) {
        const refresh = setInterval(() => void this.refresh(file, token, expiryMs), Math.max(expiryMs / 3, 50));
        refresh.unref();
        this.held.set(name, { token, refresh });
        return;
      }
      const holder = await readLock(file);
      if (holder && isStale(holder)) {
        await this.removeIfStill(file, holder);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new CertflowError(
          'storage-locked',
          `"${name}" is locked by process ${holder?.pid ?? '?'} on ${holder?.host ?? '?'} (lock file ${file}); it is taken over when that process ends or stops refreshing it`,
        );
      }
      await sleep(20 + Math.random() * 40);
    }
  }

  async release(name: string): Promise<void> {
    const held = this.held.get(name);
    if (!held) return;
    this.held.delete(name);
    clearInterval(held.refresh);
    const file = this.file(name);
    const current = await readLock(file);
    if (current && current.token === held.token) await fs.rm(file, { force: true });
  }

  /** True when a live process (or one still within its expiry) holds `name`. */
  async heldByOther(name: string): Promise<boolean> {
    if (this.held.has(name)) return true;
    const holder = await readLock(this.file(name));
    return !!holder && !isStale(holder);
  }

  /** Removes lock files of dead holders and temp files of interrupted lock writes. */
  async removeStale(): Promise<void> {
    const entries = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const entry of entries) {
      const file = path.join(this.dir, entry);
      if (entry.endsWith('.lock')) {
        const holder = await readLock(file);
        if (holder && isStale(holder)) await this.removeIfStill(file, holder);
      } else if (entry.endsWith('.tmp')) {
        const pid = Number(entry.split('.')[1]);
        if (!processAlive(pid)) await fs.rm(file, { force: true });
      }
    }
  }

  private async tryCreate(file: string, content: LockContent): Promise<boolean> {
    const temp = path.join(this.dir, `.${process.pid}.${content.token}.tmp`);
    await fs.writeFile(temp, JSON.stringify(content), { mode: 0o600 });
    try {
      await fs.link(temp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private async refresh(file: string, token: string, expiryMs: number): Promise<void> {
    const current = await readLock(file);
    if (!current || current.token !== token) return;
    const temp = path.join(this.dir, `.${process.pid}.${token}-r.tmp`);
    try {
      await fs.writeFile(temp, JSON.stringify({ ...current, expires: Date.now() + expiryMs }), { mode: 0o600 });
      await fs.rename(temp, file);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** Removes a stale lock file unless someone replaced it meanwhile. */
  private async removeIfStill(file: string, stale: LockContent): Promise<void> {
    const again = await readLock(file);
    if (again && again.token === stale.token) await fs.rm(file, { force: true });
  }
}

function isStale(holder: LockContent): boolean {
  if (holder.expires < Date.now()) return true;
  return holder.host === os.hostname() && !processAlive(holder.pid);
}

async function readLock(file: string): Promise<LockContent | undefined> {
  try {
    const data = JSON.parse(await fs.readFile(file, 'utf8')) as LockContent;
    return typeof data.token === 'string' ? data : { pid: 0, host: '', token: 'damaged', expires: 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: 0, host: '', token: 'damaged', expires: 0 }; // unreadable: stale
  }
}
