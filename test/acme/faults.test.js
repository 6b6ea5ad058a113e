'use strict';
// Faults against a real Pebble: half the nonces rejected, a responder nobody answers, the CA
// gone in the middle of an order, a blocked domain, alternate chains.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { startPebble } = require('../harness/pebble');
const { tempDir, serveRegistry, opensslVerify, SecretWatch, close, openWatchedAccount } = require('../harness/acme-helpers');
const acme = require('../../dist/lib/acme');

let flaky; // PEBBLE_WFE_NONCEREJECT=50
let ca; // alternate roots, blocklist
let baseDir;
const accounts = [];
const watch = new SecretWatch();

before(async () => {
  [flaky, ca] = await Promise.all([startPebble({ nonceReject: 50 }), startPebble({ alternateRoots: 2, domainBlocklist: ['blocked.example'] })]);
  baseDir = await tempDir();
});

after(async () => {
  for (const a of accounts) a.transport.close();
  await Promise.all([flaky?.stop(), ca?.stop()]);
  if (baseDir) await fsp.rm(baseDir, { recursive: true, force: true });
});

async function openOn(pebble, transport = {}) {
  const account = await openWatchedAccount(pebble, watch, { transport });
  accounts.push(account);
  return account;
}

test('with half of all nonces rejected, 20 of 20 issuances succeed (one account, fresh nonce per retry)', async () => {
  const retries = [];
  const account = await openOn(flaky, { onRetry: (info) => retries.push(info) });
  const server = await serveRegistry(flaky.httpPort, acme.http01Registry);
  try {
    const results = [];
    for (let batch = 0; batch < 4; batch += 1) {
      const five = await Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          acme.issueCertificate({ account, identifiers: [`n${batch * 5 + i}.example.com`], profile: 'default', onProgress: watch.progress() }),
        ),
      );
      results.push(...five);
    }
    assert.equal(results.length, 20);
    for (const issued of results) watch.secret(issued.keyPem);
    await Promise.all(results.map(async (r) => assert.match(await opensslVerify(r.certPem, flaky.rootPem, r.chainPem), /: OK$/)));
    const badNonces = retries.filter((r) => r.reason === 'badNonce').length;
    assert.ok(badNonces > 20, `the fault was active: ${badNonces} badNonce retries`);
  } finally {
    await close(server);
  }
});

test('a domain on the CA blocklist: the error names it', async () => {
  const account = await openOn(ca);
  const err = await acme
    .issueCertificate({ account, identifiers: ['ok.example.com', 'shop.blocked.example'], profile: 'default', onProgress: watch.progress() })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_REJECTED_IDENTIFIER');
  assert.match(
    err.message,
    /^ordering a certificate for ok\.example\.com, shop\.blocked\.example failed: rejectedIdentifier: .*shop\.blocked\.example/,
  );
  assert.equal(err.details.problemType, 'urn:ietf:params:acme:error:rejectedIdentifier');
});

test('alternate chains: the preferred chain is chosen by issuer name', async () => {
  const account = await openOn(ca);
  const server = await serveRegistry(ca.httpPort, acme.http01Registry);
  try {
    const wanted = new X509Certificate(ca.alternateRootPems[1]).subject.replace(/^.*CN=/s, '');
    const progress = [];
    const chosen = await acme.issueCertificate({
      account,
      identifiers: ['chain.example.com'],
      profile: 'default',
      preferredChain: wanted,
      onProgress: watch.progress(progress),
    });
    watch.secret(chosen.keyPem);
    assert.equal(chosen.chainIssuer, wanted);
    assert.match(await opensslVerify(chosen.certPem, ca.alternateRootPems[1], chosen.chainPem), /: OK$/);
    await assert.rejects(opensslVerify(chosen.certPem, ca.rootPem, chosen.chainPem), /openssl verify refused/);

    const standard = await acme.issueCertificate({ account, identifiers: ['chain2.example.com'], profile: 'default', onProgress: watch.progress() });
    watch.secret(standard.keyPem);
    assert.equal(standard.chainIssuer, new X509Certificate(ca.rootPem).subject.replace(/^.*CN=/s, ''));
    assert.match(await opensslVerify(standard.certPem, ca.rootPem, standard.chainPem), /: OK$/);

    const unknown = await acme.issueCertificate({
      account,
      identifiers: ['chain3.example.com'],
      profile: 'default',
      preferredChain: 'No Such Root',
      onProgress: watch.progress(progress),
    });
    watch.secret(unknown.keyPem);
    assert.ok(progress.includes('preferred chain "No Such Root" not offered by the CA; using its default chain'));
    assert.match(await opensslVerify(unknown.certPem, ca.rootPem, unknown.chainPem), /: OK$/);
  } finally {
    await close(server);
  }
});

