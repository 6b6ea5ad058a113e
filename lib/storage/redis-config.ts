/**
 * Which storage a userDir uses, configured in ONE place that both the settings.js helper (at
 * boot, before flows start) and the nodes read: a module-level registry keyed by userDir.
 *
 *   settings.js:  https: certflow.https({ name: 'node-red', storage: { redis: 'redis://...', secret: '...' } })
 *            or:  certflow: { storage: { redis: 'redis://...' } }     (Node-RED without the https helper)
 *
 * The https helper fills the registry when settings.js is loaded; the nodes fill it from
 * RED.settings.certflow.storage when they are registered, unless the helper already did.
 * Without any, the userDir's files are used (the default).
 *
 * Credentials (a Redis password, TLS options) live in settings.js or the environment, never in
 * a flow; every message shows the Redis URL with its password replaced by `***`.
 */
import * as path from 'node:path';
import { CertflowError } from '../errors';

/** How to reach Redis (6+) or Valkey: a URL, or a URL plus options kept out of it. */
export interface RedisConnectionSettings {
  /** redis://[user[:password]@]host[:port][/db], rediss:// for TLS. */
  url: string;
  /** Password (better than one in the URL: it never appears anywhere). */
  password?: string;
  username?: string;
  /** TLS options for the connection (ca, cert, key, servername...); `true` = TLS with the system's trust. */
  tls?: boolean | Record<string, unknown>;
}

export interface StorageSettings {
  /** Redis for a cluster of Node-RED instances: a URL or RedisConnectionSettings. Absent: files under the userDir. */
  redis?: string | RedisConnectionSettings;
  /**
   * Secret the private keys in Redis are encrypted with (AES-256-GCM, key derived by
   * HKDF-SHA256). Use the same value as Node-RED's credentialSecret, e.g. from an environment
   * variable. The nodes fall back to RED.settings.credentialSecret when it is not given.
   */
  secret?: string;
  /** Prefix of every Redis key (default `certflow:`): several clusters can share one Redis. */
  prefix?: string;
  /** A lock is taken over this long after its holder stopped refreshing it (default 30 s). */
  lockExpiryMs?: number;
  /** Besides pub/sub, every instance re-checks its served certificate this often (default 60 s). */
  pollIntervalMs?: number;
  /** A failing storage operation of a renewal waits and retries this long before it fails (default 15 min). */
  outageRetryMs?: number;
}

/** The checked form, with the secret resolved. */
export interface ResolvedRedisSettings {
  url: string;
  /** The URL with its password as `***`: the only form any message shows. */
  safeUrl: string;
  password?: string;
  username?: string;
  tls?: boolean | Record<string, unknown>;
  secret: string;
  prefix: string;
  lockExpiryMs: number;
  pollIntervalMs: number;
  outageRetryMs: number;
}

const ALLOWED = new Set(['redis', 'secret', 'prefix', 'lockExpiryMs', 'pollIntervalMs', 'outageRetryMs']);
const registry = new Map<string, StorageSettings>();
const secretFallbacks = new Map<string, string>();

function keyOf(userDir: string): string {
  return path.resolve(userDir);
}

/** Sets the storage of `userDir` for this process (settings helper, or nodes from RED.settings). */
export function configureStorage(userDir: string, settings: StorageSettings | undefined, options: { ifUnset?: boolean } = {}): void {
  if (settings === undefined || settings === null) return;
  if (typeof settings !== 'object' || Array.isArray(settings)) {
    throw new CertflowError(
      'storage-config-invalid',
      'the certflow storage setting must be an object such as { redis: "redis://127.0.0.1:6379", secret: "..." }',
    );
  }
  const unknown = Object.keys(settings).filter((k) => !ALLOWED.has(k));
  if (unknown.length) {
    throw new CertflowError(
      'storage-config-invalid',
      `unknown certflow storage setting ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...ALLOWED].join(', ')}`,
    );
  }
  if (options.ifUnset && registry.has(keyOf(userDir))) return;
  if (settings.redis !== undefined) resolveRedisSettings(settings, 'check'); // fail at boot, not at the first order
  registry.set(keyOf(userDir), settings);
}

/** Node-RED's credentialSecret, used as the encryption secret when the storage setting gives none. */
export function setStorageSecretFallback(userDir: string, secret: unknown): void {
  if (typeof secret === 'string' && secret !== '') secretFallbacks.set(keyOf(userDir), secret);
}

export function storageSettingsFor(userDir: string): StorageSettings | undefined {
  return registry.get(keyOf(userDir));
}

/** Forgets every configured storage (tests). */
export function forgetStorageSettings(): void {
  registry.clear();
  secretFallbacks.clear();
}

/** The URL with any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.includes('@') ? `***@${url.slice(url.lastIndexOf('@') + 1)}` : url; // unreadable: nothing before an @ is shown
  }
}

/** Removes every secret we know of from a text (an error message of the client, a URL). */
export function redactText(text: string, settings: Pick<ResolvedRedisSettings, 'url' | 'safeUrl' | 'password' | 'secret'>): string {
  let out = text.split(settings.url).join(settings.safeUrl);
  for (const secret of [settings.password, settings.secret, passwordOf(settings.url)]) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

export function resolveRedisSettings(settings: StorageSettings, userDir?: string): ResolvedRedisSettings {
  const given = settings.redis;
  const connection: RedisConnectionSettings | undefined = typeof given === 'string' ? { url: given } : given;
  if (!connection || typeof connection.url !== 'string' || connection.url.trim() === '') {
    throw new CertflowError('storage-config-invalid', 'storage.redis needs a URL such as "redis://127.0.0.1:6379" (or { url, password, tls })');
  }
  const url = connection.url.trim();
  const safeUrl = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CertflowError(
      'storage-config-invalid',
      `storage.redis "${safeUrl}" is not a URL; write it as redis://host:port or rediss://host:port for TLS`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new CertflowError('storage-config-invalid', `storage.redis "${safeUrl}" must start with redis:// (or rediss:// for TLS)`);
  }
  const secret = settings.secret ?? (userDir && userDir !== 'check' ? secretFallbacks.get(keyOf(userDir)) : undefined);
  if (userDir !== 'check' && (typeof secret !== 'string' || secret.length < 8)) {
    throw new CertflowError(
      'storage-no-secret',
      'private keys in Redis are stored encrypted: give storage.secret (8+ characters; the same value as credentialSecret is a good choice, e.g. from an environment variable), or set credentialSecret in settings.js',
    );
  }
  const prefix = settings.prefix ?? 'certflow:';
  if (!/^[A-Za-z0-9:._{}-]{0,64}$/.test(prefix)) {
    throw new CertflowError(
      'storage-config-invalid',
      `storage.prefix "${prefix.slice(0, 70)}" may hold letters, digits and : . _ - { } only (64 at most)`,
    );
  }
  const positive = (value: unknown, fallback: number, name: string) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new CertflowError('storage-config-invalid', `storage.${name} must be a positive number of milliseconds`);
    return value;
  };
  return {
    url,
    safeUrl,
    password: connection.password,
    username: connection.username,
    tls: connection.tls,
    secret: secret ?? '',
    prefix,
    lockExpiryMs: positive(settings.lockExpiryMs, 30_000, 'lockExpiryMs'),
    pollIntervalMs: positive(settings.pollIntervalMs, 60_000, 'pollIntervalMs'),
    outageRetryMs: positive(settings.outageRetryMs, 15 * 60_000, 'outageRetryMs'),
  };
}
