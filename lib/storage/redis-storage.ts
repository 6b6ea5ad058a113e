/**
 * The Redis backend (Redis 6+ or Valkey), for a cluster of Node-RED instances sharing one set
 * of certificates: the same Storage interface as the files, so the ACME manager, accounts and
 * the served stores work unchanged. Client: `ioredis`, an OPTIONAL peer dependency loaded only
 * here, only when Redis is configured.
 *
 * Keys (prefix `certflow:` by default; <key> is a storage key such as `node-red/state.json`):
 *   <p>v:<key>             hash { v: value, m: modified ms }          plain keys (secrets sealed)
 *   <p>g:<record>/<gen>    hash { <file>: bytes, .m }                 one generation (privkey.pem sealed)
 *   <p>p:<record>          hash { current, previous }                 generation pointers
 *   <p>index               sorted set of every key and <record>/<gen> (list/exists/delete by prefix)
 *   <p>lock:<name>         "<fence>:<owner>" with PX expiry           a lock (SET NX PX, Lua-checked unlock/extend)
 *   <p>fence:<name>        counter                                    the lock's fencing counter (INCR per take)
 *   <p>fenced:<name>       highest fence that wrote under the lock    a stale holder's write is refused
 *   <p>http01:<token>      key authorization, PX 10 min               http-01 answered by any instance
 *   channel <p>events      {"record": ...} after every write          hot swap on every instance
 *
 * Every write is one Lua script: the lock check (the writer's token is still the lock's value,
 * its fence not older than the last one that wrote), the write and the PUBLISH happen at once.
 * A generation is published with the pointer swap in the same script, so readers see the old
 * set or the new one. Private keys are sealed with AES-256-GCM (redis-crypto.ts) before they
 * leave the process.
 *
 * When Redis is unreachable, commands fail at once with `storage-unavailable` (the serving side
 * keeps what it serves), lock() waits and retries with backoff (a renewal resumes when Redis is
 * back), and one line says so in the log; ioredis reconnects by itself.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { CertflowError } from '../errors';
import { keySegments, validateKey } from './keys';
import { redactText, type ResolvedRedisSettings } from './redis-config';
import { SecretBox } from './redis-crypto';
import type {
  GenerationFile,
  GenerationPointer,
  KeyInfo,
  LockOptions,
  PublishOptions,
  SharedChallengeTokens,
  Storage,
  StorageChange,
  StoreOptions,
} from './storage';

export type StorageLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

/** The part of ioredis we use (typed here: the package is optional, its types may be absent). */
interface RedisClient {
  status: string;
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown>;
  callBuffer(command: string, ...args: (string | Buffer | number)[]): Promise<unknown>;
  duplicate(options?: Record<string, unknown>): RedisClient;
  on(event: string, listener: (...args: any[]) => void): RedisClient;
  subscribe(...channels: string[]): Promise<unknown>;
  disconnect(): void;
  quit(): Promise<unknown>;
}
type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient;

const CLIENT_PACKAGE = 'ioredis';
const CHALLENGE_TTL_MS = 10 * 60_000;

/** Loads ioredis, or says which npm install makes Redis storage work. */
export function loadRedisClient(): RedisConstructor {
  let mod: { default?: RedisConstructor; Redis?: RedisConstructor } | RedisConstructor;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis is an optional peer: loaded only when Redis storage is configured
    mod = require(CLIENT_PACKAGE) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new CertflowError(
        'storage-client-missing',
        `Redis storage needs the Redis client "${CLIENT_PACKAGE}", which is not installed: run \`npm install ${CLIENT_PACKAGE}\` in the Node-RED user directory (e.g. ~/.node-red), then restart Node-RED`,
      );
    }
    throw err;
  }
  const ctor = typeof mod === 'function' ? mod : (mod.Redis ?? mod.default);
  if (typeof ctor !== 'function')
    throw new CertflowError(
      'storage-client-missing',
      `"${CLIENT_PACKAGE}" does not export a Redis client class: run \`npm install ${CLIENT_PACKAGE}@5\``,
    );
  return ctor;
}

