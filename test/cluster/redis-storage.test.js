'use strict';
// The Redis storage backend (issue 12) against a real redis-server: the Storage contract,
// private keys sealed at rest (AES-256-GCM), fenced locks (a stale holder's write refused, a
// silent holder taken over after the expiry), the Redis password never in a message, and the
// clear error when the optional client is not installed.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');
const Redis = require('ioredis');
const { startRedis } = require('../harness/redis');
const storageLib = require('../../dist/lib/storage');
const { RedisStorage, resolveRedisSettings, isNotFound } = storageLib;

const PASSWORD = 'pw-Secret-4711';
const SECRET = 'cluster-secret-for-tests';
let redis;
let raw;
const opened = [];

function open(extra = {}, log) {
  const storage = new RedisStorage(resolveRedisSettings({ redis: redis.url, secret: SECRET, prefix: 't:', ...extra }, '/nowhere'), { log });
  opened.push(storage);
  return storage;
}

before(async () => {
  redis = await startRedis({ password: PASSWORD });
  raw = new Redis(redis.url);
});

after(async () => {
  for (const s of opened) await s.close();
  raw?.disconnect();
  await redis?.stop({ save: false });
});

test('plain keys, listing and generations behave like the file storage; private keys are sealed at rest', async () => {
  const s = open();
  await s.waitReady(3000);
  await s.store('rec/state.json', '{"a":1}');
  await s.store('_accounts/x/account.json', '{"accountKeyPem":"-----BEGIN PRIVATE KEY-----x"}', { secret: true });
  assert.equal((await s.load('rec/state.json')).toString(), '{"a":1}');
  assert.match((await s.load('_accounts/x/account.json')).toString(), /BEGIN PRIVATE KEY/);
  await assert.rejects(s.load('rec/none'), (err) => isNotFound(err));
  const g1 = await s.publishGeneration('rec', [
    { name: 'privkey.pem', data: '-----BEGIN PRIVATE KEY-----\nAAA\n', secret: true },
    { name: 'cert.pem', data: 'CERT1' },
  ]);
  const g2 = await s.publishGeneration('rec', [
    { name: 'privkey.pem', data: '-----BEGIN PRIVATE KEY-----\nBBB\n', secret: true },
    { name: 'cert.pem', data: 'CERT2' },
  ]);
  assert.equal(await s.generation('rec', 'current'), g2);
  assert.equal(await s.generation('rec', 'previous'), g1);
  const files = await s.loadGeneration('rec', g2, ['privkey.pem', 'cert.pem', 'meta.json']);
  assert.match(files['privkey.pem'].toString(), /BBB/);
  assert.equal(files['cert.pem'].toString(), 'CERT2');
  assert.equal(files['meta.json'], undefined);
  const g3 = await s.publishGeneration('rec', [{ name: 'cert.pem', data: 'CERT3' }]);
  await assert.rejects(s.loadGeneration('rec', g1, ['cert.pem']), (err) => isNotFound(err), 'two generations back is removed');
  await assert.rejects(s.publishGeneration('rec', [{ name: 'cert.pem', data: 'X' }], { ifCurrentIs: g2 }), { code: 'store-changed' });
  assert.equal(await s.generation('rec', 'current'), g3);
  assert.deepEqual(await s.list(''), ['_accounts', 'rec']);
  assert.deepEqual(await s.list('rec'), [`rec/${g2}`, `rec/${g3}`, 'rec/state.json'].sort());
  assert.equal((await s.stat('rec/state.json')).isTerminal, true);
  assert.equal((await s.stat('rec')).isTerminal, false);
  assert.equal(await s.exists('_accounts'), true);
  // at rest: no private key in clear anywhere in Redis
  for (const key of await raw.keys('t:*')) {
    const type = await raw.type(key);
    const values = type === 'hash' ? Object.values(await raw.hgetallBuffer(key)) : type === 'string' ? [await raw.getBuffer(key)] : [];
    for (const v of values) assert.doesNotMatch(v.toString('latin1'), /PRIVATE KEY/, `${key} holds a private key in clear`);
  }
  // another secret cannot read them, and says why
  const other = open({ secret: 'another-secret-value' });
  await other.waitReady(3000);
  await assert.rejects(other.load('_accounts/x/account.json'), { code: 'storage-secret-wrong' });
  await s.delete('rec');
  assert.equal(await s.exists('rec'), false);
  assert.equal(await s.generation('rec', 'current'), null);
});

