'use strict';
// The certificate store: what lands on disk, what is refused, and that a kill -9 at any moment
// leaves a key and certificate that belong together.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { installBundle, readStoredBundle, storeDir, validateBundle } = require('../../dist/lib/serve/store');
const { FileStorage } = require('../../dist/lib/storage');
const { stagedKeys } = require('../harness/storage-kit');
const { issueCertificate } = require('../../dist/lib/pki/sign');
const { generateKey } = require('../../dist/lib/pki/keys');
const { tempDir, testCa, leafBundle, intermediateBundle, fingerprintOf, keyMatches, openssl, snapshot } = require('./fixtures');

const mode = (file) => fs.statSync(file).mode & 0o777;
const generations = (dir) =>
  fs
    .readdirSync(dir)
    .filter((e) => e.startsWith('gen-'))
    .sort();
/** The folder a pointer (`current`, `previous`) names: a symlink, or a pointer file without symlinks (CERTFLOW_STORAGE_SYMLINKS=0). */
const pointed = (dir, which) => {
  const file = path.join(dir, which);
  return path.join(dir, fs.lstatSync(file).isSymbolicLink() ? fs.readlinkSync(file) : fs.readFileSync(file, 'utf8').trim());
};

test('install writes privkey (0600), cert, chain, fullchain, meta; openssl accepts them', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const bundle = await intermediateBundle(['localhost', 'node-red.example']);
  const result = await installBundle({ userDir, name: 'node-red' }, bundle);

  const dir = path.join(userDir, 'certificates', 'node-red');
  assert.equal(result.dir, dir);
  for (const file of ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json']) assert.ok(fs.existsSync(path.join(dir, file)), file);
  assert.equal(mode(path.join(dir, 'privkey.pem')), 0o600);
  assert.equal(mode(path.join(dir, 'cert.pem')), 0o644);
  assert.equal(mode(dir), 0o700);

  // openssl: the chain verifies to the root, and the key's public half is the certificate's
  const rootFile = path.join(userDir, 'root.pem');
  fs.writeFileSync(rootFile, bundle.ca);
  const verify = await openssl(['verify', '-CAfile', rootFile, '-untrusted', path.join(dir, 'chain.pem'), path.join(dir, 'cert.pem')]);
  assert.match(verify.stdout, /cert\.pem: OK/);
  const fromKey = await openssl(['pkey', '-in', path.join(dir, 'privkey.pem'), '-pubout']);
  const fromCert = await openssl(['x509', '-in', path.join(dir, 'cert.pem'), '-noout', '-pubkey']);
  assert.equal(fromKey.stdout, fromCert.stdout);
  const chainText = fs.readFileSync(path.join(dir, 'fullchain.pem'), 'utf8');
  assert.equal((chainText.match(/BEGIN CERTIFICATE/g) || []).length, 3, 'fullchain = leaf + intermediate + root');

  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  assert.equal(meta.fingerprint256, fingerprintOf(bundle.cert));
  assert.deepEqual(meta.altNames, ['DNS:localhost', 'DNS:node-red.example']);
  assert.equal(meta.chainLength, 2);
  assert.doesNotMatch(JSON.stringify(meta), /PRIVATE KEY/);
});

test('the previous generation is kept, older ones are removed', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const location = { userDir, name: 'node-red' };
  const bundles = [await leafBundle(), await leafBundle(), await leafBundle()];
  for (const bundle of bundles) await installBundle(location, bundle);

  const dir = storeDir(location);
  assert.equal(generations(dir).length, 2);
  assert.equal(fingerprintOf(fs.readFileSync(path.join(dir, 'cert.pem'))), fingerprintOf(bundles[2].cert));
  assert.equal(fingerprintOf(fs.readFileSync(path.join(pointed(dir, 'previous'), 'cert.pem'))), fingerprintOf(bundles[1].cert));
  assert.ok(
    keyMatches(
      fs.readFileSync(path.join(pointed(dir, 'previous'), 'privkey.pem'), 'utf8'),
      fs.readFileSync(path.join(pointed(dir, 'previous'), 'cert.pem'), 'utf8'),
    ),
  );
  const previous = await readStoredBundle(location, { which: 'previous' });
  assert.equal(previous.leaf.fingerprint256, fingerprintOf(bundles[1].cert));
});

