/**
 * The one storage interface (in the spirit of Caddy's certmagic Storage): everything
 * persistent - ACME accounts, certificates and their ACME state, served bundles, the local CA -
 * goes through it, so ACME and serving code never build a file path and a shared backend
 * (Redis, for clusters) can take the filesystem's place.
 *
 * Keys are `/`-separated plain names (lib/storage/keys.ts). A certificate is a RECORD: a key
 * prefix (`node-red`, `nr.example.com`) holding immutable GENERATIONS, each a complete set of
 * files (privkey.pem, cert.pem, chain.pem, fullchain.pem, meta.json) published at once: a
 * reader sees the whole old set or the whole new one, never a mix, whatever crashes when.
 */

export interface KeyInfo {
  key: string;
  size: number;
  modified: Date;
  /** False for a "folder" (a prefix of other keys). */
  isTerminal: boolean;
}

export interface StoreOptions {
  /** Holds a secret (a private key): readable by the owner only (0600) from its first byte. */
  secret?: boolean;
}

export interface LockOptions {
  /** The lock is the holder's for this long after its last refresh; then anyone may take it (default 30 s). */
  expiryMs?: number;
  /** How long to wait for a lock held by someone else; 0 = try once (default 60 s). */
  timeoutMs?: number;
  /** Told why the lock is not taken yet (held by another instance, storage unreachable): for a status. */
  onWait?: (reason: string) => void;
}

/** A change a shared storage announces: `record` ('*' = anything may have changed, e.g. after a reconnect). */
export interface StorageChange {
  record: string;
}

/** http-01 key authorizations every instance of a cluster can answer. */
export interface SharedChallengeTokens {
  put(token: string, keyAuthorization: string, ttlMs: number): Promise<void>;
  get(token: string): Promise<string | undefined>;
  remove(token: string): Promise<void>;
}

export interface GenerationFile {
  name: string;
  data: string | Buffer;
  secret?: boolean;
}

export type GenerationPointer = 'current' | 'previous';

export interface PublishOptions {
  /** Publish only while the record's current generation is still this one (null: empty record). */
  ifCurrentIs?: string | null;
  /**
   * 'current' (default): the new generation becomes current, the old current becomes previous.
   * 'previous': kept as previous only (an older certificate found by a migration).
   */
  as?: GenerationPointer;
}

export interface Storage {
  /** 'file', 'redis'... */
  readonly kind: string;
  /** Where a key lives, for messages: a path, or a backend key. */
  describe(key: string): string;

  /** The value; throws CertflowError `storage-not-found` when there is none. */
  load(key: string): Promise<Buffer>;
  /** Replaces the value atomically: readers see the old value or the new one. */
  store(key: string, value: string | Buffer, options?: StoreOptions): Promise<void>;
  /** Removes a key (and everything under it); no error when it does not exist. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys directly under `prefix` ('' = the top), or all below it with `recursive`. Internal names (dot-names) are not listed. */
  list(prefix: string, recursive?: boolean): Promise<string[]>;
  stat(key: string): Promise<KeyInfo>;

  /**
   * Takes a named lock shared by every process using this storage. A lock whose holder died
   * (its process is gone) or stopped refreshing it (expiry passed) is taken over.
   */
  lock(name: string, options?: LockOptions): Promise<void>;
  unlock(name: string): Promise<void>;

  /** Writes a complete generation of `record` and publishes it in one step; returns its id. */
  publishGeneration(record: string, files: GenerationFile[], options?: PublishOptions): Promise<string>;
  /** The generation id `which` points at, or null. */
  generation(record: string, which: GenerationPointer): Promise<string | null>;
  /** Files of one generation (undefined for a file it does not hold); throws `storage-not-found` if the generation is gone. */
  loadGeneration(record: string, generation: string, names: readonly string[]): Promise<Record<string, Buffer | undefined>>;

  /** Calls `listener` when a record changed (files: in this process; shared backends: in any instance); returns the unsubscribe. */
  watch?(listener: (change: StorageChange) => void): () => void;
  /** Shared backends: http-01 tokens any instance answers. */
  readonly challengeTokens?: SharedChallengeTokens;
}

/** The value as text, or undefined when the key does not exist. */
export async function loadTextOrUndefined(storage: Storage, key: string): Promise<string | undefined> {
  try {
    return (await storage.load(key)).toString('utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'storage-not-found';
}

/** Runs `work` holding the lock `name`. */
export async function withLock<T>(storage: Storage, name: string, work: () => Promise<T>, options?: LockOptions): Promise<T> {
  await storage.lock(name, options);
  try {
    return await work();
  } finally {
    await storage.unlock(name).catch(() => undefined);
  }
}
