'use strict';
// The HTTP DNS providers (Cloudflare, DuckDNS, deSEC, acme-dns, Route 53, Hetzner) against
// local servers that follow each provider's documented API (test/harness/dns-fakes.js names
// the pages), with a real BIND behind them: success (set, served by the zone's authoritative
// server, removed), bad credentials, zone not found, rate limited (Retry-After honoured), and
// a provider that accepts a write but serves it late (the propagation check waits). Plus the
// wire format, TSIG and SigV4 against published values. No secret in any error.
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { startBind } = require('../harness/bind');
const fakes = require('../harness/dns-fakes');
const dns = require('../../dist/lib/acme/dns');

const SECRETS = {
  cloudflare: 'cf-token-Zx81KQ9m2mP4s7Vb0n6e',
  duckdns: 'a7c4d2f1-9e8b-4c3a-b6d5-e4f3a2b1c0d9',
  desec: 'desec-token-i-Lx4RHtRHp0eN9c5n',
  route53: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTKEY',
  hetzner: 'hcloud-token-JhWq3T8c1FzN0sYkVd2m',
  wrong: 'wrong-credential-Qm7Lp2Xa9Kz4',
};

let bind;
const shown = []; // every error message and progress text: no secret may appear
const value = () => randomBytes(32).toString('base64url');

before(async () => {
  bind = await startBind({
    zones: {
      'example.test': ['@ IN A 127.0.0.1'],
      'myname.dedyn.io': ['@ IN A 127.0.0.1'],
      'duckdns.org': ['myhome IN A 127.0.0.1'],
      'acme.test': [],
    },
  });
});

after(async () => {
  await bind?.stop();
});

function hookFor(config, extra = {}) {
  const provider = dns.createProvider(config);
  return dns.providerHook({
    provider,
    resolvers: [bind.server],
    authoritativePort: bind.port,
    propagationPollMs: 50,
    propagationTimeoutMs: 5000,
    onProgress: (text) => shown.push(text),
    ...extra,
  });
}

async function failure(promise) {
  const err = await promise.then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
  shown.push(err.message);
  return err;
}

const SPECS = [
  {
    id: 'cloudflare',
    start: () => fakes.fakeCloudflare(bind, { token: SECRETS.cloudflare, zones: ['example.test', 'other.test'] }),
    config: (fake, bad) => ({ provider: 'cloudflare', apiUrl: `${fake.url}/client/v4`, token: bad ? SECRETS.wrong : SECRETS.cloudflare }),
    name: (n) => `_acme-challenge.${n}.example.test`,
    badCredentials:
      /^Cloudflare refused reading the zone example\.test \(HTTP 403\): the token is not valid or lacks a permission: it needs Zone:DNS:Edit/,
    notFound:
      /^Cloudflare has no zone for _acme-challenge\.x\.acme\.test that this token can see \(tried acme\.test, _acme-challenge\.x\.acme\.test, x\.acme\.test\)/,
    rateLimit: true,
    zones: ['example.test', 'other.test'],
  },
  {
    id: 'desec',
    start: () => fakes.fakeDesec(bind, { token: SECRETS.desec, domains: ['myname.dedyn.io', 'a.test', 'b.test'] }),
    config: (fake, bad) => ({ provider: 'desec', apiUrl: `${fake.url}/api/v1`, token: bad ? SECRETS.wrong : SECRETS.desec }),
    name: (n) => `_acme-challenge.${n}.myname.dedyn.io`,
    badCredentials: /^deSEC refused finding the domain of _acme-challenge\.[a-z0-9-]+\.myname\.dedyn\.io \(HTTP 401\): the token is not valid/,
    notFound: /^deSEC has no domain holding _acme-challenge\.x\.acme\.test in this account/,
    rateLimit: true,
    zones: ['myname.dedyn.io', 'a.test', 'b.test'],
  },
  {
    id: 'route53',
    start: () => fakes.fakeRoute53(bind, { accessKeyId: 'AKIAFAKEKEY123', secretAccessKey: SECRETS.route53, zones: ['example.test', 'zz.test'] }),
    config: (fake, bad) => ({ provider: 'route53', apiUrl: fake.url, accessKeyId: 'AKIAFAKEKEY123', secret: bad ? SECRETS.wrong : SECRETS.route53 }),
    extra: { syncPollMs: 20 },
    name: (n) => `_acme-challenge.${n}.example.test`,
    badCredentials: /^Route 53 refused finding the hosted zone example\.test \(HTTP 403\): AWS refused the access key \(SignatureDoesNotMatch\)/,
    notFound: /^Route 53 has no public hosted zone for _acme-challenge\.x\.acme\.test in this AWS account/,
    rateLimit: true,
    zones: ['example.test', 'zz.test'],
  },
  {
    id: 'hetzner',
    start: () => fakes.fakeHetzner(bind, { token: SECRETS.hetzner, zones: ['example.test', 'h1.test', 'h2.test'] }),
    config: (fake, bad) => ({ provider: 'hetzner', apiUrl: `${fake.url}/v1`, token: bad ? SECRETS.wrong : SECRETS.hetzner }),
    extra: { actionPollMs: 20 },
    name: (n) => `_acme-challenge.${n}.example.test`,
    badCredentials: /^Hetzner refused finding the zone example\.test \(HTTP 401\): the API token is not valid/,
    notFound: /^Hetzner has no zone for _acme-challenge\.x\.acme\.test in this project/,
    rateLimit: true,
    zones: ['example.test', 'h1.test', 'h2.test'],
  },
  {
    id: 'duckdns',
    start: () => fakes.fakeDuckDns(bind, { token: SECRETS.duckdns, domains: ['myhome'] }),
    config: (fake, bad) => ({ provider: 'duckdns', apiUrl: fake.url, token: bad ? SECRETS.wrong : SECRETS.duckdns, domain: 'myhome.duckdns.org' }),
    name: () => '_acme-challenge.myhome.duckdns.org',
    badCredentials: /^DuckDNS refused setting TXT _acme-challenge\.myhome\.duckdns\.org \(answer "KO"\): check the token/,
    notFound: /^_acme-challenge\.x\.acme\.test is not a DuckDNS name/,
    rateLimit: false, // https://www.duckdns.org/spec.jsp documents no rate-limit answer
    zones: ['myhome.duckdns.org'],
  },
];

