/**
 * Folders that will hold private keys must be ours. A store folder (or the local CA's, or the
 * storage root) that someone else planted - a symbolic link into a world-writable folder, a
 * folder owned by another user - is refused before anything is written into it, with the path
 * and the fix in the message.
 */
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { CertflowError } from '../errors';

const myUid = typeof process.getuid === 'function' ? process.getuid() : undefined;
const checkModes = process.platform !== 'win32';

/** Why a folder's stat makes it unsafe for keys, or undefined when it is fine. */
function unsafeBecause(stats: Stats): string | undefined {
  if (!stats.isDirectory()) return 'is not a folder';
  if (myUid !== undefined && stats.uid !== myUid) return `belongs to another user (uid ${stats.uid})`;
  if (checkModes && (stats.mode & 0o002) !== 0) return `is writable by every user of the machine (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Throws `storage-unsafe-folder` when `dir` exists and is not a folder we may write keys into. Returns false when it does not exist. */
export async function checkFolder(dir: string): Promise<boolean> {
  let own: Stats;
  try {
    own = await fs.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (own.isSymbolicLink()) {
    const target = await fs.realpath(dir).catch(() => '(a missing target)');
    const targetStats = await fs.stat(dir).catch(() => undefined);
    const why = targetStats ? unsafeBecause(targetStats) : 'does not exist';
    if (why) {
      throw new CertflowError(
        'storage-unsafe-folder',
        `${dir} is a symbolic link to ${target}, which ${why}: no private key is written there. ` +
          `Remove the link (rm "${dir}") so a private folder is made, or point it at a folder you own with mode 0700`,
      );
    }
    return true;
  }
  const why = unsafeBecause(own);
  if (why) {
    throw new CertflowError(
      'storage-unsafe-folder',
      `${dir} ${why}: no private key is written there. Move it away so a private folder is made, or fix it (chown to this user, chmod 700)`,
    );
  }
  return true;
}

/** Makes `root/...segments` (0700), checking every folder on the way that already exists, root included. */
export async function ensureSafeFolders(root: string, segments: string[]): Promise<string> {
  let dir = root;
  if (!(await checkFolder(dir))) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const segment of segments) {
    dir = path.join(dir, segment);
    if (!(await checkFolder(dir))) {
      try {
        await fs.mkdir(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        await checkFolder(dir); // made meanwhile by another writer: check it like any other
      }
    }
  }
  return dir;
}