/** Every file under dir (the record's generation folders too), with mode, time and content. */
async function snapshot(dir, result = {}, prefix = '') {
  for (const name of (await fsp.readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const stat = await fsp.lstat(file);
    if (stat.isSymbolicLink()) result[prefix + name] = { link: await fsp.readlink(file) };
    else if (stat.isDirectory()) await snapshot(file, result, `${prefix}${name}/`);
    else result[prefix + name] = { mtimeMs: stat.mtimeMs, mode: stat.mode, content: await fsp.readFile(file, 'utf8') };
  }
  return result;
}

test("an unreachable responder: a clear error from the CA's verdict (no poll timeout waited out), and no stored file changes", async () => {
  const account = await openOn(ca);
  const dir = path.join(baseDir, 'down');
  const manager = new acme.CertificateManager({
    name: 'down',
    baseDir: dir,
    account,
    identifiers: ['down.example.com'],
    profile: 'default',
    onProgress: watch.progress(),
  });
  const server = await serveRegistry(ca.httpPort, acme.http01Registry);
  let first;
  try {
    first = await manager.ensure();
    watch.secret(first.certificate.keyPem);
  } finally {
    await close(server);
  }
  const before = await snapshot(dir);
  const started = Date.now();
  const err = await manager.ensure({ force: true }).then(
    (result) =>
      assert.fail(`the forced renewal did not fail: renewed ${result.renewed}, reason ${result.reason}, ${JSON.stringify(result.order ?? null)}`),
    (e) => watch.error(e),
  );
  const took = Date.now() - started;
  assert.equal(err instanceof Error && err.name, 'CertflowError', String(err?.stack ?? err));
  // the CA's verdict, not ACME_POLL_TIMEOUT: the order ends when the CA says so (how fast is the bench's business)
  assert.equal(err.code, 'ACME_CHALLENGE_FAILED');
  console.log(`# unreachable responder: the failure reached ensure() ${took} ms after it was asked`);
  assert.match(
    err.message,
    new RegExp(
      `^http-01 for down\\.example\\.com failed: connection refused at 127\\.0\\.0\\.1:${ca.httpPort} - is port ${ca.httpPort} forwarded to this Node-RED\\? \\(the CA always asks in plain HTTP on port 80: .*answer on a plain-HTTP port.*redirects the rest to HTTPS\\)$`,
    ),
  );
  assert.equal(err.details.problemType, 'urn:ietf:params:acme:error:connection');
  assert.deepEqual(await snapshot(dir), before, 'every stored file is as it was');
  assert.equal((await manager.status()).lastError, err.message);
  assert.equal(acme.http01Registry.size, 0, 'tokens removed after the failure');
});

test('the CA stops in the middle of an order: a clear error; after it is back a retry succeeds', async () => {
  const account = await openOn(ca, { retryBaseDelayMs: 100, maxRetries: 3 });
  const dir = path.join(baseDir, 'gone');
  let stopped = false;
  const hookLog = [];
  const hook = {
    async set(record) {
      hookLog.push('set');
      await ca.setTxt(record.name, record.value);
      if (!stopped) {
        stopped = true;
        await ca.stopCa(); // the CA disappears between the order and the challenge answer
      }
    },
    async remove(record) {
      hookLog.push('remove');
      await ca.clearTxt(record.name);
    },
  };
  const manager = new acme.CertificateManager({
    name: 'gone',
    baseDir: dir,
    account,
    identifiers: ['gone.example.com'],
    profile: 'default',
    challenges: { defaults: { dns: 'dns-01' }, dns01: { hook, resolvers: [ca.dnsResolver], propagationPollMs: 100 } },
    onProgress: watch.progress(),
  });
  const started = Date.now();
  const err = await manager.ensure().catch((e) => watch.error(e));
  // not the 180 s poll timeout waited out (a bound for a hang, not a speed: the bench measures speed)
  assert.ok(Date.now() - started < 60000);
  assert.equal(err.code, 'ACME_UNREACHABLE');
  assert.match(
    err.message,
    new RegExp(`^dns-01 for gone\\.example\\.com failed: cannot reach the ACME server 127\\.0\\.0\\.1:${ca.acmePort}: connection refused$`),
  );
  assert.deepEqual(hookLog, ['set', 'remove'], 'the TXT record is removed after the failure');
  await assert.rejects(fsp.stat(path.join(dir, 'cert.pem')), { code: 'ENOENT' });

  await ca.startCa(); // a fresh CA on the same address: it forgot the account, the account is registered again
  const retried = await manager.ensure();
  watch.secret(retried.certificate.keyPem);
  assert.equal(retried.renewed, true);
  assert.match(await opensslVerify(retried.certificate.certPem, ca.rootPem, retried.certificate.chainPem), /: OK$/);
});

test('no private key, account key or secret appears in any progress text or error', () => {
  assert.ok(watch.check() > 20);
});
