'use strict';
// Issue 12: three real Node-RED processes share one real redis-server (password set) through
// the settings helper's `storage: { redis }`, behind a round-robin proxy on the port Pebble's
// VA uses for http-01, with Pebble 2.10 rejecting nonces. Each runs the same flow (ACME
// certificate for 2 names -> Node-RED HTTPS). openssl s_client and a TLS handshake to each
// instance judge what is served; Pebble's log counts the orders.
//
// CERTFLOW_REDIS_OUTAGE_S sets how long Redis is stopped in the outage test (default 60 s, as
// the issue asks: many reconnect and lock-retry backoff rounds; the other test files run meanwhile).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const fs = require('node:fs');
const Redis = require('ioredis');
const { startNodeRed } = require('../harness/node-red-process');
const { startPebble, freeTcpPort } = require('../harness/pebble');
const { startRedis } = require('../harness/redis');
const storageKit = require('../harness/storage-kit');
const tlsClient = require('../harness/tls-client');
const { acmeHttpsFlow, renewInject } = require('../harness/acme-flows');
const { startRoundRobinProxy, clusterUserDir, waitFor } = require('./kit');

const NAMES = ['a.cluster.example.test', 'b.cluster.example.test'];
const RECORD = 'cluster-cert';
const PASSWORD = 'redis-Pa55-cluster';
const SECRET = 'cluster-credential-secret';
const OUTAGE_MS = Number(process.env.CERTFLOW_REDIS_OUTAGE_S || 60) * 1000;

let redis;
let raw;
let pebble;
let proxy;
const instances = [];

function flows() {
  return acmeHttpsFlow(
    pebble,
    'cluster',
    {
      certName: RECORD,
      identifiers: NAMES.join(','),
      profile: 'default',
      keySource: 'new',
      http01Method: 'route',
      autoRenew: false,
    },
    [{ id: 'issue', z: 'tab', type: 'inject', x: 100, y: 100, props: [], repeat: '', once: false, wires: [['acme']] }, renewInject({ y: 160 })],
  );
}

async function startInstance(userDir, first) {
  const nodeRed = await startNodeRed({
    userDir,
    linkPackage: first,
    settingsFile: `${userDir}/settings.js`,
    env: { CERTFLOW_REDIS_URL: redis.url, NODE_RED_CREDENTIAL_SECRET: SECRET },
  });
  assert.equal(nodeRed.protocol, 'https');
  return nodeRed;
}

function setBackends() {
  proxy.backends = instances.filter((i) => i.alive).map((i) => ({ port: i.nodeRed.port, protocol: 'https' }));
}

const inject = (instance, id) => tlsClient.pressInject(instance.nodeRed.port, null, id);
const orders = () => storageKit.pebbleOrders(pebble);
const served = async (instance) => (await tlsClient.servedCertificate(instance.nodeRed.port)).fingerprint256;

/** The ACME record's current certificate, read from Redis by the test itself (cert.pem is public). */
async function storedCertificate() {
  const generation = await raw.hget(`certflow:p:${RECORD}`, 'current');
  if (!generation) return null;
  const pem = await raw.hget(`certflow:g:${RECORD}/${generation}`, 'cert.pem');
  return pem ? new X509Certificate(pem) : null;
}

/** Every live instance serves `fingerprint` (a NEW TLS connection each). */
async function allServe(fingerprint) {
  const seen = await Promise.all(instances.filter((i) => i.alive).map((i) => served(i)));
  return seen.every((f) => f === fingerprint);
}

before(async () => {
  redis = await startRedis({ password: PASSWORD });
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
  raw.on('error', () => undefined); // the outage test stops Redis on purpose
  const httpPort = await freeTcpPort();
  proxy = await startRoundRobinProxy(httpPort);
  pebble = await startPebble({ httpPort, nonceReject: 15 });
  const userDirs = [clusterUserDir(), clusterUserDir(), clusterUserDir()];
  const started = await Promise.all(userDirs.map((userDir) => startInstance(userDir, true)));
  started.forEach((nodeRed, i) => instances.push({ name: `nr${i + 1}`, userDir: userDirs[i], nodeRed, alive: true }));
  setBackends();
  await Promise.all(instances.map((i) => tlsClient.adminRequest(i.nodeRed.port, null, 'POST', '/flows', flows())));
});

after(async () => {
  for (const i of instances) {
    if (process.env.SHOW_NODE_RED_LOG) console.log(`---- ${i.name}\n${i.nodeRed.log()}`);
    await i.nodeRed.stop();
    fs.rmSync(i.userDir, { recursive: true, force: true });
  }
  await proxy?.close();
  await pebble?.stop();
  raw?.disconnect();
  await redis?.stop({ save: false });
});

test(
  'one certificate for 2 names, asked on all 3 instances at once: exactly 1 order at Pebble, every instance serves it',
  { timeout: 60000 },
  async () => {
    await Promise.all(instances.map((i) => inject(i, 'issue')));
    const cert = await waitFor('the certificate to be stored', storedCertificate, 30000);
    assert.ok(NAMES.every((n) => cert.checkHost(n)));
    await waitFor('every instance to serve it', () => allServe(cert.fingerprint256), 10000);
    for (const i of instances) {
      const pem = await tlsClient.opensslServedPem(i.nodeRed.port, NAMES[1]);
      assert.equal(new X509Certificate(pem).fingerprint256, cert.fingerprint256, `openssl s_client to ${i.name}`);
    }
    assert.equal(orders(), 1, 'orders at Pebble');
    // the CA's http-01 requests (2 names x 3 perspectives) reached every instance, and all were answered
    assert.equal([...proxy.hits.values()].filter((n) => n > 0).length, 3, `requests per instance: ${JSON.stringify([...proxy.hits])}`);
  },
);

