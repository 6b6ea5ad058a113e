'use strict';
// Issue 12: 100 certificates, each asked for by all 3 instances of a cluster (3 processes
// using the ACME manager directly, storage in one real redis-server, http-01 answered by
// whichever instance the round-robin proxy picks): exactly 100 orders at Pebble, no certificate
// ordered twice, every record holds one generation.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const Redis = require('ioredis');
const { startPebble, freeTcpPort } = require('../harness/pebble');
const { startRedis } = require('../harness/redis');
const storageKit = require('../harness/storage-kit');
const { startRoundRobinProxy, startWorkers } = require('./kit');

const COUNT = 100;
let redis;
let pebble;
let proxy;
let workers = [];

before(async () => {
  redis = await startRedis();
  const httpPort = await freeTcpPort();
  proxy = await startRoundRobinProxy(httpPort);
  pebble = await startPebble({ httpPort, nonceReject: 15 });
  workers = await startWorkers(3, {
    redisUrl: redis.url,
    secret: 'hundred-certificates-secret',
    prefix: 'c100:',
    lockExpiryMs: 5000,
    directoryUrl: pebble.directoryUrl,
    caPem: pebble.acmeCaPem,
    accountId: 'acct',
  });
  proxy.backends = workers.map((w) => ({ port: w.port, protocol: 'http' }));
});

after(async () => {
  await Promise.all(workers.map((w) => w.exit()));
  await proxy?.close();
  await pebble?.stop();
  await redis?.stop({ save: false });
});

test(`${COUNT} certificates asked on all 3 instances: exactly ${COUNT} orders, none twice`, { timeout: 120000 }, async () => {
  const records = Array.from({ length: COUNT }, (_, i) => ({ record: `c${String(i).padStart(3, '0')}`, names: [`c${i}.hundred.example.test`] }));
  // each instance goes through all of them, starting at a different third (they meet everywhere)
  const rotated = (k) => {
    const from = Math.round((k * COUNT) / 3);
    return [...records.slice(from), ...records.slice(0, from)];
  };
  const started = Date.now();
  const results = await Promise.all(workers.map((w, k) => w.run(rotated(k), 8)));
  const ms = Date.now() - started;
  for (const r of results) assert.deepEqual(r.errors, []);
  assert.equal(
    results.reduce((sum, r) => sum + r.issued, 0),
    COUNT,
    `issued per instance: ${results.map((r) => r.issued).join(', ')}`,
  );
  assert.equal(
    results.reduce((sum, r) => sum + r.current, 0),
    2 * COUNT,
  );
  assert.equal(storageKit.pebbleOrders(pebble), COUNT, 'orders at Pebble');
  const raw = new Redis(redis.url);
  try {
    for (const { record } of records) {
      assert.ok(await raw.hget(`c100:p:${record}`, 'current'), `${record} has a certificate`);
      assert.equal(await raw.hget(`c100:p:${record}`, 'previous'), null, `${record} was issued twice`);
    }
  } finally {
    raw.disconnect();
  }
  console.log(
    `# ${COUNT} certificates by 3 instances in ${ms} ms; issued per instance ${results.map((r) => r.issued).join('/')}; max event-loop lag ${results.map((r) => r.lag.maxLagMs.toFixed(1)).join('/')} ms`,
  );
});
