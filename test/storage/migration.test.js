'use strict';
// Upgrading from 0.1.0: its three places (ACME certificates under certflow/acme/<name>/, accounts
// under certflow/accounts/<id>/, the served store under certificates/<name>/ with symlinks) are
// moved once into the one storage folder, with nothing lost, and everything keeps working: the
// ACME manager finds its certificate (no new order), the account its key, the store serves.
// The fixtures reproduce the exact 0.1.0 layout (files, modes, symlinks, state.json fields).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, leafBundle, fingerprintOf } = require('../https/fixtures');
const { openStorage, forgetOpenedStorages } = require('../../dist/lib/storage');
const storageLib = require('../../dist/lib/storage');
const { readStoredBundle } = require('../../dist/lib/serve/store');
const acme = require('../../dist/lib/acme');
const { stagedKeys } = require('../harness/storage-kit');

const ACCOUNT_JSON = (key) =>
  `${JSON.stringify({ directoryUrl: 'https://acme.example/dir', accountUrl: 'https://acme.example/acct/7', accountKeyPem: key }, null, 2)}\n`;

/** 0.1.0's CertificateManager.store(): four files by atomic rename, then state.json. */
function write010AcmeCertificate(userDir, name, bundle) {
  const dir = path.join(userDir, 'certflow', 'acme', name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'privkey.pem'), bundle.key, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'cert.pem'), bundle.cert, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'chain.pem'), bundle.chain.join(''), { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'fullchain.pem'), bundle.fullchain, { mode: 0o644 });
  const leaf = new (require('node:crypto').X509Certificate)(bundle.cert);
  const state = {
    version: 1,
    name,
    directoryUrl: 'https://acme.example/dir',
    accountUrl: 'https://acme.example/acct/7',
    identifiers: [{ type: 'dns', value: 'localhost' }],
    profile: 'shortlived',
    certId: 'abc.def',
    serialNumber: leaf.serialNumber,
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    issuedAt: new Date().toISOString(),
    keySource: 'generated',
    renewal: {
      due: '2099-01-01T00:00:00.000Z',
      source: 'ari',
      nextCheck: '2099-01-01T00:00:00.000Z',
      explanation: 'ARI window',
      checkedAt: new Date().toISOString(),
    },
  };
  fs.writeFileSync(path.join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  return state;
}