test('an invalid bundle is refused with a clear error and the store stays untouched', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const location = { userDir, name: 'node-red' };
  const good = await intermediateBundle();
  const other = await leafBundle();
  await installBundle(location, good);
  const before = snapshot(userDir);
  const encrypted = await generateKey('ec-p256', { passphrase: 'correct horse' });

  const cases = [
    ['key of another certificate', { ...good, key: other.key }, 'key-mismatch', /private key does not match the certificate for CN=localhost/],
    ['chain in the wrong order', { ...good, chain: [...good.chain].reverse() }, 'chain-order', /chain is not in order/],
    ['chain missing its first link', { ...good, chain: [good.ca] }, 'chain-order', /did not issue the certificate/],
    ['no key', { cert: good.cert, chain: good.chain }, 'bundle-no-key', /no private key/],
    ['no certificate', { key: good.key }, 'bundle-no-cert', /no certificate/],
    ['truncated certificate', { ...good, cert: good.cert.slice(0, 200) }, 'bundle-invalid', /no PEM certificate/],
    [
      'damaged certificate',
      { ...good, cert: good.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA') },
      'bundle-invalid',
      /not a readable X\.509 certificate/,
    ],
    ['random text as key', { ...good, key: 'hello' }, 'bundle-invalid', /not a PEM private key/],
    ['a string instead of a bundle', good.cert, 'bundle-invalid', /expected a certificate bundle object/],
    [
      'encrypted key, no passphrase',
      { ...good, key: encrypted.privateKeyPem },
      'key-passphrase-required',
      /private key is encrypted: .*without a passphrase, or give the passphrase to the settings helper/,
    ],
    ['cert and fullchain disagree', { ...good, fullchain: other.fullchain }, 'bundle-invalid', /mixes two certificates/],
  ];
  for (const [label, bundle, code, message] of cases) {
    await assert.rejects(installBundle(location, bundle), (err) => {
      assert.equal(err.name, 'CertflowError', label);
      assert.equal(err.code, code, `${label}: ${err.message}`);
      assert.match(err.message, message, label);
      assert.doesNotMatch(err.message, /PRIVATE KEY|[A-Za-z0-9+/]{60}/, `${label}: no key material in the message`);
      return true;
    });
  }
  // Expired / not yet valid, judged at another moment
  await assert.rejects(installBundle(location, good, { now: new Date(Date.now() + 400 * 86400_000) }), {
    code: 'cert-expired',
    message: /expired on \d{4}-/,
  });
  await assert.rejects(installBundle(location, good, { now: new Date(Date.now() - 86400_000) }), {
    code: 'cert-not-yet-valid',
    message: /not valid before/,
  });

  assert.deepEqual(snapshot(userDir), before);
});