for (const spec of SPECS) {
  describe(spec.id, () => {
    let fake;
    before(async () => {
      fake = await spec.start();
    });
    after(async () => {
      await fake?.close();
    });
    const provider = (bad = false) => ({ ...spec.config(fake, bad), ...(spec.extra ?? {}) });
    const settings = (bad) => {
      const c = provider(bad);
      return hookFor(c);
    };

    test('success: set, served by the authoritative server, removed', async () => {
      const name = spec.name('ok');
      const record = { name, value: value(), identifier: name.replace('_acme-challenge.', '') };
      const hook = settings();
      await hook.set(record);
      await hook.waitForPropagation(name, [record.value]);
      assert.deepEqual(await bind.txt(name), [record.value]);
      await hook.remove(record);
      await fake.settled();
      assert.deepEqual(await bind.txt(name), []);
      assert.ok(fake.requests.length > 0);
    });

    test('bad credentials: the error names the provider, the record, the status and the fix', async () => {
      const name = spec.name('bad');
      const err = await failure(settings(true).set({ name, value: value(), identifier: 'x' }));
      assert.match(err.message, spec.badCredentials);
      assert.ok(!err.message.includes(SECRETS.wrong));
    });

    test('zone not found', async () => {
      const err = await failure(settings().set({ name: '_acme-challenge.x.acme.test', value: value(), identifier: 'x.acme.test' }));
      assert.match(err.message, spec.notFound);
    });

    if (spec.rateLimit) {
      test('rate limited: waits as the provider asks, then succeeds', async () => {
        const name = spec.name('rl');
        const record = { name, value: value(), identifier: 'rl' };
        fake.rateLimited = 1;
        const before = fake.requests.length;
        await settings().set(record);
        const requests = fake.requests.slice(before);
        const gap = requests[1].at - requests[0].at;
        assert.ok(gap >= (spec.id === 'route53' ? 450 : 900), `waited ${gap} ms before retrying`);
        await settings()
          .set({ ...record, value: value() })
          .catch(() => undefined);
        await fake.settled();
      });
    }

    test('accepted but served late: the propagation check waits for the authoritative server', async () => {
      const name = spec.name('late');
      const record = { name, value: value(), identifier: 'late' };
      const hook = settings();
      fake.lateMs = 600;
      try {
        await hook.set(record);
        const started = Date.now();
        assert.deepEqual(await bind.txt(name), [], 'not served yet');
        await hook.waitForPropagation(name, [record.value]);
        assert.ok(Date.now() - started >= 300);
        assert.deepEqual(await bind.txt(name), [record.value]);
        fake.lateMs = 0;
        await hook.remove(record);
        await fake.settled();
      } finally {
        fake.lateMs = 0;
      }
    });

    test('a record never served: the timeout names the server that does not serve it', async () => {
      const name = spec.name('never');
      const record = { name, value: value(), identifier: 'never' };
      const hook = hookFor(provider(), { propagationTimeoutMs: 300 });
      fake.lateMs = 5000;
      try {
        await hook.set(record);
        const err = await failure(hook.waitForPropagation(name, [record.value]));
        assert.equal(err.code, 'ACME_DNS_NOT_PROPAGATED');
        assert.match(
          err.message,
          new RegExp(
            `^the TXT record ${name.replace(/\./g, '\\.')} \\(set through [^)]+\\) is not served by ns1\\.[a-z.]+ \\(127\\.0\\.0\\.1:${bind.port}\\) after 0 s`,
          ),
        );
      } finally {
        fake.lateMs = 0;
        await hook.remove(record);
      }
    });

    test('Test button: lists the zones the credentials can edit (across pages)', async () => {
      const zones = await dns.createProvider(provider()).listZones();
      assert.deepEqual(zones.sort(), [...spec.zones].sort());
      await fake.settled();
    });
  });
}

