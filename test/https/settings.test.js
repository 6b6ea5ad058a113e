'use strict';
// The settings.js helper, driven the way Node-RED 4 drives it (node-red/red.js): called once
// at startup for https.createServer, then every httpsRefreshInterval, with setSecureContext
// only when key or cert differ from server.key / server.cert.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');

const certflow = require('../../settings.js');
const { installBundle } = require('../../dist/lib/serve/store');
const { tempDir, leafBundle, fingerprintOf, keyMatches, openssl, peerCertificate, nodeRedRefresh } = require('./fixtures');

function capture() {
  const lines = [];
  return { lines, log: (level, message) => lines.push(`[${level}] ${message}`) };
}

/** A temp userDir, removed when test `t` ends. */
function userDirFor(t) {
  const userDir = tempDir();
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  return userDir;
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

test('first boot: a bootstrap certificate from a local CA, stored once, for localhost, 127.0.0.1, ::1 and the host name', async (t) => {
  const userDir = userDirFor(t);
  const { lines, log } = capture();
  const settingsHttps = certflow.https({ name: 'node-red', userDir, log });
  assert.equal(typeof settingsHttps, 'function');
  assert.equal(settingsHttps.certflow.storeDir, path.join(userDir, 'certificates', 'node-red'));

  const options = await settingsHttps();
  assert.equal(typeof options.key, 'string');
  assert.equal(typeof options.cert, 'string');
  assert.ok(keyMatches(options.key, options.cert));
  const caFile = path.join(userDir, 'certificates', 'local-ca', 'ca.pem');
  assert.equal(settingsHttps.certflow.localCaCert, caFile);
  assert.equal(fs.statSync(path.join(userDir, 'certificates', 'local-ca', 'ca-key.pem')).mode & 0o777, 0o600);

  const { X509Certificate } = require('node:crypto');
  const leaf = new X509Certificate(options.cert);
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${os.hostname().toLowerCase()}`]) {
    assert.ok(leaf.subjectAltName.includes(name), `${name} in ${leaf.subjectAltName}`);
  }
  assert.ok(leaf.checkIssued(new X509Certificate(fs.readFileSync(caFile))));
  const verify = await openssl([
    'verify',
    '-CAfile',
    caFile,
    '-verify_hostname',
    'localhost',
    path.join(userDir, 'certificates', 'node-red', 'cert.pem'),
  ]);
  assert.match(verify.stdout, /OK/);
  assert.ok(
    lines.some((l) => /\[info\] no certificate stored yet .* made a bootstrap certificate for .*localhost.*local CA .*ca\.pem/.test(l)),
    lines.join('\n'),
  );

  // Later calls, and a new process (a new helper), serve the same stored pair.
  const again = await settingsHttps();
  assert.equal(again.key, options.key);
  assert.equal(again.cert, options.cert);
  const afterRestart = await certflow.https({ name: 'node-red', userDir, log })();
  assert.equal(afterRestart.cert, options.cert);
  assert.ok(
    lines.every((l) => !/PRIVATE KEY/.test(l)),
    'no key material in the log',
  );
});

test("with Node-RED's refresh logic: unchanged store -> no reload; new certificate -> served on the next connection", async (t) => {
  const userDir = tempDir();
  const settingsHttps = certflow.https({ userDir, log: () => {}, options: { minVersion: 'TLSv1.2' } });
  const server = https.createServer(await settingsHttps(), (req, res) => res.end('ok'));
  const port = await listen(server);
  t.after(() => {
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  const first = (await peerCertificate(port)).cert.fingerprint256;

  assert.equal(await nodeRedRefresh(server, settingsHttps), 'unchanged');
  assert.equal(await nodeRedRefresh(server, settingsHttps), 'unchanged');

  const next = await leafBundle(['localhost']);
  await installBundle({ userDir, name: 'node-red' }, next);
  assert.equal(await nodeRedRefresh(server, settingsHttps), 'updated');
  const served = (await peerCertificate(port)).cert.fingerprint256;
  assert.notEqual(served, first);
  assert.equal(served, fingerprintOf(next.cert));
  assert.equal(await nodeRedRefresh(server, settingsHttps), 'unchanged');
});

test('user options are merged in; key and cert always come from the store', async (t) => {
  const userDir = userDirFor(t);
  const settingsHttps = certflow.https({
    userDir,
    log: () => {},
    options: { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384', key: 'ignored', cert: 'ignored' },
  });
  const options = await settingsHttps();
  assert.equal(options.minVersion, 'TLSv1.3');
  assert.equal(options.ciphers, 'TLS_AES_256_GCM_SHA384');
  assert.match(options.key, /BEGIN PRIVATE KEY/);
  assert.match(options.cert, /BEGIN CERTIFICATE/);
});

test('a broken store is a warning: the last good pair keeps being served (never nothing)', async (t) => {
  const userDir = userDirFor(t);
  const location = { userDir, name: 'node-red' };
  const good = await leafBundle();
  await installBundle(location, good);
  const { lines, log } = capture();
  const settingsHttps = certflow.https({ userDir, log });
  const served = await settingsHttps();
  assert.equal(fingerprintOf(served.cert), fingerprintOf(good.cert));

  const current = fs.realpathSync(path.join(userDir, 'certificates', 'node-red', 'current'));
  // 1. the key replaced by another one (a hand edit gone wrong)
  const other = await leafBundle();
  fs.writeFileSync(path.join(current, 'privkey.pem'), other.key);
  const afterMismatch = await settingsHttps();
  assert.equal(afterMismatch.key, served.key);
  assert.equal(afterMismatch.cert, served.cert);
  assert.ok(
    lines.some((l) =>
      /^\[warn\] .*unusable: .*private key does not match.*still serving the last good certificate \(CN=localhost, until \d{4}-/.test(l),
    ),
    lines.join('\n'),
  );
  // 2. a missing file; the same warning is not repeated every hour, a new one is logged
  fs.rmSync(path.join(current, 'fullchain.pem'));
  const warningsBefore = lines.length;
  assert.equal((await settingsHttps()).cert, served.cert);
  assert.equal((await settingsHttps()).cert, served.cert);
  assert.equal(lines.length, warningsBefore + 1);
  assert.match(lines.at(-1), /fullchain\.pem is missing; still serving the last good certificate/);
  // 3. a truncated certificate
  fs.writeFileSync(path.join(current, 'fullchain.pem'), good.fullchain.slice(0, 300));
  assert.equal((await settingsHttps()).cert, served.cert);
  assert.match(lines.at(-1), /no PEM certificate/);
  assert.ok(
    lines.every((l) => !/PRIVATE KEY|[A-Za-z0-9+/]{60}/.test(l)),
    'no key material in the log',
  );

  // A new start with the damaged store: the previous generation, else a temporary bootstrap one.
  const fresh = capture();
  const atBoot = await certflow.https({ userDir, log: fresh.log })();
  assert.ok(keyMatches(atBoot.key, atBoot.cert));
  assert.match(fresh.lines.join('\n'), /serving a temporary bootstrap certificate until a good one is installed/);
  await installBundle(location, await leafBundle());
  const healed = capture();
  const withPrevious = await certflow.https({ userDir, log: healed.log })();
  assert.ok(keyMatches(withPrevious.key, withPrevious.cert));
  assert.deepEqual(healed.lines, []);
});

test('after a restart with a damaged current generation the previous one is served', async (t) => {
  const userDir = userDirFor(t);
  const location = { userDir, name: 'node-red' };
  const first = await leafBundle();
  await installBundle(location, first);
  await installBundle(location, await leafBundle());
  fs.rmSync(path.join(fs.realpathSync(path.join(userDir, 'certificates', 'node-red', 'current')), 'privkey.pem'));
  const { lines, log } = capture();
  const options = await certflow.https({ userDir, log })();
  assert.equal(fingerprintOf(options.cert), fingerprintOf(first.cert));
  assert.match(lines.join('\n'), /privkey\.pem is missing; serving the previous certificate/);
});

test('bootstrap follows its names; a real certificate is never replaced automatically', async (t) => {
  const userDir = userDirFor(t);
  const caFile = path.join(userDir, 'certificates', 'local-ca', 'ca.pem');
  const { lines, log } = capture();
  const first = await certflow.https({ userDir, log, hostnames: 'nodered.lan, 10.1.2.3 not_a_name' })();
  const { X509Certificate } = require('node:crypto');
  assert.match(new X509Certificate(first.cert).subjectAltName, /DNS:nodered\.lan.*IP Address:10\.1\.2\.3/);
  assert.match(lines.join('\n'), /skipping "not_a_name"/);
  const firstCa = fs.readFileSync(caFile, 'utf8');
  // A new name asked for, local by definition: a new bootstrap certificate from the same local CA.
  const second = await certflow.https({ userDir, log, hostnames: ['nodered.lan', 'pi.home.arpa'] })();
  assert.notEqual(second.cert, first.cert);
  assert.match(new X509Certificate(second.cert).subjectAltName, /DNS:pi\.home\.arpa/);
  assert.equal(fs.readFileSync(caFile, 'utf8'), firstCa, 'the local CA the browser trusts stays the same');
  assert.match(
    (await openssl(['verify', '-CAfile', caFile, '-verify_hostname', 'pi.home.arpa', path.join(userDir, 'certificates', 'node-red', 'cert.pem')]))
      .stdout,
    /OK/,
  );
  // A name outside what the CA may sign for: a new local CA that may, said in the log.
  const third = await certflow.https({ userDir, log, hostnames: ['nodered.example.com'] })();
  assert.match(new X509Certificate(third.cert).subjectAltName, /DNS:nodered\.example\.com/);
  assert.notEqual(fs.readFileSync(caFile, 'utf8'), firstCa);
  assert.match(lines.join('\n'), /\[warn\] the local CA .*ca\.pem may not sign for nodered\.example\.com: making a new local CA/);
  assert.match(
    (
      await openssl([
        'verify',
        '-CAfile',
        caFile,
        '-verify_hostname',
        'nodered.example.com',
        path.join(userDir, 'certificates', 'node-red', 'cert.pem'),
      ])
    ).stdout,
    /OK/,
  );
  // A real certificate installed: names asked for in settings never replace it.
  const real = await leafBundle(['node-red.example']);
  await installBundle({ userDir, name: 'node-red' }, real);
  const served = await certflow.https({ userDir, log, hostnames: ['other.lan'] })();
  assert.equal(fingerprintOf(served.cert), fingerprintOf(real.cert));
});

test("the bootstrap local CA may sign only for local names and this machine's: its key cannot impersonate example.com", async (t) => {
  const userDir = userDirFor(t);
  const options = await certflow.https({ userDir, log: () => {} })();
  const caFile = path.join(userDir, 'certificates', 'local-ca', 'ca.pem');
  const caText = (await openssl(['x509', '-in', caFile, '-noout', '-ext', 'nameConstraints'])).stdout;
  assert.match(caText, /Name Constraints: critical/);
  // every name of the bootstrap leaf (this machine's addresses included, whatever they are) is permitted
  const leafFile = path.join(userDir, 'certificates', 'node-red', 'cert.pem');
  assert.match((await openssl(['verify', '-CAfile', caFile, '-purpose', 'sslserver', leafFile])).stdout, /OK/);
  assert.ok(keyMatches(options.key, options.cert));
  // a certificate for example.com made with the CA's key, as a thief would: refused
  const { makeLeaf, tempDir: opensslTempDir, openssl: run } = require('../helpers/openssl');
  const tmp = await opensslTempDir();
  t.after(() => tmp.cleanup());
  const issuer = { cert: caFile, key: path.join(userDir, 'certificates', 'local-ca', 'ca-key.pem') };
  const forged = await makeLeaf(tmp, 'forged', { issuer, subject: '/CN=example.com', san: 'DNS:example.com' });
  const verdict = await run(['verify', '-CAfile', caFile, forged.cert]);
  assert.notEqual(verdict.code, 0);
  assert.match(verdict.stderr + verdict.stdout, /permitted subtree violation/);
});

test("userDir: the option, else -u / --userDir in the command line, else Node-RED's default", () => {
  const { resolveUserDir } = certflow;
  assert.equal(resolveUserDir('/srv/nr', ['node', 'red.js', '-u', '/other']), '/srv/nr');
  assert.equal(resolveUserDir(undefined, ['node', 'red.js', '-u', '/data']), '/data');
  assert.equal(resolveUserDir(undefined, ['node', 'red.js', '--userDir', '/data2', '-p', '1880']), '/data2');
  assert.equal(resolveUserDir(undefined, ['node', 'red.js', '--userDir=/data3']), '/data3');
  assert.equal(resolveUserDir('~/nr', []), path.join(os.homedir(), 'nr'));
  assert.equal(resolveUserDir(undefined, ['node', 'red.js'], { HOME: '/home/pi' }), '/home/pi/.node-red');
  const home = tempDir();
  fs.writeFileSync(path.join(home, '.config.json'), '{}');
  assert.equal(resolveUserDir(undefined, ['node', 'red.js'], { HOME: '/home/pi', NODE_RED_HOME: home }), home);
  fs.rmSync(home, { recursive: true, force: true });
});

test('a store name that is not a plain folder name is refused when settings.js loads', () => {
  assert.throws(() => certflow.https({ name: '../../etc', userDir: '/tmp' }), { code: 'store-name-invalid' });
});
