/**
 * Crash-safe file writes: write a temp file in the same folder, fsync it, rename it over the
 * target, fsync the folder. A reader (or a process killed mid-write) sees the old file or the
 * new one, never half of one. Secrets get mode 0600 from the moment the temp file exists.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export async function writeFileAtomic(target: string, data: string | Buffer, mode: number = PUBLIC_FILE_MODE): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed or widened the mode given to open()
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable across power loss; some filesystems refuse, which is harmless. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here (e.g. Windows, some network filesystems): the rename is still atomic
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
