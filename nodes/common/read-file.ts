/**
 * Reading a file a flow names (a certificate to inspect) with a size and a time limit. A path
 * can name anything: /dev/zero never ends, a FIFO may never get a writer, a log file may be
 * gigabytes. So the file is opened without blocking, its size checked first, then read in
 * chunks up to one byte past the limit, and a device or pipe that has no data yet is waited
 * for at most `timeoutMs`.
 */
import { constants, promises as fs } from 'node:fs';
import { CertflowError } from '../../lib/errors';

/** A certificate, chain, key or PKCS#12 file: even a system CA bundle is about 220 KiB. */
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;

const CHUNK_BYTES = 64 * 1024;
const RETRY_MS = 25;

export interface ReadFileLimits {
  maxBytes: number;
  /** How long a pipe or device may take to give all its data. */
  timeoutMs: number;
  /**
   * The message for a refusal, from the node's catalogue: `pathNul`, `fileTooLarge`
   * ({path, limit}), `fileNoData` ({path, seconds}), or `readFile` ({path, reason}) with
   * `fileReason.<errno code>` ({}) for the reason.
   */
  text(key: string, substitutions?: Record<string, unknown>): string;
}

/** Errno codes with their own reason text in the catalogue (`fileReason.<code>`). */
const KNOWN_REASONS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENXIO', 'ELOOP', 'ENAMETOOLONG', 'ENOTDIR']);

/** The whole file, or a CertflowError naming the path and what to do. */
export async function readFileWithLimits(path: string, limits: ReadFileLimits): Promise<Buffer> {
  // fs.open would throw ERR_INVALID_ARG_VALUE, which says nothing a user can act on.
  if (path.includes('\0')) throw new CertflowError('FILE_PATH_NUL', limits.text('pathNul'));
  const tooLarge = () =>
    new CertflowError('FILE_TOO_LARGE', limits.text('fileTooLarge', { path, limit: formatBytes(limits.maxBytes) }), { limitBytes: limits.maxBytes });
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO no one writes to returns at once (and is a no-op for files).
    handle = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw unreadable(path, err, limits);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw unreadable(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }), limits);
    if (stats.isFile() && stats.size > limits.maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    const deadline = Date.now() + limits.timeoutMs;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, limits.maxBytes + 1 - total));
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunk.length, null));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw unreadable(path, err, limits);
        bytesRead = -1; // a pipe or device with no data yet
      }
      if (bytesRead === 0) break;
      if (bytesRead > 0) {
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
        if (total > limits.maxBytes) throw tooLarge();
      }
      if (Date.now() > deadline) {
        throw new CertflowError('FILE_NO_DATA', limits.text('fileNoData', { path, seconds: Math.max(1, Math.round(limits.timeoutMs / 1000)) }));
      }
      if (bytesRead < 0) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function unreadable(path: string, err: unknown, limits: ReadFileLimits): CertflowError {
  if (err instanceof CertflowError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const reason = KNOWN_REASONS.has(code) ? limits.text(`fileReason.${code}`) : code || String(err);
  return new CertflowError('FILE_UNREADABLE', limits.text('readFile', { path, reason }), { code });
}

/** 1048576 -> "1 MiB", 65536 -> "64 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
