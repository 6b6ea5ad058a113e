'use strict';
// Accounts: terms agreement, External Account Binding, key generation and rollover, and the
// per-origin CA trust (the extra CA applies to that ACME server only, never process-wide).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createPrivateKey, randomBytes } = require('node:crypto');
const https = require('node:https');
const { startPebble } = require('../harness/pebble');
const { serveRegistry, opensslVerify, SecretWatch, close } = require('../harness/acme-helpers');
const acme = require('../../dist/lib/acme');
const acmeClient = require('acme-client');

const HMAC = randomBytes(32).toString('base64url');
const KID = 'kid-1';
let pebble; // requires EAB
let open; // no EAB
const accounts = [];
const watch = new SecretWatch();
watch.secret(HMAC);

before(async () => {
  [pebble, open] = await Promise.all([startPebble({ eab: { [KID]: HMAC } }), startPebble()]);
});

after(async () => {
  for (const a of accounts) a.transport.close();
  await Promise.all([pebble?.stop(), open?.stop()]);
});

function track(account) {
  accounts.push(account);
  watch.secret(account.accountKeyPem);
  return account;
}

test('no account without agreeing to the terms of service; the error shows where they are', async () => {
  const err = await acme
    .openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: false })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_TOS_NOT_AGREED');
  assert.match(err.message, /no ACME account is created until you agree to the CA's terms of service \(data:text\/plain,Do%20what%20thou%20wilt\)/);
});

test('EAB: the directory says it is required, the right HMAC works', async () => {
  const meta = await acme.fetchDirectoryMeta(pebble.directoryUrl, pebble.acmeCaPem);
  assert.equal(meta.externalAccountRequired, true);
  const account = track(
    await acme.openAccount({
      directory: pebble.directoryUrl,
      caPem: pebble.acmeCaPem,
      termsOfServiceAgreed: true,
      contact: 'ops@example.com',
      externalAccountBinding: { kid: KID, hmacKey: HMAC },
      onProgress: watch.progress(),
    }),
  );
  assert.equal(account.created, true);
  assert.match(account.accountUrl, /^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
  assert.ok(!JSON.stringify(account).includes('PRIVATE'), 'JSON form of the account has no key');
  assert.ok(!require('node:util').inspect(account, { depth: 5 }).includes('PRIVATE KEY'), 'inspecting the account shows no key');
});

test('EAB: a wrong HMAC, an unknown key ID, or none at all give clear errors without the HMAC', async () => {
  const wrongHmac = await acme
    .openAccount({
      directory: pebble.directoryUrl,
      caPem: pebble.acmeCaPem,
      termsOfServiceAgreed: true,
      externalAccountBinding: { kid: KID, hmacKey: randomBytes(32).toString('base64url') },
    })
    .catch((e) => watch.error(e));
  assert.equal(wrongHmac.code, 'ACME_EAB_REJECTED');
  assert.match(wrongHmac.message, /^the CA refused the External Account Binding - check the EAB key ID and HMAC key: unauthorized: /);

  const wrongKid = await acme
    .openAccount({
      directory: pebble.directoryUrl,
      caPem: pebble.acmeCaPem,
      termsOfServiceAgreed: true,
      externalAccountBinding: { kid: 'nope', hmacKey: HMAC },
    })
    .catch((e) => watch.error(e));
  assert.equal(wrongKid.code, 'ACME_EAB_REJECTED');
  assert.match(wrongKid.message, /kid/);

  const none = await acme
    .openAccount({ directory: pebble.directoryUrl, caPem: pebble.acmeCaPem, termsOfServiceAgreed: true })
    .catch((e) => watch.error(e));
  assert.equal(none.code, 'ACME_EAB_REQUIRED');
  assert.match(none.message, /this CA needs External Account Binding/);

  const half = await acme
    .openAccount({
      directory: pebble.directoryUrl,
      caPem: pebble.acmeCaPem,
      termsOfServiceAgreed: true,
      externalAccountBinding: { kid: KID, hmacKey: '' },
    })
    .catch((e) => watch.error(e));
  assert.match(half.message, /needs both the key ID and the HMAC key/);
});

test('account key: generated EC P-256 when absent; the same key finds the same account', async () => {
  const first = track(
    await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true, onProgress: watch.progress() }),
  );
  assert.equal(first.keyGenerated, true);
  assert.equal(first.created, true);
  assert.equal(createPrivateKey(first.accountKeyPem).asymmetricKeyDetails.namedCurve, 'prime256v1');
  const again = track(
    await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true, accountKeyPem: first.accountKeyPem }),
  );
  assert.equal(again.keyGenerated, false);
  assert.equal(again.created, false);
  assert.equal(again.accountUrl, first.accountUrl);
  const bad = await acme
    .openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true, accountKeyPem: 'not a key' })
    .catch((e) => watch.error(e));
  assert.equal(bad.code, 'ACME_BAD_ACCOUNT_KEY');
});