// ---------------------------------------------------------------------------------------------
// Lua

const GUARD = `
local function guard()
  if ARGV[1] == '' then return true end
  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  local fence = tonumber(ARGV[2])
  if fence < last then return false end
  if fence > last then redis.call('SET', KEYS[2], ARGV[2]) end
  return true
end
if not guard() then return redis.error_reply('CERTFLOW_FENCED') end
`;

/** KEYS lock fenced value index; ARGV token fence value now member channel payload */
const STORE_SCRIPT = `${GUARD}
redis.call('HSET', KEYS[3], 'v', ARGV[3], 'm', ARGV[4])
redis.call('ZADD', KEYS[4], 0, ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1`;

/** KEYS lock fenced pointers index newgen; ARGV token fence check expected gen as now genprefix record channel payload files... */
const PUBLISH_SCRIPT = `${GUARD}
local cur = redis.call('HGET', KEYS[3], 'current')
if ARGV[3] == '1' and (cur or '') ~= ARGV[4] then return redis.error_reply('CERTFLOW_CHANGED') end
local fields = {}
for i = 12, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[5], '.m', ARGV[7], unpack(fields))
redis.call('ZADD', KEYS[4], 0, ARGV[9] .. '/' .. ARGV[5])
local prev = redis.call('HGET', KEYS[3], 'previous')
local function drop(gen)
  if gen and gen ~= ARGV[5] then
    redis.call('DEL', ARGV[8] .. gen)
    redis.call('ZREM', KEYS[4], ARGV[9] .. '/' .. gen)
  end
end
if ARGV[6] == 'current' then
  if cur and cur ~= ARGV[5] then
    if prev and prev ~= cur then drop(prev) end
    redis.call('HSET', KEYS[3], 'previous', cur)
  end
  redis.call('HSET', KEYS[3], 'current', ARGV[5])
else
  if prev and prev ~= cur then drop(prev) end
  redis.call('HSET', KEYS[3], 'previous', ARGV[5])
end
redis.call('PUBLISH', ARGV[10], ARGV[11])
return 1`;

const LOCK_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
local token = fence .. ':' .. ARGV[2]
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

