'use strict';
// The DNS challenges end to end against Pebble 2.10 whose VA resolves through a real BIND 9
// (test/harness/bind.js) on loopback:
// - RFC 2136 + TSIG: a wildcard plus its base name issued, the TXT records gone afterwards; a
//   wrong TSIG key gives a clear error without the secret;
// - dns-account-01: the same through the account-labelled record name;
// - DuckDNS (local API, test/harness/dns-fakes.js): a wildcard plus its base name never has two
//   values set at once;
// - acme-dns: CNAME delegation, the TXT set only in the delegated zone;
// - dns-persist-01: the record set once in BIND, two orders in a row with no DNS write; a missing
//   or wrong record gives an error showing the record to create.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { startBind } = require('../harness/bind');
const { startPebble } = require('../harness/pebble');
const { opensslVerify, SecretWatch, openWatchedAccount, closeAccountAndPebble } = require('../harness/acme-helpers');
const fakes = require('../harness/dns-fakes');
const acme = require('../../dist/lib/acme');
const dns = require('../../dist/lib/acme/dns');

const DUCK_TOKEN = 'f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
let bind;
let pebble;
let account;
const watch = new SecretWatch();

before(async () => {
  bind = await startBind({
    zones: {
      'example.test': ['@ IN A 127.0.0.1', '* IN A 127.0.0.1'],
      'acme.test': [],
      'duckdns.org': ['myhome IN A 127.0.0.1', '*.myhome IN A 127.0.0.1'],
    },
  });
  watch.secret(bind.key.secret);
  watch.secret(DUCK_TOKEN);
  pebble = await startPebble({ dnsServer: bind.server });
  account = await openWatchedAccount(pebble, watch);
});

after(async () => {
  await closeAccountAndPebble(account, pebble);
  await bind?.stop();
});

/** A provider that logs every write (name, value) before passing it on. */
function logged(provider, log) {
  return {
    ...provider,
    async setTxt(zone, fqdn, value) {
      log.push(['set', fqdn, value]);
      return provider.setTxt(zone, fqdn, value);
    },
    async removeTxt(zone, fqdn, value) {
      log.push(['remove', fqdn, value]);
      return provider.removeTxt(zone, fqdn, value);
    },
  };
}

function dns01(provider, extra = {}) {
  return {
    hook: dns.providerHook({
      provider,
      resolvers: [bind.server],
      authoritativePort: bind.port,
      propagationPollMs: 50,
      propagationTimeoutMs: 5000,
      onProgress: watch.progress(),
    }),
    resolvers: [bind.server],
    ...extra,
  };
}

const rfc2136 = (secret = bind.key.secret) => dns.createRfc2136({ server: bind.server, keyName: bind.key.name, secret });

async function issue(names, challenges) {
  const issued = await acme.issueCertificate({ account, identifiers: names, challenges, profile: 'default', onProgress: watch.progress() });
  watch.secret(issued.keyPem);
  assert.match(await opensslVerify(issued.certPem, pebble.rootPem, issued.chainPem), /: OK$/);
  return issued;
}

test('RFC 2136 with TSIG: a wildcard plus its base name issued; the TXT records are gone afterwards', async () => {
  const log = [];
  const issued = await issue(['*.rfc.example.test', 'rfc.example.test'], { defaults: { dns: 'dns-01' }, dns01: dns01(logged(rfc2136(), log)) });
  const cert = new X509Certificate(issued.certPem);
  assert.equal(cert.subjectAltName, 'DNS:*.rfc.example.test, DNS:rfc.example.test');
  assert.deepEqual(log.map((l) => l.slice(0, 2)).sort(), [
    ['remove', '_acme-challenge.rfc.example.test'],
    ['remove', '_acme-challenge.rfc.example.test'],
    ['set', '_acme-challenge.rfc.example.test'],
    ['set', '_acme-challenge.rfc.example.test'],
  ]);
  assert.deepEqual(await bind.txt('_acme-challenge.rfc.example.test'), []);
});

test('RFC 2136 with a wrong TSIG key: a clear error naming the key, never its secret', async () => {
  const wrongSecret = Buffer.from('not the key of this server, 32 b').toString('base64');
  watch.secret(wrongSecret);
  const err = await acme
    .issueCertificate({
      account,
      identifiers: ['badkey.example.test'],
      challenges: { defaults: { dns: 'dns-01' }, dns01: dns01(rfc2136(wrongSecret)) },
      profile: 'default',
      onProgress: watch.progress(),
    })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_DNS_HOOK_FAILED');
  assert.match(
    err.message,
    new RegExp(
      `^dns-01 for badkey\\.example\\.test: setting TXT _acme-challenge\\.badkey\\.example\\.test failed: RFC 2136 update of TXT _acme-challenge\\.badkey\\.example\\.test at 127\\.0\\.0\\.1:${bind.port} was refused \\(NOTAUTH, TSIG BADSIG: the server does not accept the TSIG key "${bind.key.name}" - check the key name, algorithm \\(hmac-sha256\\) and secret`,
    ),
  );
  assert.ok(!err.message.includes(wrongSecret));
  assert.deepEqual(await bind.txt('_acme-challenge.badkey.example.test'), []);
});

test('dns-account-01: the value under the account label, so accounts do not step on each other', async () => {
  const log = [];
  await issue(['*.label.example.test'], { defaults: { wildcard: 'dns-account-01' }, dns01: dns01(logged(rfc2136(), log)) });
  const expected = dns.dnsAccountRecordName(account.accountUrl, '*.label.example.test');
  assert.match(expected, /^_[a-z2-7]{16}\._acme-challenge\.label\.example\.test$/);
  assert.deepEqual(
    log.map((l) => l.slice(0, 2)),
    [
      ['set', expected],
      ['remove', expected],
    ],
  );
  assert.deepEqual(await bind.txt(expected), []);
});