test('renewal asked on one instance: all 3 serve the new certificate within 10 s, 1 order', { timeout: 60000 }, async () => {
  const before = await storedCertificate();
  const ordersBefore = orders();
  const started = Date.now();
  await inject(instances[2], 'renew');
  const renewed = await waitFor(
    'the renewal',
    async () => {
      const c = await storedCertificate();
      return c && c.fingerprint256 !== before.fingerprint256 && c;
    },
    10000,
  );
  await waitFor('every instance to serve the renewal', () => allServe(renewed.fingerprint256), 10000 - (Date.now() - started));
  const ms = Date.now() - started;
  assert.ok(ms < 10000, `${ms} ms`);
  assert.equal(orders(), ordersBefore + 1);
  console.log(`# renewal: every instance served the new certificate ${ms} ms after the inject`);
});

test(
  'kill -9 of the instance holding the lock in the middle of an order: another one finishes that order (no second one), every instance serves one valid certificate',
  { timeout: 60000 },
  async () => {
    const before = await storedCertificate();
    const ordersBefore = orders();
    proxy.hold = true; // the CA's first http-01 request waits: the order is half-way
    const asked = proxy.firstRequest();
    await Promise.all(instances.map((i) => inject(i, 'renew')));
    await asked;
    const token = await raw.get(`certflow:lock:acme:${RECORD}`);
    assert.ok(token, 'a lock is held during the order');
    const pid = Number(token.split(':')[1].split('/')[1]);
    const holder = instances.find((i) => i.nodeRed.pid === pid);
    assert.ok(holder, `the lock holder (pid ${pid}) is one of the instances`);
    await holder.nodeRed.kill();
    holder.alive = false;
    setBackends();
    proxy.release();

    const renewed = await waitFor(
      'another instance to finish the renewal',
      async () => {
        const c = await storedCertificate();
        return c && c.fingerprint256 !== before.fingerprint256 && c;
      },
      30000,
    );
    await waitFor('the live instances to serve it', () => allServe(renewed.fingerprint256), 10000);
    // the killed instance comes back and serves it from the store at boot
    holder.nodeRed = await startInstance(holder.userDir, false);
    holder.alive = true;
    setBackends();
    await waitFor('the restarted instance to serve it', async () => (await served(holder)) === renewed.fingerprint256, 10000);
    for (const i of instances) {
      const cert = new X509Certificate(await tlsClient.opensslServedPem(i.nodeRed.port, NAMES[0]));
      assert.equal(cert.fingerprint256, renewed.fingerprint256, `${i.name} serves the one renewed certificate`);
      assert.ok(Date.parse(cert.validTo) > Date.now() && NAMES.every((n) => cert.checkHost(n)));
    }
    // the dead holder's order was continued from its journal: no second order
    assert.equal(orders(), ordersBefore + 1, "one order: the dead holder's, finished by another instance");
  },
);

test(
  `Redis stopped for ${OUTAGE_MS / 1000} s and started again: no instance stops serving, the renewal asked meanwhile resumes, nothing stored is lost`,
  { timeout: 60000 + OUTAGE_MS * 2 },
  async () => {
    const before = await storedCertificate();
    const ordersBefore = orders();
    const keysBefore = (await raw.keys('certflow:*')).filter((k) => !k.includes(':lock:')).sort();
    await redis.stop({ save: true });
    const stoppedAt = Date.now();
    await inject(instances[0], 'renew'); // waits for Redis, with backoff
    let handshakes = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      for (const i of instances) {
        assert.equal(await served(i), before.fingerprint256, `${i.name} still serves during the outage`);
        handshakes++;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await redis.start();
    const restartedAt = Date.now();
    const renewed = await waitFor(
      'the renewal to resume',
      async () => {
        const c = await storedCertificate();
        return c && c.fingerprint256 !== before.fingerprint256 && c;
      },
      30000,
    );
    await waitFor('every instance to serve the renewal', () => allServe(renewed.fingerprint256), 15000);
    const resumedMs = Date.now() - restartedAt;
    assert.equal(orders(), ordersBefore + 1);
    const keysAfter = new Set(await raw.keys('certflow:*'));
    // every key is still there (generations two renewals old are removed by design)
    for (const key of keysBefore.filter((k) => !k.startsWith('certflow:g:'))) assert.ok(keysAfter.has(key), `${key} lost`);
    assert.ok(
      keysAfter.has(`certflow:g:${RECORD}/${await raw.hget(`certflow:p:${RECORD}`, 'previous')}`),
      'the certificate before the renewal is kept as previous',
    );
    assert.ok(await raw.hget('certflow:v:_accounts/acct/account.json', 'v'), 'the ACME account is kept');
    const logs = instances.map((i) => i.nodeRed.log()).join('\n');
    assert.match(logs, /\[warn\] \[certflow-https\] Redis storage redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/);
    assert.match(logs, /Redis storage redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is reachable again/);
    assert.ok(!logs.includes(PASSWORD), 'the Redis password is in a log');
    assert.ok(!logs.includes(SECRET), 'the storage secret is in a log');
    assert.doesNotMatch(logs, /PRIVATE KEY/);
    console.log(
      `# outage ${OUTAGE_MS / 1000} s: ${handshakes} handshakes all served; renewal served everywhere ${resumedMs} ms after Redis came back`,
    );
  },
);
