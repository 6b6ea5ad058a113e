'use strict';
// Renewal and the certificate manager against a real Pebble: ARI windows, profiles,
// "never renew a healthy certificate twice", concurrent triggers, revocation -> renewal
// with `replaces`, the lifetime fallback, and what lands on disk.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate, createPrivateKey, createPublicKey } = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { startPebble } = require('../harness/pebble');
const {
  tempDir,
  serveRegistry,
  opensslVerify,
  lifetimeDays,
  SecretWatch,
  close,
  openWatchedAccount,
  closeAccountAndPebble,
} = require('../harness/acme-helpers');
const acme = require('../../dist/lib/acme');

const DAY = 86400000;
let pebble;
let account;
let server;
let baseDir;
const watch = new SecretWatch();

before(async () => {
  pebble = await startPebble();
  server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  account = await openWatchedAccount(pebble, watch);
  baseDir = await tempDir();
});

after(async () => {
  if (server) await close(server);
  await closeAccountAndPebble(account, pebble);
  if (baseDir) await fsp.rm(baseDir, { recursive: true, force: true });
});

function manager(name, extra = {}) {
  return new acme.CertificateManager({
    name,
    baseDir: path.join(baseDir, name),
    account,
    identifiers: [`${name}.example.com`],
    profile: 'default',
    onProgress: watch.progress(extra.progressLog),
    ...extra,
  });
}

test('profiles: "shortlived" gives a 6-day certificate, "default" a 90-day one', async () => {
  const short = await acme.issueCertificate({ account, identifiers: ['short.example.com'], profile: 'shortlived', onProgress: watch.progress() });
  const long = await acme.issueCertificate({ account, identifiers: ['long.example.com'], profile: 'default', onProgress: watch.progress() });
  watch.secret(short.keyPem);
  watch.secret(long.keyPem);
  assert.ok(Math.abs(lifetimeDays(short.certPem) - 6) < 0.1, `shortlived: ${lifetimeDays(short.certPem)} days`);
  assert.ok(Math.abs(lifetimeDays(long.certPem) - 90) < 0.1, `default: ${lifetimeDays(long.certPem)} days`);
  assert.equal(short.profile, 'shortlived');
  assert.equal(short.order.profile, 'shortlived', 'the CA echoes the profile in the order');
  const meta = await acme.fetchDirectoryMeta(pebble.directoryUrl, pebble.acmeCaPem);
  assert.deepEqual(Object.keys(meta.profiles).sort(), ['default', 'shortlived']);
  assert.equal(meta.renewalInfo, true);
});

test('ARI: a 90-day certificate gets a renewal time from the CA around day 59; a second ensure() does not renew', async () => {
  const m = manager('ari');
  const first = await m.ensure();
  watch.secret(first.certificate.keyPem);
  assert.equal(first.renewed, true);
  assert.equal(first.reason, 'new');
  assert.match(await opensslVerify(first.certificate.certPem, pebble.rootPem, first.certificate.chainPem), /: OK$/);
  const cert = new X509Certificate(first.certificate.certPem);
  const notBefore = Date.parse(cert.validFrom);
  assert.equal(first.renewal.source, 'ari');
  const dueDay = (first.renewal.due.getTime() - notBefore) / DAY;
  assert.ok(dueDay > 50 && dueDay < 70, `renewal on day ${dueDay.toFixed(1)}`);
  assert.ok(first.renewal.window.start <= first.renewal.due && first.renewal.due <= first.renewal.window.end);
  assert.match(first.renewal.explanation, /the CA suggests renewing between/);
  assert.equal(first.renewal.certId, acme.certificateId(first.certificate.certPem));

  const second = await m.ensure();
  assert.equal(second.renewed, false);
  assert.equal(second.reason, 'current');
  assert.equal(second.certificate.serialNumber, first.certificate.serialNumber);
  assert.equal(second.renewal.due.getTime(), first.renewal.due.getTime(), 'the chosen time stays put');

  const asked = await m.ensure({ refreshRenewalInfo: true });
  assert.equal(asked.renewed, false, 'asking the CA again does not renew a healthy certificate');
  assert.equal(asked.renewal.due.getTime(), first.renewal.due.getTime(), 'same window -> same chosen time');

  const status = await m.status();
  assert.equal(status.hasCertificate, true);
  assert.ok(status.daysLeft >= 89);
  assert.equal(status.renewal.source, 'ari');
});