test('account key rollover: the account keeps its URL and orders with the new key', async () => {
  const account = track(await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true }));
  const oldKey = account.accountKeyPem;
  const url = account.accountUrl;
  await acme.rolloverAccountKey(account, undefined, watch.progress());
  watch.secret(account.accountKeyPem);
  assert.notEqual(account.accountKeyPem, oldKey);
  assert.equal(account.accountUrl, url);
  const found = track(
    await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true, accountKeyPem: account.accountKeyPem }),
  );
  assert.equal(found.accountUrl, url, 'the new key belongs to the same account');
  const server = await serveRegistry(open.httpPort, acme.http01Registry);
  try {
    const issued = await acme.issueCertificate({ account, identifiers: ['rolled.example.com'], profile: 'default', onProgress: watch.progress() });
    watch.secret(issued.keyPem);
    assert.match(await opensslVerify(issued.certPem, open.rootPem, issued.chainPem), /: OK$/);
  } finally {
    await close(server);
  }
});

test('a deactivated account can no longer order', async () => {
  const account = track(await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true }));
  await acme.deactivateAccount(account);
  const err = await acme.issueCertificate({ account, identifiers: ['late.example.com'], profile: 'default' }).catch((e) => watch.error(e));
  assert.match(err.message, /^ordering a certificate for late\.example\.com failed: unauthorized: /);
});

function plainGet(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers: { 'User-Agent': 'test' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('error', reject);
  });
}

test('the extra CA is trusted for that ACME server only: not by Node, not by acme-client, not by other transports', async () => {
  const account = track(await acme.openAccount({ directory: open.directoryUrl, caPem: open.acmeCaPem, termsOfServiceAgreed: true }));
  assert.ok(account.accountUrl);
  // Node's own https does not trust Pebble's listener certificate
  const nodeErr = await plainGet(open.directoryUrl).catch((e) => e);
  assert.ok(nodeErr instanceof Error && /self.signed|DEPTH_ZERO/i.test(`${nodeErr.code} ${nodeErr.message}`));
  // acme-client's shared axios instance is untouched
  assert.equal(acmeClient.axios.defaults.acmeSettings.retryMaxAttempts, 5);
  assert.equal(acmeClient.axios.defaults.httpsAgent, undefined);
  assert.equal(https.globalAgent.options.ca, undefined, "Node's global agent is untouched");
  // another transport without the CA refuses, with advice
  const err = await acme.fetchDirectoryMeta(open.directoryUrl).catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_TLS_UNTRUSTED');
  assert.match(err.message, /not trusted .*add its CA certificate to the account/);
  // and a CA given for one server is not used for another origin (the other Pebble)
  const transport = new acme.AcmeTransport(open.directoryUrl, { caPem: open.acmeCaPem });
  const other = await transport.request(pebble.directoryUrl, 'get').catch((e) => watch.error(e));
  transport.close();
  assert.equal(other.code, 'ACME_TLS_UNTRUSTED');
});

test('no private key, account key or EAB HMAC appears in any progress text or error', () => {
  assert.ok(watch.check() > 5);
});
