'use strict';
// The storage layer's filesystem backend: plain keys, keys that would escape, locks a dead or
// silent process cannot keep, leftovers of a crashed write cleaned at open (a private key never
// stays in a staging folder), and the pointer-file mode used where symlinks are not allowed.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FileStorage, processAlive } = require('../../dist/lib/storage');
const { stagedKeys, deadPid } = require('../harness/storage-kit');

const tempRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-storage-'));
const mode = (file) => fs.statSync(file).mode & 0o777;

for (const symlinks of [true, false]) {
  const label = symlinks ? 'symlinks' : 'pointer files (forced no-symlink mode)';

  test(`${label}: plain keys: store/load/exists/list/stat/delete, secrets 0600`, async (t) => {
    const root = tempRoot();
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const storage = new FileStorage(root, { symlinks });
    await storage.store('a/b/secret.pem', 'KEY', { secret: true });
    await storage.store('a/plain.json', '{}');
    assert.equal((await storage.load('a/b/secret.pem')).toString(), 'KEY');
    assert.equal(mode(path.join(root, 'a/b/secret.pem')), 0o600);
    assert.equal(mode(path.join(root, 'a/plain.json')), 0o644);
    assert.equal(mode(path.join(root, 'a')), 0o700);
    assert.equal(await storage.exists('a/plain.json'), true);
    assert.deepEqual(await storage.list('a'), ['a/b', 'a/plain.json']);
    assert.deepEqual(await storage.list('', true), ['a', 'a/b', 'a/b/secret.pem', 'a/plain.json']);
    assert.equal((await storage.stat('a/b/secret.pem')).size, 3);
    await assert.rejects(storage.load('a/none'), { code: 'storage-not-found' });
    await storage.delete('a/b');
    assert.equal(await storage.exists('a/b/secret.pem'), false);
  });

  test(`${label}: generations publish in one step; previous kept; older removed; stable paths follow`, async (t) => {
    const root = tempRoot();
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const storage = new FileStorage(root, { symlinks });
    const gens = [];
    for (const n of [1, 2, 3]) {
      gens.push(
        await storage.publishGeneration('rec', [
          { name: 'privkey.pem', data: `key${n}`, secret: true },
          { name: 'cert.pem', data: `cert${n}` },
        ]),
      );
    }
    assert.equal(await storage.generation('rec', 'current'), gens[2]);
    assert.equal(await storage.generation('rec', 'previous'), gens[1]);
    assert.deepEqual(
      fs
        .readdirSync(path.join(root, 'rec'))
        .filter((e) => e.startsWith('gen-'))
        .sort(),
      gens.slice(1).sort(),
    );
    assert.equal(fs.lstatSync(path.join(root, 'rec', 'current')).isSymbolicLink(), symlinks);
    assert.equal(fs.readFileSync(path.join(root, 'rec', 'privkey.pem'), 'utf8'), 'key3');
    assert.equal(mode(path.join(root, 'rec', gens[2], 'privkey.pem')), 0o600);
    assert.equal(mode(path.join(root, 'rec', 'privkey.pem')), 0o600, 'a stable copy of the key is 0600 too');
    const files = await storage.loadGeneration('rec', gens[2], ['cert.pem', 'missing.pem']);
    assert.equal(files['cert.pem'].toString(), 'cert3');
    assert.equal(files['missing.pem'], undefined);
    await assert.rejects(storage.publishGeneration('rec', [{ name: 'cert.pem', data: 'x' }], { ifCurrentIs: gens[1] }), { code: 'store-changed' });
    assert.deepEqual(fs.readdirSync(path.join(root, '.staging')), [], 'a refused publish leaves no staging folder');
  });
}

test('keys that could escape the storage are refused, whatever the backend', async (t) => {
  const root = tempRoot();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const storage = new FileStorage(path.join(root, 'store'));
  for (const key of ['../outside', 'a/../../outside', '/etc/passwd', 'a//b', 'a/./b', '..', 'a\\..\\b', 'C:\\x', 'a/b\0', '', '.hidden']) {
    await assert.rejects(storage.store(key, 'x'), { code: 'storage-key-invalid', message: /is refused/ }, JSON.stringify(key));
    await assert.rejects(storage.load(key), { code: 'storage-key-invalid' });
    await assert.rejects(storage.publishGeneration(key, [{ name: 'cert.pem', data: 'x' }]), { code: 'storage-key-invalid' });
  }
  assert.deepEqual(fs.readdirSync(root), [], 'nothing written anywhere');
});

test('a lock held by a dead process is taken over at once; a live holder is waited for; an expired one is taken over', async (t) => {
  const root = tempRoot();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const storage = new FileStorage(root);

  // a process takes the lock and is killed -9 while holding it
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const { FileStorage } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/lib/storage'))});
    new FileStorage(${JSON.stringify(root)}).lock('record:x', { expiryMs: 600000 }).then(() => console.log('locked'));
    setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  await assert.rejects(storage.lock('record:x', { timeoutMs: 0 }), { code: 'storage-locked', message: new RegExp(`locked by process ${child.pid}`) });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.equal(processAlive(child.pid), false);
  const started = Date.now();
  await storage.lock('record:x', { timeoutMs: 0 });
  assert.ok(Date.now() - started < 1000);

  // a second holder in the same process waits until the first unlocks
  let second = false;
  const waiting = new FileStorage(root).lock('record:x', { timeoutMs: 5000 }).then(() => (second = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(second, false);
  await storage.unlock('record:x');
  await waiting;
  assert.equal(second, true);

  // a holder that stops refreshing (a hung or remote process) loses the lock after its expiry
  const lockDir = path.join(root, '.locks');
  const lockFile = path.join(
    lockDir,
    fs.readdirSync(lockDir).find((f) => f.endsWith('.lock')),
  );
  fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, host: 'another-host', token: 'hung', expires: Date.now() + 300 }));
  await storage.lock('record:x', { timeoutMs: 5000 });
  assert.notEqual(JSON.parse(fs.readFileSync(lockFile, 'utf8')).token, 'hung');
});