test('stored files: key 0600, cert/chain/fullchain that openssl accepts, state.json with the facts', async () => {
  const dir = path.join(baseDir, 'ari');
  const mode = (await fsp.stat(path.join(dir, 'privkey.pem'))).mode & 0o777;
  assert.equal(mode, 0o600);
  const [key, cert, chain, fullchain, stateText] = await Promise.all(
    ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'state.json'].map((f) => fsp.readFile(path.join(dir, f), 'utf8')),
  );
  assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)));
  assert.equal(fullchain, cert + chain);
  assert.match(await opensslVerify(cert, pebble.rootPem, chain), /: OK$/);
  const state = JSON.parse(stateText);
  assert.equal(state.profile, 'default');
  assert.equal(state.accountUrl, account.accountUrl);
  assert.deepEqual(state.identifiers, [{ type: 'dns', value: 'ari.example.com' }]);
  assert.equal(state.certId, acme.certificateId(cert));
  assert.equal(state.renewal.source, 'ari');
  assert.ok(state.renewal.window.start && state.renewal.nextCheck);
  assert.ok(!stateText.includes('PRIVATE KEY'));
});

test('after revocation at the CA the ARI window moves into the past and ensure() renews, sending replaces', async () => {
  const m = manager('revoked');
  const first = await m.ensure();
  watch.secret(first.certificate.keyPem);
  const oldId = acme.certificateId(first.certificate.certPem);
  // revoked outside the manager: only the CA knows
  await acme.revokeCertificate(account, first.certificate.certPem, 'superseded', watch.progress());
  const info = await acme.fetchRenewalInfo(account, first.certificate.certPem);
  assert.ok(info.end <= new Date(), 'the window is in the past after revocation');

  const renewed = await m.ensure({ refreshRenewalInfo: true });
  assert.equal(renewed.renewed, true);
  assert.equal(renewed.reason, 'due');
  assert.equal(renewed.order.replaces, oldId, 'the CA echoes replaces in the order');
  assert.notEqual(renewed.certificate.serialNumber, first.certificate.serialNumber);
  assert.match(await opensslVerify(renewed.certificate.certPem, pebble.rootPem, renewed.certificate.chainPem), /: OK$/);
  const state = JSON.parse(await fsp.readFile(path.join(baseDir, 'revoked', 'state.json'), 'utf8'));
  assert.equal(state.replaces, oldId);

  const again = await m.ensure({ refreshRenewalInfo: true });
  assert.equal(again.renewed, false, 'the new certificate is healthy');
});

test('revoke through the manager (with a reason): the next ensure() orders a new certificate', async () => {
  const m = manager('mrevoke');
  const first = await m.ensure();
  watch.secret(first.certificate.keyPem);
  await m.revoke({ reason: 'keyCompromise' });
  const next = await m.ensure();
  assert.equal(next.renewed, true);
  assert.equal(next.reason, 'revoked');
  const bad = await m.revoke({ reason: 'because' }).catch((e) => watch.error(e));
  assert.match(bad.message, /"because" is not a revocation reason/);
});

test('concurrent ensure() calls for one certificate share one order', async () => {
  const progressLog = [];
  const m = manager('concurrent', { progressLog });
  const other = manager('concurrent', { progressLog }); // a second manager on the same folder
  const results = await Promise.all([m.ensure(), m.ensure(), other.ensure()]);
  watch.secret(results[0].certificate.keyPem);
  assert.equal(progressLog.filter((t) => t === 'ordering').length, 1);
  assert.equal(new Set(results.map((r) => r.certificate.serialNumber)).size, 1);
  assert.ok(results.every((r) => r.renewed));
});

test('a forced renewal asked while a plain check runs is not answered by that check: it renews after it', async () => {
  const m = manager('check-then-force');
  const first = await m.ensure();
  watch.secret(first.certificate.keyPem);
  // the start-up check of a node and the user's "renew" message, in the same tick
  const [checked, forced, alsoForced] = await Promise.all([m.ensure(), m.ensure({ force: true }), m.ensure({ force: true })]);
  watch.secret(forced.certificate.keyPem);
  assert.equal(checked.renewed, false);
  assert.equal(checked.certificate.serialNumber, first.certificate.serialNumber);
  assert.equal(forced.renewed, true, 'the renewal asked for happened');
  assert.equal(forced.reason, 'forced');
  assert.equal(alsoForced.certificate.serialNumber, forced.certificate.serialNumber, 'two renewals asked at once share one order');
});