describe('acme-dns', () => {
  let fake;
  let account;
  before(async () => {
    fake = await fakes.fakeAcmeDns(bind, { zone: 'acme.test' });
    account = await dns.registerAcmeDns(fake.url);
    await bind.update([`update add _acme-challenge.adns.example.test. 60 CNAME ${account.fulldomain}.`]);
  });
  after(async () => {
    await fake?.close();
  });
  const config = (extra = {}) => ({ provider: 'acme-dns', apiUrl: fake.url, ...account, ...extra });

  test('registration names the CNAME to create; the record is followed through it', async () => {
    assert.match(account.fulldomain, /^[0-9a-f-]{36}\.acme\.test$/);
    assert.match(account.cname, new RegExp(`CNAME ${account.fulldomain.replace(/\./g, '\\.')}\\.$`));
    const hook = hookFor(config());
    const record = { name: '_acme-challenge.adns.example.test', value: value(), identifier: 'adns.example.test' };
    await hook.set(record);
    await hook.waitForPropagation(record.name, [record.value]);
    assert.equal(hook.placedAt(record.name), account.fulldomain);
    assert.deepEqual(await bind.txt(account.fulldomain), [record.value]);
    assert.deepEqual(await bind.txt(record.name), [record.value], 'a resolver follows the CNAME');
    await hook.remove(record);
  });

  test('bad credentials', async () => {
    const err = await failure(
      hookFor(config({ password: SECRETS.wrong })).set({ name: '_acme-challenge.adns.example.test', value: value(), identifier: 'x' }),
    );
    assert.match(err.message, /^acme-dns refused setting TXT [0-9a-f-]+\.acme\.test \(HTTP 401\): the username\/password are not valid here/);
    assert.ok(!err.message.includes(SECRETS.wrong));
  });

  test('no CNAME on the name: the error names the CNAME to create', async () => {
    const err = await failure(
      hookFor(config()).set({ name: '_acme-challenge.nocname.example.test', value: value(), identifier: 'nocname.example.test' }),
    );
    assert.equal(err.code, 'DNS_CNAME_MISSING');
    assert.ok(err.message.includes(`create the CNAME record "_acme-challenge.nocname.example.test CNAME ${account.fulldomain}."`), err.message);
  });

  test('served late: the propagation check waits', async () => {
    const hook = hookFor(config());
    const record = { name: '_acme-challenge.adns.example.test', value: value(), identifier: 'adns.example.test' };
    fake.lateMs = 500;
    try {
      await hook.set(record);
      const started = Date.now();
      await hook.waitForPropagation(record.name, [record.value]);
      assert.ok(Date.now() - started >= 250);
    } finally {
      fake.lateMs = 0;
      await fake.settled();
    }
  });
});

describe('wire format, TSIG and SigV4', () => {
  test('SigV4: the AWS documented example (get-vanilla) signs to the published signature', () => {
    const headers = dns.signV4({
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      region: 'us-east-1',
      service: 'service',
      date: new Date('2015-08-30T12:36:00Z'),
    });
    assert.equal(
      headers.Authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  test('a query and its answer round-trip through the parser; long TXT values split into strings', async () => {
    const long = 'v'.repeat(200) + 'w'.repeat(100);
    const provider = dns.createRfc2136({ server: bind.server, keyName: bind.key.name, secret: bind.key.secret });
    await provider.setTxt(await provider.findZone('_long.example.test'), '_long.example.test', long);
    assert.deepEqual(await bind.txt('_long.example.test'), [long], 'dig sees one value of 300 characters');
    const answer = await dns.query({ host: '127.0.0.1', port: bind.port }, '_long.example.test', dns.TYPE.TXT, { recursion: false });
    assert.equal(answer.rcode, 0);
    assert.equal(answer.aa, true);
    assert.deepEqual(
      answer.answers.map((r) => r.data),
      [long],
    );
  });

  test('RFC 2136 through TSIG: BIND accepts our update and its signed answer verifies', async () => {
    const provider = dns.createRfc2136({ server: bind.server, keyName: bind.key.name, secret: bind.key.secret, zone: 'example.test' });
    assert.deepEqual(await provider.listZones(), ['example.test']);
  });
});

test('no secret appeared in any error or progress text', () => {
  const all = shown.join('\n');
  assert.ok(shown.length > 10);
  for (const secret of Object.values(SECRETS)) assert.ok(!all.includes(secret), `a secret appeared: ${secret.slice(0, 6)}...`);
});
