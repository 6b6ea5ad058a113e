'use strict';
// dns-01 through a caller-supplied hook (the node's second output does this in a flow), with
// the propagation check asking challtestsrv's DNS server; a wildcard plus its base name.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { startPebble } = require('../harness/pebble');
const { opensslVerify, SecretWatch, openWatchedAccount, closeAccountAndPebble } = require('../harness/acme-helpers');
const acme = require('../../dist/lib/acme');

let pebble;
let account;
const watch = new SecretWatch();

before(async () => {
  pebble = await startPebble();
  account = await openWatchedAccount(pebble, watch);
});

after(async () => {
  await closeAccountAndPebble(account, pebble);
});

/** A hook that sets TXT records on challtestsrv, as a flow's http request node would. */
function challtestsrvHook(log) {
  return {
    async set(record) {
      log.push(['set', record.name, record.value, record.identifier]);
      await pebble.setTxt(record.name, record.value);
    },
    async remove(record) {
      log.push(['remove', record.name, record.value, record.identifier]);
      await pebble.clearTxt(record.name);
    },
  };
}

function dnsOptions(hook, extra = {}) {
  return { hook, resolvers: [pebble.dnsResolver], propagationPollMs: 100, propagationTimeoutMs: 5000, ...extra };
}

test('dns-01 through the hook, checked against the DNS server before answering the CA', async () => {
  const log = [];
  const progress = [];
  const issued = await acme.issueCertificate({
    account,
    identifiers: ['dns.example.com'],
    challenges: { defaults: { dns: 'dns-01' }, dns01: dnsOptions(challtestsrvHook(log)) },
    profile: 'default',
    onProgress: watch.progress(progress),
  });
  watch.secret(issued.keyPem);
  assert.match(await opensslVerify(issued.certPem, pebble.rootPem, issued.chainPem), /: OK$/);
  assert.deepEqual(
    log.map((l) => [l[0], l[1], l[3]]),
    [
      ['set', '_acme-challenge.dns.example.com', 'dns.example.com'],
      ['remove', '_acme-challenge.dns.example.com', 'dns.example.com'],
    ],
  );
  assert.match(log[0][2], /^[A-Za-z0-9_-]{43}$/, 'TXT value is base64url(SHA-256)');
  assert.ok(progress.includes('dns-01: waiting for _acme-challenge.dns.example.com to propagate'));
  assert.ok(progress.includes('dns-01 for dns.example.com'));
  assert.deepEqual(await acme.lookupTxt('_acme-challenge.dns.example.com', [pebble.dnsResolver]), [], 'record removed afterwards');
});

test('a wildcard plus its base name: two TXT values on one name, both set and checked', async () => {
  const log = [];
  const issued = await acme.issueCertificate({
    account,
    identifiers: ['*.wild.example.com', 'wild.example.com'],
    challenges: { defaults: { dns: 'dns-01' }, dns01: dnsOptions(challtestsrvHook(log)) },
    profile: 'default',
    onProgress: watch.progress(),
  });
  watch.secret(issued.keyPem);
  assert.match(await opensslVerify(issued.certPem, pebble.rootPem, issued.chainPem), /: OK$/);
  const cert = new X509Certificate(issued.certPem);
  assert.equal(cert.subjectAltName, 'DNS:*.wild.example.com, DNS:wild.example.com');
  assert.ok(cert.checkHost('any.wild.example.com'));
  const sets = log.filter((l) => l[0] === 'set');
  assert.equal(sets.length, 2);
  assert.deepEqual(new Set(sets.map((l) => l[1])), new Set(['_acme-challenge.wild.example.com']));
  assert.notEqual(sets[0][2], sets[1][2], 'two different values on one name');
  assert.deepEqual(new Set(sets.map((l) => l[3])), new Set(['*.wild.example.com', 'wild.example.com']));
});

test('a record that never becomes visible: the error names it, and the hook is asked to remove it', async () => {
  const log = [];
  const lazyHook = {
    set(record) {
      log.push(['set', record.name]); // forgets to publish it
    },
    remove(record) {
      log.push(['remove', record.name]);
    },
  };
  const started = Date.now();
  const err = await acme
    .issueCertificate({
      account,
      identifiers: ['lost.example.com'],
      challenges: { defaults: { dns: 'dns-01' }, dns01: dnsOptions(lazyHook, { propagationTimeoutMs: 1000 }) },
      profile: 'default',
      onProgress: watch.progress(),
    })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_DNS_NOT_PROPAGATED');
  assert.match(
    err.message,
    /^dns-01 for lost\.example\.com failed: the TXT record _acme-challenge\.lost\.example\.com did not propagate within 1 s at 127\.0\.0\.1:\d+/,
  );
  assert.ok(Date.now() - started < 60000, 'the 1 s propagation timeout, not the 120 s default');
  assert.deepEqual(log, [
    ['set', '_acme-challenge.lost.example.com'],
    ['remove', '_acme-challenge.lost.example.com'],
  ]);
});

test('a hook that fails: clear error naming the record, and cleanup still runs', async () => {
  const log = [];
  const err = await acme
    .issueCertificate({
      account,
      identifiers: ['hookfail.example.com'],
      challenges: {
        defaults: { dns: 'dns-01' },
        dns01: dnsOptions({
          set() {
            throw new Error('DNS provider said 403 Forbidden');
          },
          remove(record) {
            log.push(record.name);
          },
        }),
      },
      profile: 'default',
    })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_DNS_HOOK_FAILED');
  assert.match(
    err.message,
    /dns-01 for hookfail\.example\.com: setting TXT _acme-challenge\.hookfail\.example\.com failed: DNS provider said 403 Forbidden/,
  );
  assert.deepEqual(log, ['_acme-challenge.hookfail.example.com']);
});

test('no private key, account key or secret appears in any progress text or error', () => {
  assert.ok(watch.check() > 10);
});