/** 0.1.0's store: gen-* folders, `current`/`previous` symlinks, stable symlinks, and a leftover staging folder with a key. */
function write010Store(userDir, name, bundles) {
  const dir = path.join(userDir, 'certificates', name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const gens = bundles.map((bundle, i) => {
    const gen = `gen-2025010${i + 1}T101010123Z-1a2b3${i}`;
    fs.mkdirSync(path.join(dir, gen), { mode: 0o700 });
    fs.writeFileSync(path.join(dir, gen, 'privkey.pem'), bundle.key, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, gen, 'cert.pem'), bundle.cert);
    fs.writeFileSync(path.join(dir, gen, 'chain.pem'), bundle.chain.join(''));
    fs.writeFileSync(path.join(dir, gen, 'fullchain.pem'), bundle.fullchain);
    fs.writeFileSync(path.join(dir, gen, 'meta.json'), JSON.stringify({ name, generation: gen, source: 'certflow-https' }));
    return gen;
  });
  fs.symlinkSync(gens[gens.length - 1], path.join(dir, 'current'));
  if (gens.length > 1) fs.symlinkSync(gens[gens.length - 2], path.join(dir, 'previous'));
  for (const f of ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json']) fs.symlinkSync(path.join('current', f), path.join(dir, f));
  // what a killed 0.1.0 install left: a complete key in a staging folder inside the store
  fs.mkdirSync(path.join(dir, '.staging-gen-20250105T000000000Z-abcdef'), { mode: 0o700 });
  fs.writeFileSync(path.join(dir, '.staging-gen-20250105T000000000Z-abcdef', 'privkey.pem'), bundles[0].key, { mode: 0o600 });
  return gens;
}

test('0.1.0 folders are moved into the one storage folder once, nothing lost, everything still works', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const acmeBundle = await leafBundle(['localhost']);
  const served = [await leafBundle(), await leafBundle()];
  const accountKey = await acme.generateAccountKey();
  const state010 = write010AcmeCertificate(userDir, 'nr.example.com', acmeBundle);
  fs.mkdirSync(path.join(userDir, 'certflow', 'accounts', 'a1b2c3d4e5f60718'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(userDir, 'certflow', 'accounts', 'a1b2c3d4e5f60718', 'account.json'), ACCOUNT_JSON(accountKey), { mode: 0o600 });
  const gens010 = write010Store(userDir, 'node-red', served);
  const oldFiles = listTree(path.join(userDir, 'certflow'));

  const storage = await openStorage(userDir);
  const root = path.join(userDir, 'certificates');
  assert.equal(storageLib.takeMigrationReport(userDir).certificates[0], 'nr.example.com');

  // the ACME certificate: a generation of its record, found by the manager with its state (no new order)
  const manager = new acme.CertificateManager({
    name: 'nr.example.com',
    storage,
    account: async () => assert.fail('no account needed: nothing is ordered'),
  });
  const current = await manager.current();
  assert.equal(current.serialNumber, state010.serialNumber);
  assert.equal(current.keyPem, acmeBundle.key);
  assert.deepEqual(current.identifiers, state010.identifiers);
  const state = await manager.state();
  assert.equal(state.profile, 'shortlived');
  assert.equal(state.renewal.due, state010.renewal.due, 'the renewal plan survives');
  assert.equal(fs.readFileSync(path.join(root, 'nr.example.com', 'privkey.pem'), 'utf8'), acmeBundle.key, 'stable path for other programs');
  assert.equal(fs.statSync(path.join(root, 'nr.example.com', 'privkey.pem')).mode & 0o777, 0o600);

  // the account: same key and URL, 0600
  const accountFile = path.join(root, '_accounts', 'a1b2c3d4e5f60718', 'account.json');
  assert.equal(fs.readFileSync(accountFile, 'utf8'), ACCOUNT_JSON(accountKey));
  assert.equal(fs.statSync(accountFile).mode & 0o777, 0o600);
  const stored = await new acme.AccountStore(storage, 'a1b2c3d4e5f60718').load();
  assert.equal(stored.accountKeyPem, accountKey);

  // the served store: same generations, same current and previous; the leaked staging key is gone
  assert.equal((await readStoredBundle({ userDir, name: 'node-red' })).leaf.fingerprint256, fingerprintOf(served[1].cert));
  assert.equal((await readStoredBundle({ userDir, name: 'node-red' }, { which: 'previous' })).leaf.fingerprint256, fingerprintOf(served[0].cert));
  assert.deepEqual(
    fs
      .readdirSync(path.join(root, 'node-red'))
      .filter((e) => e.startsWith('gen-'))
      .sort(),
    gens010,
  );
  assert.deepEqual(stagedKeys(root), []);

  // nothing lost: the old folder is kept, renamed, every file in it
  assert.equal(fs.existsSync(path.join(userDir, 'certflow')), false);
  assert.deepEqual(listTree(path.join(userDir, 'certflow-0.1.0-migrated')), oldFiles);

  // once: a restart migrates nothing again and changes nothing
  const before = listTree(root).filter((f) => !f.startsWith('.locks'));
  forgetOpenedStorages();
  await openStorage(userDir);
  assert.equal(storageLib.takeMigrationReport(userDir), undefined);
  assert.deepEqual(
    listTree(root).filter((f) => !f.startsWith('.locks')),
    before,
  );
});

test('a migration cut short (kill -9) is finished by the next start without duplicates', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  write010AcmeCertificate(userDir, 'a.example.com', await leafBundle(['localhost']));
  write010AcmeCertificate(userDir, 'b.example.com', await leafBundle(['localhost']));
  // as if the first start died after importing a.example.com
  const storage = new storageLib.FileStorage(path.join(userDir, 'certificates'));
  await storageLib.migrateFrom010(userDir, storage);
  fs.renameSync(path.join(userDir, 'certflow-0.1.0-migrated'), path.join(userDir, 'certflow'));
  await storageLib.migrateFrom010(userDir, storage);
  for (const name of ['a.example.com', 'b.example.com']) {
    const gens = fs.readdirSync(path.join(userDir, 'certificates', name)).filter((e) => e.startsWith('gen-'));
    assert.equal(gens.length, 1, `${name}: imported once`);
  }
});

function listTree(dir, prefix = '') {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...listTree(path.join(dir, entry.name), `${rel}/`));
    else
      out.push(
        `${rel} ${entry.isSymbolicLink() ? `-> ${fs.readlinkSync(path.join(dir, entry.name))}` : fs.readFileSync(path.join(dir, entry.name), 'utf8').length}`,
      );
  }
  return out;
}
