/**
 * Storage keys: `/`-separated names such as `node-red/state.json` or `_accounts/ab12/account.json`.
 * A key names something INSIDE the storage, whatever the backend: a segment can never be empty,
 * `.` or `..`, hold a path separator, a NUL or a drive letter, so no key (from an imported flow's
 * node id, a certificate name, a store name) can reach outside the storage root.
 */
import { createHash } from 'node:crypto';
import { CertflowError } from '../errors';

/** One segment: starts with a letter, digit or `_`, then letters, digits, `.`, `_`, `-`. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** Checks a storage key and returns its segments; throws `storage-key-invalid` for any key that could escape. */
export function keySegments(key: unknown): string[] {
  if (typeof key !== 'string' || key === '') throw invalid(key, 'it is empty');
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw invalid(key, `"${segment.slice(0, 40)}" is not a plain name (use letters, digits, ".", "_" or "-", no "..", "/" or "\\")`);
    }
  }
  return segments;
}

export function validateKey(key: unknown): string {
  keySegments(key);
  return key as string;
}

/** Joins segments into a key, checking each. */
export function joinKey(...segments: string[]): string {
  return validateKey(segments.join('/'));
}

/**
 * A storage segment for a name that comes from outside (a node id from an imported flow): the
 * name itself when it is a plain one, else a hash of it, so it can never escape or collide
 * with a plain name (plain names never start with `h-` followed by 24 hex digits by chance).
 */
export function safeSegment(name: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) && !/^h-[0-9a-f]{24}$/.test(name)) return name;
  return `h-${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 24)}`;
}

function invalid(key: unknown, why: string): CertflowError {
  const shown = typeof key === 'string' ? JSON.stringify(key.slice(0, 80)) : String(key);
  return new CertflowError(
    'storage-key-invalid',
    `the storage key ${shown} is refused: ${why}; nothing outside the certificate storage is ever written`,
  );
}
