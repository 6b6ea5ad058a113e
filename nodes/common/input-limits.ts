/**
 * How much a node accepts from a message, the flow or context before handing it to lib/:
 * values are walked once, without recursion, so a hostile shape (arrays nested 10,000 deep,
 * millions of entries) is refused with a clear error instead of overflowing the stack or
 * keeping the event loop busy. Bytes of certificates and keys are lib's to limit.
 */
import { CertflowError } from '../../lib/errors';

/** A bundle with its inspect result is about 8 levels deep: 32 leaves room, recursion stays shallow. */
export const MAX_INPUT_DEPTH = 32;
/** Array elements and object fields in one value: an inspected chain has a few hundred. */
export const MAX_INPUT_ENTRIES = 100000;
/** A single text setting (a name, a host, a file path): PATH_MAX is 4096. */
export const MAX_TEXT_LENGTH = 4096;
/** A passphrase or password: OpenSSL's PEM code reads at most 1023 characters of one. */
export const MAX_SECRET_LENGTH = 1023;

/**
 * Throws INPUT_TOO_DEEP / INPUT_TOO_LARGE when `value` nests arrays or objects deeper than
 * MAX_INPUT_DEPTH or holds more than MAX_INPUT_ENTRIES of them. Buffers and typed arrays
 * count as one entry (their bytes are lib's to judge).
 */
export function checkInputShape(value: unknown, source: string): void {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  const seen = new Set<object>();
  let entries = 0;
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop()!;
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current) || current instanceof ArrayBuffer) continue;
    if (seen.has(current)) continue; // shared or circular: walked once
    seen.add(current);
    if (depth >= MAX_INPUT_DEPTH) {
      throw new CertflowError('INPUT_TOO_DEEP', `${source} must nest at most ${MAX_INPUT_DEPTH} levels of lists/objects (it nests more)`, {
        limit: MAX_INPUT_DEPTH,
      });
    }
    const children = Array.isArray(current) ? current : Object.values(current);
    entries += children.length;
    if (entries > MAX_INPUT_ENTRIES) {
      throw new CertflowError('INPUT_TOO_LARGE', `${source} must hold at most ${MAX_INPUT_ENTRIES} list items/fields (it holds more)`, {
        limit: MAX_INPUT_ENTRIES,
      });
    }
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
}

/**
 * Removes the msg properties nested deeper than MAX_INPUT_DEPTH. Node-RED deep-copies a msg for
 * every Catch node, recursively: a property 10,000 levels deep would overflow the stack there,
 * and the error would never reach the flow. Returns the names removed.
 */
export function dropTooDeepProperties(msg: Record<string, unknown>): string[] {
  const removed: string[] = [];
  for (const [name, value] of Object.entries(msg)) {
    try {
      checkInputShape(value, name);
    } catch (err) {
      if (!(err instanceof CertflowError) || err.code !== 'INPUT_TOO_DEEP') continue;
      delete msg[name];
      removed.push(name);
    }
  }
  return removed;
}