test('a lock holder that stops (SIGSTOP) is taken over after the expiry, and its late write is refused by the fence', async () => {
  const settings = { redis: redis.url, secret: SECRET, prefix: 't:', lockExpiryMs: 600 };
  const child = spawn(process.execPath, [path.join(__dirname, 'lock-child.js'), JSON.stringify(settings), 'acme:fenced', 'fenced/state.json'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', resolve));
  const locked = await next();
  assert.match(locked, /^locked \d+:/);
  process.kill(child.pid, 'SIGSTOP');
  const s = open({ lockExpiryMs: 600 });
  await s.waitReady(3000);
  const waits = [];
  // taken over after the 600 ms expiry; without the takeover lock() throws after its 10 s timeout
  await s.lock('acme:fenced', { timeoutMs: 10000, onWait: (why) => waits.push(why) });
  assert.match(waits[0], /another instance .* holds acme:fenced/);
  const fenceA = Number(locked.split(' ')[1].split(':')[0]);
  assert.ok(Number(s.heldToken('acme:fenced').split(':')[0]) > fenceA, 'the fencing counter went up');
  await s.store('fenced/state.json', 'written by the new holder');
  process.kill(child.pid, 'SIGCONT');
  child.stdin.write('write\n');
  assert.match(await next(), /^refused storage-fenced/);
  assert.equal((await s.load('fenced/state.json')).toString(), 'written by the new holder');
  await s.unlock('acme:fenced');
  assert.equal(await raw.exists('t:lock:acme:fenced'), 0, 'unlocked with the token');
});

test("unlock and extend only with the token: another holder's lock is left alone", async () => {
  const a = open({ lockExpiryMs: 400 });
  const b = open({ lockExpiryMs: 5000 });
  await Promise.all([a.waitReady(3000), b.waitReady(3000)]);
  await a.lock('acme:tok', { timeoutMs: 0 });
  await assert.rejects(b.lock('acme:tok', { timeoutMs: 0 }), { code: 'storage-locked' });
  // a's lock vanishes without a's knowledge (as after an expiry); b takes it; a's unlock must not free b's
  await raw.del('t:lock:acme:tok');
  await b.lock('acme:tok', { timeoutMs: 0 });
  await a.unlock('acme:tok');
  assert.equal(await raw.get('t:lock:acme:tok'), b.heldToken('acme:tok'));
  await b.unlock('acme:tok');
});

test('Redis away: commands fail at once with storage-unavailable, lock() waits with backoff and succeeds when Redis is back; no password in any message', async () => {
  const lines = [];
  const s = open({}, (level, message) => lines.push(`[${level}] ${message}`));
  await s.waitReady(3000);
  await s.store('outage/state.json', 'kept');
  await redis.stop({ save: true });
  const err = await s.load('outage/state.json').catch((e) => e);
  assert.equal(err.code, 'storage-unavailable');
  assert.ok(err.message.includes(redis.safeUrl), err.message);
  const waits = [];
  let restarted = false;
  const locking = s.lock('acme:outage', {
    timeoutMs: 30000,
    onWait: (why) => {
      waits.push(why);
      if (waits.length === 3 && !restarted) {
        restarted = true;
        redis.start();
      }
    },
  });
  await locking;
  assert.ok(waits.length >= 3, 'retried with backoff while Redis was away');
  assert.match(waits[0], /unreachable.*retrying in \d+ s/);
  assert.equal((await s.load('outage/state.json')).toString(), 'kept', 'nothing stored is lost');
  await s.unlock('acme:outage');
  const all = [err.message, ...waits, ...lines].join('\n');
  assert.ok(!all.includes(PASSWORD), 'the password appears in a message');
  assert.match(lines.join('\n'), /\[warn\] Redis storage redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/);
});

test('configuration: bad settings are refused with what to write; the URL password is redacted', () => {
  assert.equal(storageLib.redactUrl('redis://user:pa55word@host:6379/2'), 'redis://user:***@host:6379/2');
  assert.throws(() => storageLib.configureStorage('/tmp/x', { redis: 'http://host' }), /must start with redis:\/\//);
  assert.throws(() => storageLib.configureStorage('/tmp/x', { rediss: 'redis://x' }), /unknown certflow storage setting "rediss"/);
  assert.throws(
    () => resolveRedisSettings({ redis: 'redis://:pw-Secret-4711@h:1' }, '/tmp/none'),
    (e) => e.code === 'storage-no-secret' && !e.message.includes(PASSWORD),
  );
  assert.throws(
    () => resolveRedisSettings({ redis: 'not a url :pw-Secret-4711@' }, 'check'),
    (e) => !e.message.includes(PASSWORD),
  );
});

test('the Redis client is an optional peer dependency: without it, the error names the npm install to run', () => {
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'ioredis') { const e = new Error("Cannot find module 'ioredis'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
      return resolve.call(this, request, ...rest);
    };
    const { openStorage, configureStorage } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/lib/storage'))});
    configureStorage('/tmp/certflow-no-client', { redis: 'redis://:${PASSWORD}@127.0.0.1:1', secret: 'xxxxxxxxxx' });
    openStorage('/tmp/certflow-no-client').then(() => console.log('opened'), (e) => console.log(e.code + ': ' + e.message));
  `;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
  assert.match(out, /^storage-client-missing: .*npm install ioredis.*Node-RED user directory/);
  assert.ok(!out.includes(PASSWORD));
  assert.ok(!require('../../package.json').dependencies.ioredis, 'not a runtime dependency');
  assert.deepEqual(require('../../package.json').peerDependenciesMeta.ioredis, { optional: true });
});