const EXTEND_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const UNLOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface HeldLock {
  token: string;
  fence: number;
  scope: string | undefined;
  refresh: NodeJS.Timeout;
  extendedAt: number;
  lost: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The storage keys a lock protects (its writes are fenced): `acme:<record>` the record, `account:<id>` the account. */
function lockScope(name: string): string | undefined {
  const [kind, ...rest] = name.split(':');
  const target = rest.join(':');
  if (!target) return undefined;
  if (kind === 'acme' || kind === 'record') return target;
  if (kind === 'account') return `_accounts/${target}`;
  return undefined;
}

export interface RedisStorageOptions {
  log?: StorageLogger;
  /** Tests: a client constructor other than ioredis. */
  client?: RedisConstructor;
}

export class RedisStorage implements Storage {
  readonly kind = 'redis';
  readonly settings: ResolvedRedisSettings;
  readonly challengeTokens: SharedChallengeTokens;
  private readonly client: RedisClient;
  private readonly box: SecretBox;
  private readonly log?: StorageLogger;
  private readonly held = new Map<string, HeldLock>();
  private readonly owner = `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private readonly watchers = new Set<(change: StorageChange) => void>();
  private subscriber?: RedisClient;
  private pollTimer?: NodeJS.Timeout;
  private reachable = true;
  private lastProblem = '';
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(settings: ResolvedRedisSettings, options: RedisStorageOptions = {}) {
    this.settings = settings;
    this.log = options.log;
    this.box = new SecretBox(settings.secret);
    const Redis = options.client ?? loadRedisClient();
    this.client = new Redis(settings.url, this.clientOptions(false));
    this.client.on('error', (err: Error) => this.unreachable(err));
    this.client.on('end', () => this.unreachable(new Error('connection closed')));
    this.ready = new Promise<void>((resolve) => {
      this.client.on('ready', () => {
        if (!this.reachable) this.log?.('info', `Redis storage ${settings.safeUrl} is reachable again`);
        this.reachable = true;
        this.lastProblem = '';
        resolve();
      });
    });
    this.challengeTokens = {
      put: async (token, keyAuthorization, ttlMs) => {
        await this.cmd('SET', this.k(`http01:${token}`), keyAuthorization, 'PX', Math.max(1000, Math.round(ttlMs || CHALLENGE_TTL_MS)));
      },
      get: async (token) => {
        const value = await this.cmd('GET', this.k(`http01:${token}`));
        return typeof value === 'string' ? value : undefined;
      },
      remove: async (token) => {
        await this.cmd('DEL', this.k(`http01:${token}`));
      },
    };
  }

  private clientOptions(subscriber: boolean): Record<string, unknown> {
    const s = this.settings;
    return {
      password: s.password,
      username: s.username,
      ...(s.tls ? { tls: s.tls === true ? {} : s.tls } : {}),
      connectionName: `certflow-${subscriber ? 'events' : 'storage'}-${process.pid}`,
      // commands fail at once while Redis is away (the caller decides to wait or to serve what it has)
      enableOfflineQueue: subscriber,
      maxRetriesPerRequest: subscriber ? null : 0,
      commandTimeout: subscriber ? undefined : 5000,
      connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 2000),
      autoResubscribe: true,
    };
  }

  /** Waits (at most `ms`) for the first connection; the storage works without it, failing until Redis answers. */
  async waitReady(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([this.ready.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))]);
    clearTimeout(timer);
    return ok;
  }

  private unreachable(err: Error): void {
    if (this.closed) return;
    const why = redactText(err.message || String(err), this.settings);
    if (this.reachable || why !== this.lastProblem) {
      if (this.reachable) {
        this.log?.(
          'warn',
          `Redis storage ${this.settings.safeUrl} is unreachable (${why}): every instance keeps serving the certificate it has; renewals wait and retry`,
        );
      }
      this.reachable = false;
      this.lastProblem = why;
    }
  }

  /** True while the last command reached Redis. */
  get isReachable(): boolean {
    return this.reachable && this.client.status === 'ready';
  }

  private k(suffix: string): string {
    return `${this.settings.prefix}${suffix}`;
  }

  describe(key: string): string {
    return `${this.settings.safeUrl} ${this.settings.prefix}${key}`;
  }

  /** One command; a connection problem becomes `storage-unavailable`, our script errors become their codes. */
  private async cmd(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    return this.run(() => this.client.call(command, ...args));
  }

  private async cmdBuffer(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    return this.run(() => this.client.callBuffer(command, ...args));
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new CertflowError('storage-unavailable', `the Redis storage ${this.settings.safeUrl} is closed`);
    try {
      return await fn();
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): Error {
    if (err instanceof CertflowError) return err;
    const message = redactText(err instanceof Error ? err.message : String(err), this.settings);
    if (/CERTFLOW_FENCED/.test(message)) {
      return new CertflowError(
        'storage-fenced',
        'this instance no longer holds the lock (it expired and another instance took it over): its write was refused',
      );
    }
    if (/CERTFLOW_CHANGED/.test(message))
      return new CertflowError('store-changed', 'the record changed meanwhile (another certificate was installed); nothing written');
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) {
      return new CertflowError(
        'storage-denied',
        `Redis at ${this.settings.safeUrl} refused the credentials (${message}): check the password in storage.redis`,
      );
    }
    if (
      this.client.status !== 'ready' ||
      /writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|timed out|ENOTFOUND|EHOSTUNREACH/i.test(message)
    ) {
      this.unreachable(err instanceof Error ? err : new Error(message));
      return new CertflowError('storage-unavailable', `Redis storage ${this.settings.safeUrl} is unreachable (${message})`);
    }
    return new CertflowError('storage-error', `Redis storage ${this.settings.safeUrl}: ${message}`);
  }

  // -------------------------------------------------------------------------------------------
  // Writes under a held lock are fenced

  private guardFor(key: string): { lockKey: string; fencedKey: string; token: string; fence: string } {
    for (const [name, lock] of this.held) {
      if (lock.scope && (key === lock.scope || key.startsWith(`${lock.scope}/`))) {
        return { lockKey: this.k(`lock:${name}`), fencedKey: this.k(`fenced:${name}`), token: lock.token, fence: String(lock.fence) };
      }
    }
    return { lockKey: this.k('lock:-'), fencedKey: this.k('fenced:-'), token: '', fence: '0' };
  }

  private event(record: string): string {
    return JSON.stringify({ record, by: this.owner });
  }

  // -------------------------------------------------------------------------------------------
  // Plain keys

  async load(key: string): Promise<Buffer> {
    validateKey(key);
    const value = (await this.cmdBuffer('HGET', this.k(`v:${key}`), 'v')) as Buffer | null;
    if (value === null || value === undefined) throw new CertflowError('storage-not-found', `${this.describe(key)} does not exist`, { key });
    return this.box.open(key, value, this.describe(key));
  }

  async store(key: string, value: string | Buffer, options: StoreOptions = {}): Promise<void> {
    const segments = keySegments(key);
    const data = options.secret ? this.box.seal(key, value) : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
    const g = this.guardFor(key);
    await this.cmd(
      'EVAL',
      STORE_SCRIPT,
      4,
      g.lockKey,
      g.fencedKey,
      this.k(`v:${key}`),
      this.k('index'),
      g.token,
      g.fence,
      data,
      Date.now(),
      key,
      this.k('events'),
      this.event(segments[0]),
    );
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    const members = (await this.cmd('ZRANGEBYLEX', this.k('index'), `[${key}/`, `[${key}/\xff`)) as string[];
    const all = [key, ...members];
    const dels: string[] = [];
    for (const member of all) dels.push(this.k(`v:${member}`), this.k(`g:${member}`));
    dels.push(this.k(`p:${key}`));
    await this.cmd('DEL', ...dels);
    await this.cmd('ZREM', this.k('index'), ...all);
    await this.cmd('PUBLISH', this.k('events'), this.event(key.split('/')[0]));
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    if (Number(await this.cmd('EXISTS', this.k(`v:${key}`), this.k(`p:${key}`))) > 0) return true;
    const below = (await this.cmd('ZRANGEBYLEX', this.k('index'), `[${key}/`, `[${key}/\xff`, 'LIMIT', 0, 1)) as string[];
    return below.length > 0;
  }

  async list(prefix: string, recursive = false): Promise<string[]> {
    if (prefix !== '') validateKey(prefix);
    const start = prefix === '' ? '-' : `[${prefix}/`;
    const end = prefix === '' ? '+' : `[${prefix}/\xff`;
    const members = (await this.cmd('ZRANGEBYLEX', this.k('index'), start, end)) as string[];
    const found = new Set<string>();
    const base = prefix === '' ? 0 : keySegments(prefix).length;
    for (const member of members) {
      const segments = member.split('/');
      if (recursive) {
        for (let depth = base + 1; depth <= segments.length; depth++) found.add(segments.slice(0, depth).join('/'));
      } else if (segments.length > base) {
        found.add(segments.slice(0, base + 1).join('/'));
      }
    }
    return [...found].sort();
  }

  async stat(key: string): Promise<KeyInfo> {
    validateKey(key);
    const [modified, size] = (await Promise.all([this.cmd('HGET', this.k(`v:${key}`), 'm'), this.cmd('HSTRLEN', this.k(`v:${key}`), 'v')])) as [
      string | null,
      number,
    ];
    if (modified !== null) return { key, size: Number(size), modified: new Date(Number(modified)), isTerminal: true };
    if (await this.exists(key)) return { key, size: 0, modified: new Date(0), isTerminal: false };
    throw new CertflowError('storage-not-found', `${this.describe(key)} does not exist`, { key });
  }

  // -------------------------------------------------------------------------------------------
  // Locks: SET NX PX with a fenced token; unlock and extend only with the token

  async lock(name: string, options: LockOptions = {}): Promise<void> {
    if (this.held.has(name)) {
      throw new CertflowError('storage-locked', `"${name}" is already held by this process`);
    }
    const expiryMs = options.expiryMs ?? this.settings.lockExpiryMs;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const started = Date.now();
    let outageSince: number | undefined;
    let backoff = 250;
    let toldBusy = false;
    for (;;) {
      let token: string | null;
      try {
        token = (await this.cmd('EVAL', LOCK_SCRIPT, 2, this.k(`lock:${name}`), this.k(`fence:${name}`), expiryMs, this.owner)) as string | null;
        outageSince = undefined;
        backoff = 250;
      } catch (err) {
        if (!(err instanceof CertflowError && err.code === 'storage-unavailable') || timeoutMs === 0) throw err;
        // Redis is away: wait and retry with backoff (a renewal resumes when it is back)
        outageSince ??= Date.now();
        if (Date.now() - outageSince > Math.max(this.settings.outageRetryMs, timeoutMs)) throw err;
        options.onWait?.(`${err.message}; retrying in ${Math.round(backoff / 1000) || 1} s`);
        await sleep(backoff * (0.8 + Math.random() * 0.4));
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      if (token) {
        this.remember(name, token, expiryMs);
        return;
      }
      if (Date.now() - started >= timeoutMs) {
        const holder = (await this.cmd('GET', this.k(`lock:${name}`)).catch(() => null)) as string | null;
        throw new CertflowError(
          'storage-locked',
          `"${name}" is locked by ${holder ? holder.split(':').slice(1).join(':') : 'another instance'} (${this.describe(`lock:${name}`)}); it is taken over when that instance stops refreshing it`,
        );
      }
      if (!toldBusy) {
        toldBusy = true;
        const holder = (await this.cmd('GET', this.k(`lock:${name}`)).catch(() => null)) as string | null;
        options.onWait?.(`another instance (${holder ? holder.split(':').slice(1, 2).join('') : '?'}) holds ${name}: waiting for it`);
      }
      await sleep(60 + Math.random() * 140);
    }
  }

  private remember(name: string, token: string, expiryMs: number): void {
    const lock: HeldLock = {
      token,
      fence: Number(token.split(':')[0]),
      scope: lockScope(name),
      extendedAt: Date.now(),
      lost: false,
      refresh: setInterval(() => void this.extend(name, lock, expiryMs), Math.max(expiryMs / 3, 50)),
    };
    lock.refresh.unref();
    this.held.set(name, lock);
  }

  private async extend(name: string, lock: HeldLock, expiryMs: number): Promise<void> {
    if (lock.lost) return;
    try {
      const ok = Number(await this.cmd('EVAL', EXTEND_SCRIPT, 1, this.k(`lock:${name}`), lock.token, expiryMs));
      if (ok === 1) lock.extendedAt = Date.now();
      else lock.lost = true;
    } catch {
      // unreachable: keep trying; past the expiry another instance may hold it (the fence refuses our writes)
    }
    if (lock.lost || Date.now() - lock.extendedAt > expiryMs) {
      if (!lock.lost) lock.lost = true;
      this.log?.(
        'warn',
        `lost the lock "${name}" (not refreshed within ${expiryMs} ms): another instance may take it over; writes of this one are refused`,
      );
      clearInterval(lock.refresh);
    }
  }

  async unlock(name: string): Promise<void> {
    const lock = this.held.get(name);
    if (!lock) return;
    this.held.delete(name);
    clearInterval(lock.refresh);
    await this.cmd('EVAL', UNLOCK_SCRIPT, 1, this.k(`lock:${name}`), lock.token).catch(() => undefined); // else it expires
  }

  /** The fencing token of a lock this process holds (tests, diagnostics). */
  heldToken(name: string): string | undefined {
    return this.held.get(name)?.token;
  }

  // -------------------------------------------------------------------------------------------
  // Generations

  async publishGeneration(record: string, files: GenerationFile[], options: PublishOptions = {}): Promise<string> {
    validateKey(record);
    const generation = `gen-${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const fields: (string | Buffer)[] = [];
    for (const file of files) {
      validateKey(file.name);
      const name = `${record}/${generation}/${file.name}`;
      fields.push(file.name, file.secret ? this.box.seal(name, file.data) : Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data, 'utf8'));
    }
    const g = this.guardFor(record);
    const check = options.ifCurrentIs !== undefined;
    await this.cmd(
      'EVAL',
      PUBLISH_SCRIPT,
      5,
      g.lockKey,
      g.fencedKey,
      this.k(`p:${record}`),
      this.k('index'),
      this.k(`g:${record}/${generation}`),
      g.token,
      g.fence,
      check ? '1' : '0',
      options.ifCurrentIs ?? '',
      generation,
      options.as ?? 'current',
      Date.now(),
      this.k(`g:${record}/`),
      record,
      this.k('events'),
      this.event(record),
      ...fields,
    );
    return generation;
  }

  async generation(record: string, which: GenerationPointer): Promise<string | null> {
    validateKey(record);
    const value = (await this.cmd('HGET', this.k(`p:${record}`), which)) as string | null;
    return value || null;
  }

  async loadGeneration(record: string, generation: string, names: readonly string[]): Promise<Record<string, Buffer | undefined>> {
    validateKey(`${record}/${generation}`);
    const key = this.k(`g:${record}/${generation}`);
    const values = (await this.cmdBuffer('HMGET', key, '.m', ...names.map((n) => validateKey(n)))) as (Buffer | null)[];
    if (!values[0])
      throw new CertflowError('storage-not-found', `${this.describe(`${record}/${generation}`)} does not exist`, { key: `${record}/${generation}` });
    const result: Record<string, Buffer | undefined> = {};
    names.forEach((name, i) => {
      const value = values[i + 1];
      result[name] = value ? this.box.open(`${record}/${generation}/${name}`, value, this.describe(`${record}/${generation}/${name}`)) : undefined;
    });
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Changes: pub/sub, a resync after every reconnect, and a slow poll as a bound

  watch(listener: (change: StorageChange) => void): () => void {
    this.watchers.add(listener);
    if (!this.subscriber) {
      const subscriber = this.client.duplicate(this.clientOptions(true));
      this.subscriber = subscriber;
      let first = true;
      subscriber.on('error', () => undefined); // the main connection reports outages
      subscriber.on('message', (_channel: string, message: string) => {
        let record = '*';
        try {
          const parsed = JSON.parse(message) as { record?: unknown };
          if (typeof parsed.record === 'string') record = parsed.record;
        } catch {
          // a foreign message: look at everything
        }
        this.emit({ record });
      });
      subscriber.on('ready', () => {
        // missed messages while away: every watcher looks again
        if (!first) this.emit({ record: '*' });
        first = false;
      });
      subscriber.subscribe(this.k('events')).catch(() => undefined);
      this.pollTimer = setInterval(() => this.emit({ record: '*' }), this.settings.pollIntervalMs);
      this.pollTimer.unref();
    }
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0) this.stopWatching();
    };
  }

  private emit(change: StorageChange): void {
    for (const listener of [...this.watchers]) {
      try {
        listener(change);
      } catch {
        // a listener's problem is its own
      }
    }
  }

  private stopWatching(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /** Closes the connections (tests, a process that ends). */
  close(): Promise<void> {
    this.closed = true;
    for (const [name] of this.held) this.forgetLock(name); // they expire: a closing process may not reach Redis
    this.watchers.clear();
    this.stopWatching();
    this.client.disconnect();
    return Promise.resolve();
  }

  private forgetLock(name: string): void {
    const lock = this.held.get(name);
    if (lock) clearInterval(lock.refresh);
    this.held.delete(name);
  }
}