test('forgiving input: fullchain only, chain repeating the leaf, an encrypted key with its passphrase', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const good = await leafBundle();
  const fromFullchain = validateBundle({ key: good.key, fullchain: good.fullchain });
  assert.equal(fromFullchain.chain.length, 1);
  const repeated = validateBundle({ key: good.key, cert: good.cert, chain: [good.cert, ...good.chain] });
  assert.equal(repeated.chain.length, 1);
  const asBuffers = validateBundle({ key: Buffer.from(good.key), cert: Buffer.from(good.fullchain) });
  assert.equal(asBuffers.fullchain, fromFullchain.fullchain);

  // a certificate for an encrypted key (issued for its public key by the test CA)
  const encrypted = await generateKey('ec-p256', { passphrase: 'correct horse' });
  const ca = await testCa();
  const cert = await issueCertificate({ publicKey: encrypted.key, subject: { CN: 'localhost' }, ca: { key: ca.key, cert: ca.certPem }, days: 10 });
  await assert.rejects(installBundle({ userDir }, { key: encrypted.privateKeyPem, cert }, { passphrase: 'wrong' }), { message: /wrong passphrase/ });
  const result = await installBundle({ userDir }, { key: encrypted.privateKeyPem, cert }, { passphrase: 'correct horse' });
  assert.match(fs.readFileSync(path.join(result.dir, 'privkey.pem'), 'utf8'), /ENCRYPTED PRIVATE KEY/, 'stored as given, still encrypted');

  // No subject at all, only alternative names (Let's Encrypt's short-lived certificates)
  const plainKey = await generateKey('ec-p256');
  const noSubject = await issueCertificate({
    publicKey: plainKey.key,
    subject: {},
    altNames: [{ type: 'dns', value: 'nr.example.test' }],
    ca: { key: ca.key, cert: ca.certPem },
    days: 6,
  });
  const installed = await installBundle({ userDir, name: 'short' }, { key: plainKey.privateKeyPem, cert: noSubject, chain: [ca.certPem] });
  assert.equal(installed.meta.subject, 'DNS:nr.example.test');
  await assert.rejects(
    installBundle({ userDir, name: 'short' }, { key: encrypted.privateKeyPem, cert: noSubject }, { passphrase: 'correct horse' }),
    {
      message: /does not match the certificate for DNS:nr\.example\.test/,
    },
  );
});

test('store names that could escape certificates/ are refused', async () => {
  const good = await leafBundle();
  for (const name of ['../etc', 'a/b', '', '.hidden', 'local-ca', 'x'.repeat(65)]) {
    await assert.rejects(installBundle({ userDir: '/tmp/never-written', name }, good), { code: 'store-name-invalid' }, name);
  }
  assert.equal(fs.existsSync('/tmp/never-written'), false);
});

test('extra copies: chosen content and mode, relative to userDir; a world-readable key is refused', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const good = await leafBundle();
  const result = await installBundle({ userDir, name: 'mqtt' }, good, {
    extraTargets: [
      { path: 'mosquitto/server.key', content: 'privkey', mode: '0640' },
      { path: path.join(userDir, 'mosquitto', 'server.crt'), content: 'fullchain' },
      { path: 'haproxy.pem', content: 'combined' },
      { path: 'chain.pem', content: 'chain', mode: 0o600 },
    ],
  });
  assert.deepEqual(
    result.extraFiles,
    ['mosquitto/server.key', 'mosquitto/server.crt', 'haproxy.pem', 'chain.pem'].map((p) => path.join(userDir, p)),
  );
  assert.equal(mode(path.join(userDir, 'mosquitto/server.key')), 0o640);
  assert.equal(mode(path.join(userDir, 'mosquitto/server.crt')), 0o644);
  assert.equal(mode(path.join(userDir, 'haproxy.pem')), 0o600, 'a file with the key defaults to 0600');
  assert.equal(mode(path.join(userDir, 'chain.pem')), 0o600);
  const combined = fs.readFileSync(path.join(userDir, 'haproxy.pem'), 'utf8');
  assert.ok(combined.startsWith(good.key.trim().slice(0, 30)) && combined.includes(good.cert.trim()));
  assert.equal(fs.readFileSync(path.join(userDir, 'mosquitto/server.crt'), 'utf8'), good.fullchain);

  const before = snapshot(userDir);
  await assert.rejects(installBundle({ userDir, name: 'mqtt' }, good, { extraTargets: [{ path: 'k.pem', content: 'privkey', mode: '644' }] }), {
    code: 'target-invalid',
    message: /lets every user of the machine read the private key/,
  });
  await assert.rejects(installBundle({ userDir, name: 'mqtt' }, good, { extraTargets: [{ path: 'k.pem', content: 'privkey', mode: 'rw-r' }] }), {
    message: /not a file mode/,
  });
  await assert.rejects(installBundle({ userDir, name: 'mqtt' }, good, { extraTargets: [{ path: 'k.pem', content: 'pfx' }] }), {
    message: /"pfx" is not a file content/,
  });
  assert.deepEqual(snapshot(userDir), before);
});