test("a crashed write leaves no private key: dead writers' staging and temp files are removed at open, whatever their age", async (t) => {
  const root = tempRoot();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const storage = new FileStorage(root);
  const gen = await storage.publishGeneration('rec', [{ name: 'privkey.pem', data: 'key', secret: true }]);
  const pid = await deadPid();
  // what a kill -9 in the middle of each kind of write leaves
  fs.mkdirSync(path.join(root, '.staging', `${pid}-0a1b2c`), { recursive: true });
  fs.writeFileSync(path.join(root, '.staging', `${pid}-0a1b2c`, 'privkey.pem'), '-----BEGIN PRIVATE KEY-----', { mode: 0o600 });
  fs.mkdirSync(path.join(root, 'rec', '.staging-gen-20250101T000000000Z-abcdef'));
  fs.writeFileSync(path.join(root, 'rec', '.staging-gen-20250101T000000000Z-abcdef', 'privkey.pem'), 'old 0.1.0 staging', { mode: 0o600 });
  fs.mkdirSync(path.join(root, 'rec', 'gen-20250101T000000000Z-123456'));
  fs.writeFileSync(path.join(root, 'rec', 'gen-20250101T000000000Z-123456', 'privkey.pem'), 'unpublished', { mode: 0o600 });
  fs.writeFileSync(path.join(root, 'rec', `.current.${pid}.abcdef.tmp`), 'gen-x');
  fs.mkdirSync(path.join(root, '_accounts', 'a'), { recursive: true });
  fs.writeFileSync(path.join(root, '_accounts', 'a', `.account.json.${pid}.abcdef.tmp`), 'half');
  // ...and a live writer's staging, which must stay
  fs.mkdirSync(path.join(root, '.staging', `${process.ppid}-live`), { recursive: true });

  assert.ok(stagedKeys(root).length >= 2);
  await new FileStorage(root).cleanup();
  assert.deepEqual(stagedKeys(root), []);
  assert.deepEqual(fs.readdirSync(path.join(root, '.staging')), [`${process.ppid}-live`]);
  assert.deepEqual(
    fs.readdirSync(path.join(root, 'rec')).filter((e) => e.startsWith('gen-') || e.startsWith('.')),
    [gen],
  );
  assert.deepEqual(fs.readdirSync(path.join(root, '_accounts', 'a')), []);
  assert.equal((await storage.loadGeneration('rec', gen, ['privkey.pem']))['privkey.pem'].toString(), 'key');
});

test('a failed write removes its staging folder (the key with it) at once', async (t) => {
  const root = tempRoot();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const storage = new FileStorage(root);
  // the second file's name is refused after the key was staged
  await assert.rejects(
    storage.publishGeneration('rec', [
      { name: 'privkey.pem', data: 'KEY', secret: true },
      { name: '../x', data: 'y' },
    ]),
    { code: 'storage-key-invalid' },
  );
  assert.deepEqual(stagedKeys(root), []);
  assert.deepEqual(fs.readdirSync(path.join(root, '.staging')), []);
});

test('pointer-file mode: a store written with symlinks is read and continued without them, and back', async (t) => {
  const root = tempRoot();
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const first = await new FileStorage(root, { symlinks: true }).publishGeneration('rec', [{ name: 'cert.pem', data: 'one' }]);
  const noLinks = new FileStorage(root, { symlinks: false });
  assert.equal(await noLinks.generation('rec', 'current'), first);
  const second = await noLinks.publishGeneration('rec', [{ name: 'cert.pem', data: 'two' }]);
  assert.equal(fs.readFileSync(path.join(root, 'rec', 'current'), 'utf8').trim(), second);
  assert.equal(fs.readFileSync(path.join(root, 'rec', 'cert.pem'), 'utf8'), 'two');
  assert.equal(await noLinks.generation('rec', 'previous'), first);
  const withLinks = new FileStorage(root, { symlinks: true });
  await withLinks.publishGeneration('rec', [{ name: 'cert.pem', data: 'three' }]);
  assert.equal(fs.readFileSync(path.join(root, 'rec', 'cert.pem'), 'utf8'), 'three');
  assert.equal(await withLinks.generation('rec', 'previous'), second);
  // the environment variable forces pointer files (Windows without Developer Mode, tested on Linux)
  process.env.CERTFLOW_STORAGE_SYMLINKS = '0';
  try {
    assert.equal(await new FileStorage(tempRoot()).symlinkMode(), false);
  } finally {
    delete process.env.CERTFLOW_STORAGE_SYMLINKS;
  }
});
