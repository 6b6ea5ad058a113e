'use strict';
// Attacks on where keys are written (issue 10's storage escapes):
// - an imported flow whose account config node id holds "../" must not write account.json
//   outside the storage;
// - a store folder, the local CA's folder or the storage root replaced by a symlink into a
//   world-writable folder (planted by another user) must not receive private keys.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FileStorage, openStorage, accountKey } = require('../../dist/lib/storage');
const { installBundle } = require('../../dist/lib/serve/store');
const { AccountStore, CertificateManager } = require('../../dist/lib/acme');
const { issueBootstrapCertificate, bootstrapNames } = require('../../dist/lib/pki/bootstrap');
const { tempDir, leafBundle } = require('../https/fixtures');

const ACCOUNT = {
  directoryUrl: 'https://acme.example/dir',
  accountUrl: 'https://acme.example/acct/1',
  accountKeyPem: '-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n',
};

/** A world-writable folder outside the userDir, as an attacker would prepare it. */
function plantedFolder(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-planted-'));
  fs.chmodSync(dir, 0o777);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('an account config id with "../" (imported flow) is stored inside the storage, under a hashed name', async (t) => {
  const userDir = tempDir();
  const outside = path.join(path.dirname(userDir), `escape-${path.basename(userDir)}`);
  t.after(() => {
    fs.rmSync(userDir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  const storage = await openStorage(userDir);
  for (const id of [`../../../${path.basename(outside)}`, '..', 'a/../../b', '/etc', 'C:\\x', '.hidden', 'h-0123456789abcdef01234567']) {
    const store = new AccountStore(storage, id);
    await store.save(ACCOUNT);
    assert.match(store.key, /^_accounts\/h-[0-9a-f]{24}\/account\.json$/, id);
    assert.ok(store.describe().startsWith(path.join(userDir, 'certificates', '_accounts') + path.sep), store.describe());
    assert.deepEqual(await store.load(), ACCOUNT);
  }
  assert.equal(fs.existsSync(outside), false, 'nothing written outside the userDir');
  // a plain Node-RED id keeps its readable folder
  assert.equal(accountKey('a1b2c3d4e5f60718'), '_accounts/a1b2c3d4e5f60718/account.json');
  // two different hostile ids never share an account
  assert.notEqual(new AccountStore(storage, '../x').key, new AccountStore(storage, '../y').key);
});

test('an ACME certificate record name that would escape is refused', async () => {
  const storage = new FileStorage(path.join(os.tmpdir(), 'certflow-never-written'));
  for (const name of ['../x', 'a/../b', '..']) {
    assert.throws(() => new CertificateManager({ name, storage, account: async () => undefined }), { code: 'storage-key-invalid' }, name);
  }
});

test('a store folder planted as a symlink into a world-writable folder is refused with the path and the fix', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const planted = plantedFolder(t);
  fs.mkdirSync(path.join(userDir, 'certificates'), { mode: 0o700 });
  fs.symlinkSync(planted, path.join(userDir, 'certificates', 'node-red'));
  const link = path.join(userDir, 'certificates', 'node-red');
  await assert.rejects(installBundle({ userDir, name: 'node-red' }, await leafBundle()), (err) => {
    assert.equal(err.code, 'storage-unsafe-folder');
    assert.ok(err.message.includes(link), err.message);
    assert.match(err.message, /symbolic link to .* writable by every user .* Remove the link/);
    return true;
  });
  assert.deepEqual(fs.readdirSync(planted), [], 'no key written into the planted folder');
});

test('the local CA folder planted as a symlink is refused; no CA key is written there', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const planted = plantedFolder(t);
  fs.mkdirSync(path.join(userDir, 'certificates'), { mode: 0o700 });
  fs.symlinkSync(planted, path.join(userDir, 'certificates', 'local-ca'));
  await assert.rejects(issueBootstrapCertificate(userDir, bootstrapNames()), {
    code: 'storage-unsafe-folder',
    message: /local-ca is a symbolic link/,
  });
  assert.deepEqual(fs.readdirSync(planted), []);
});

test('the storage root planted as a symlink, or a world-writable store folder, is refused; a link to a private folder of ours is fine', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const planted = plantedFolder(t);
  fs.symlinkSync(planted, path.join(userDir, 'certificates'));
  await assert.rejects(openStorage(userDir), { code: 'storage-unsafe-folder', message: /certificates is a symbolic link/ });
  assert.deepEqual(fs.readdirSync(planted), []);

  // a world-writable store folder (not a link) is refused too
  const other = tempDir();
  t.after(() => fs.rmSync(other, { recursive: true, force: true }));
  fs.mkdirSync(path.join(other, 'certificates', 'node-red'), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(other, 'certificates', 'node-red'), 0o777);
  await assert.rejects(installBundle({ userDir: other, name: 'node-red' }, await leafBundle()), {
    code: 'storage-unsafe-folder',
    message: /writable by every user.*chmod 700/,
  });

  // the user's own choice: certificates/ -> a 0700 folder on another disk
  const mine = tempDir();
  const linked = tempDir();
  t.after(() => fs.rmSync(mine, { recursive: true, force: true }));
  t.after(() => fs.rmSync(linked, { recursive: true, force: true }));
  fs.chmodSync(mine, 0o700);
  fs.symlinkSync(mine, path.join(linked, 'certificates'));
  const result = await installBundle({ userDir: linked, name: 'node-red' }, await leafBundle());
  assert.ok(fs.existsSync(path.join(mine, 'node-red', result.generation, 'privkey.pem')));
});