test('ifCurrentIs: an automatic install never overwrites one that happened meanwhile', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const location = { userDir };
  const real = await leafBundle();
  const first = await installBundle(location, real);
  const before = snapshot(userDir);
  await assert.rejects(installBundle(location, await leafBundle(), { ifCurrentIs: null }), { code: 'store-changed' });
  await assert.rejects(installBundle(location, await leafBundle(), { ifCurrentIs: 'gen-older' }), { code: 'store-changed' });
  assert.deepEqual(snapshot(userDir), before);
  const next = await leafBundle();
  await installBundle(location, next, { ifCurrentIs: first.generation });
  assert.equal((await readStoredBundle(location)).leaf.fingerprint256, fingerprintOf(next.cert));
});

test('installs racing in one process end with a consistent store', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const location = { userDir };
  const bundles = await Promise.all([1, 2, 3, 4, 5].map(() => leafBundle()));
  await Promise.all(bundles.map((b) => installBundle(location, b)));
  const stored = await readStoredBundle(location);
  assert.ok(bundles.some((b) => fingerprintOf(b.cert) === stored.leaf.fingerprint256));
  assert.equal(generations(storeDir(location)).length, 2);
});

test('kill -9 during installs, 30 times: the store always holds a key and certificate that match', async (t) => {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const location = { userDir, name: 'node-red' };
  const bundles = await Promise.all([1, 2, 3, 4].map(() => leafBundle()));
  const bundlesFile = path.join(userDir, 'bundles.json');
  fs.writeFileSync(bundlesFile, JSON.stringify(bundles));
  const dir = storeDir(location);
  const known = new Set(bundles.map((b) => fingerprintOf(b.cert)));
  const seen = new Set();

  for (let round = 0; round < 30; round++) {
    const child = spawn(process.execPath, [path.join(__dirname, 'install-loop.js'), userDir, bundlesFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (d) => (errors += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 60));
    child.kill('SIGKILL');
    await exited;
    assert.equal(errors, '', `the install loop failed: ${errors}`);
    // what the next start does first: clean the storage (and, without symlinks, re-copy the stable files)
    await new FileStorage(path.dirname(dir)).cleanup();
    assert.deepEqual(stagedKeys(path.dirname(dir)), [], `round ${round}: a private key was left in a staging place`);

    // What another program sees through the stable paths...
    const key = fs.readFileSync(path.join(dir, 'privkey.pem'), 'utf8');
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const fullchain = fs.readFileSync(path.join(dir, 'fullchain.pem'), 'utf8');
    assert.ok(keyMatches(key, cert), `round ${round}: privkey.pem and cert.pem do not match`);
    assert.ok(fullchain.startsWith(cert), `round ${round}: fullchain.pem starts with another certificate`);
    // ...and what the settings helper reads
    const stored = await readStoredBundle(location);
    assert.ok(known.has(stored.leaf.fingerprint256));
    seen.add(stored.leaf.fingerprint256);
    const previous = await readStoredBundle(location, { which: 'previous' });
    if (previous) assert.ok(keyMatches(previous.key, previous.cert), `round ${round}: previous/ does not match`);
  }
  assert.ok(seen.size >= 2, 'the kills landed at different moments');
  // The next install tidies up what the kills left behind (at most the generations in use + 1).
  await installBundle(location, bundles[0]);
  assert.ok(generations(dir).length <= 2, generations(dir).join(' '));
});