test('force renews; key policy "reuse" keeps the key, "new" changes it; changed names re-issue', async () => {
  const reuse = manager('keys', { keyPolicy: 'reuse' });
  const first = await reuse.ensure();
  watch.secret(first.certificate.keyPem);
  const forced = await reuse.ensure({ force: true });
  watch.secret(forced.certificate.keyPem);
  assert.equal(forced.reason, 'forced');
  assert.equal(forced.certificate.keyPem, first.certificate.keyPem, 'reuse keeps the key');
  assert.equal(forced.order.replaces, acme.certificateId(first.certificate.certPem));

  const fresh = manager('keys', { keyPolicy: 'new', keyAlgorithm: 'rsa-2048' });
  const renewed = await fresh.ensure({ force: true });
  watch.secret(renewed.certificate.keyPem);
  assert.notEqual(renewed.certificate.keyPem, first.certificate.keyPem);
  assert.equal(createPrivateKey(renewed.certificate.keyPem).asymmetricKeyType, 'rsa');

  const renamed = manager('keys', { identifiers: ['keys.example.com', 'www.keys.example.com'] });
  const changed = await renamed.ensure();
  watch.secret(changed.certificate.keyPem);
  assert.equal(changed.reason, 'identifiers-changed');
  assert.equal(new X509Certificate(changed.certificate.certPem).subjectAltName, 'DNS:keys.example.com, DNS:www.keys.example.com');
  assert.equal(changed.order.replaces, undefined, 'no replaces when the names changed');
});

test('a key or a CSR from the message', async () => {
  const { privateKeyPem } = await require('../../dist/lib/pki/keys').generateKey('ec-p256');
  watch.secret(privateKeyPem);
  const m = manager('msgkey');
  const withKey = await m.ensure({ keyPem: privateKeyPem });
  assert.ok(new X509Certificate(withKey.certificate.certPem).checkPrivateKey(createPrivateKey(privateKeyPem)));
  const csrPem = await require('../../dist/lib/pki/csr').createCsr({ key: privateKeyPem, subject: { CN: 'msgkey.example.com' } });
  const withCsr = await m.ensure({ csrPem, force: true });
  assert.equal(withCsr.certificate.keyPem, undefined, 'no key of ours matches a CSR-issued certificate');
  assert.equal(
    withCsr.certificate.certPem && new X509Certificate(withCsr.certificate.certPem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
    createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('hex'),
  );
});

test('lifetime fallback without ARI: 1/3 left for 90 days, 1/2 left for 6 days, at once when nearly expired', async () => {
  const long = await acme.issueCertificate({ account, identifiers: ['fallback.example.com'], profile: 'default' });
  const short = await acme.issueCertificate({ account, identifiers: ['fallback6.example.com'], profile: 'shortlived' });
  watch.secret(long.keyPem);
  watch.secret(short.keyPem);
  const now = new Date(long.notBefore.getTime() + DAY);
  const planLong = acme.planRenewal({ certPem: long.certPem, now });
  assert.equal(planLong.source, 'lifetime');
  assert.equal(Math.round((long.notAfter - planLong.due) / DAY), 30);
  const planShort = acme.planRenewal({ certPem: short.certPem, now: new Date(short.notBefore.getTime() + 3600000) });
  assert.equal(planShort.source, 'lifetime');
  assert.equal(Math.round((short.notAfter - planShort.due) / DAY), 3);
  assert.match(planShort.explanation, /half of the 6 days lifetime/);
  const late = new Date(long.notAfter.getTime() - 2 * DAY);
  const planLate = acme.planRenewal({ certPem: long.certPem, now: late });
  assert.equal(planLate.source, 'expiry');
  assert.equal(planLate.due.getTime(), late.getTime());
  const expired = acme.planRenewal({ certPem: long.certPem, now: new Date(long.notAfter.getTime() + DAY) });
  assert.equal(expired.source, 'expiry');
  assert.match(expired.explanation, /expired/);
  // ARI window in the future, random point chosen inside it; Retry-After sets the next check
  const info = await acme.fetchRenewalInfo(account, long.certPem);
  assert.ok(info.retryAfter > new Date(), 'Pebble sends Retry-After');
  const plan = acme.planRenewal({ certPem: long.certPem, renewalInfo: info, random: () => 0.5 });
  assert.equal(plan.due.getTime(), (info.start.getTime() + info.end.getTime()) / 2);
  assert.equal(plan.nextCheck.getTime(), info.retryAfter.getTime());
});

test('no private key, account key or secret appears in any progress text or error', () => {
  assert.ok(watch.check() > 20);
});