test('DuckDNS: a wildcard plus its base name, one value at a time', async () => {
  const fake = await fakes.fakeDuckDns(bind, { token: DUCK_TOKEN, domains: ['myhome'] });
  try {
    const provider = dns.createProvider({ provider: 'duckdns', apiUrl: fake.url, token: DUCK_TOKEN, domain: 'myhome.duckdns.org' });
    const issued = await issue(['*.myhome.duckdns.org', 'myhome.duckdns.org'], { defaults: { dns: 'dns-01' }, dns01: dns01(provider) });
    assert.equal(new X509Certificate(issued.certPem).subjectAltName, 'DNS:*.myhome.duckdns.org, DNS:myhome.duckdns.org');
    assert.equal(fake.overwrites, 0, 'a value was replaced before its challenge was done');
    assert.deepEqual(
      fake.history.map((h) => h[1]),
      ['set', 'clear', 'set', 'clear'],
    );
    await fake.settled();
    assert.deepEqual(await bind.txt('_acme-challenge.myhome.duckdns.org'), []);
  } finally {
    await fake.close();
  }
});

test('acme-dns: CNAME delegation, the TXT set only in the delegated zone', async () => {
  const fake = await fakes.fakeAcmeDns(bind, { zone: 'acme.test' });
  try {
    const registered = await dns.registerAcmeDns(fake.url);
    watch.secret(registered.password);
    await bind.update([`update add _acme-challenge.deleg.example.test. 60 CNAME ${registered.fulldomain}.`]);
    const provider = dns.createProvider({ provider: 'acme-dns', apiUrl: fake.url, ...registered });
    await issue(['*.deleg.example.test', 'deleg.example.test'], { defaults: { dns: 'dns-01' }, dns01: dns01(provider) });
    const updates = fake.requests.filter((r) => r.path === '/update');
    assert.equal(updates.length, 2);
    assert.deepEqual([...fake.values.keys()], [registered.fulldomain], 'written only in the delegated zone');
    const own = await dns.txtAt({ host: '127.0.0.1', port: bind.port }, '_acme-challenge.deleg.example.test', false);
    assert.deepEqual(own.values, [], 'no TXT of its own on the delegated name');
  } finally {
    await fake.close();
  }
});

test('dns-persist-01: the record set once; two orders in a row with no DNS write', async () => {
  const record = dns.persistRecord({ identifier: '*.persist.example.test', accountUrl: account.accountUrl, issuer: 'pebble.letsencrypt.org' });
  assert.equal(record.name, '_validation-persist.persist.example.test');
  assert.equal(record.value, `pebble.letsencrypt.org; accounturi=${account.accountUrl}; policy=wildcard`);
  await bind.update([`update add ${record.name}. 3600 TXT "${record.value}"`]);
  const serial = async () =>
    (await dns.query({ host: '127.0.0.1', port: bind.port }, 'example.test', dns.TYPE.SOA, { recursion: false })).answers[0].raw.toString('hex');
  const before = await serial();
  const challenges = { defaults: { dns: 'dns-persist-01', wildcard: 'dns-persist-01' }, dns01: { resolvers: [bind.server] } };
  for (let i = 0; i < 2; i += 1) {
    const issued = await issue(['*.persist.example.test', 'persist.example.test'], challenges);
    assert.equal(new X509Certificate(issued.certPem).subjectAltName, 'DNS:*.persist.example.test, DNS:persist.example.test');
  }
  assert.equal(await serial(), before, 'the zone did not change: no DNS write');
});

test('dns-persist-01 without the record: the error shows the record to create', async () => {
  const err = await acme
    .issueCertificate({
      account,
      identifiers: ['*.nopersist.example.test'],
      challenges: { defaults: { wildcard: 'dns-persist-01' }, dns01: { resolvers: [bind.server] } },
      profile: 'default',
      onProgress: watch.progress(),
    })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_DNS_PERSIST_MISSING');
  assert.ok(
    err.message.includes(
      `there is no TXT record _validation-persist.nopersist.example.test. Create this record once in your DNS (later renewals need no DNS access): _validation-persist.nopersist.example.test. 3600 IN TXT "pebble.letsencrypt.org; accounturi=${account.accountUrl}; policy=wildcard"`,
    ),
    err.message,
  );
});

test('dns-persist-01 with a record for another account: the error says why and shows the right record', async () => {
  const other = account.accountUrl.replace(/\/[^/]+$/, '/999');
  await bind.update([`update add _validation-persist.wrong.example.test. 3600 TXT "pebble.letsencrypt.org; accounturi=${other}"`]);
  const err = await acme
    .issueCertificate({
      account,
      identifiers: ['wrong.example.test'],
      challenges: { defaults: { dns: 'dns-persist-01' }, dns01: { resolvers: [bind.server] } },
      profile: 'default',
      onProgress: watch.progress(),
    })
    .catch((e) => watch.error(e));
  assert.equal(err.code, 'ACME_DNS_PERSIST_MISSING');
  assert.ok(err.message.includes(`names another account (${other})`), err.message);
  assert.ok(
    err.message.includes(`_validation-persist.wrong.example.test. 3600 IN TXT "pebble.letsencrypt.org; accounturi=${account.accountUrl}"`),
    err.message,
  );
});

test('no private key, TSIG secret or token appears in any progress text or error', () => {
  assert.ok(watch.check() > 10);
});
