'use strict';
// Issue 12: 100 certificates renewed by a cluster of 3 instances vs by one instance, against
// one real Pebble (PEBBLE_VA_NOSLEEP=1) and one real redis-server. Each instance is a process
// using the ACME manager with the Redis storage (test/cluster/manager-worker.js), answering
// http-01 from the shared tokens behind a round-robin proxy.
//
// Setup: 100 certificates issued once. A round: every certificate's renewal is made due (its
// stored plan says "due now", as an ARI answer would), then every instance runs ensure() on
// all 100 (the cluster: each starting at a different third; they meet on every record), or
// one instance does. Reported: wall time, orders at Pebble for the round (must be 100), and the
// largest event-loop lag on each instance.
const Redis = require('ioredis');
const { startPebble, freeTcpPort } = require('../test/harness/pebble');
const { startRedis } = require('../test/harness/redis');
const storageKit = require('../test/harness/storage-kit');
const { startRoundRobinProxy, startWorkers } = require('../test/cluster/kit');
const { formatMs, printTable } = require('./lib/report');

const COUNT = process.argv.includes('--quick') ? 30 : 100;
const PREFIX = 'bench:';

async function makeAllDue(raw, records) {
  const past = new Date(Date.now() - 60_000).toISOString();
  const later = new Date(Date.now() + 3600_000).toISOString();
  for (const { record } of records) {
    const key = `${PREFIX}v:${record}/state.json`;
    const state = JSON.parse(await raw.hget(key, 'v'));
    state.renewal = { ...state.renewal, due: past, nextCheck: later, explanation: 'bench: due now' };
    await raw.hset(key, 'v', JSON.stringify(state));
  }
}

async function main() {
  const redis = await startRedis();
  const raw = new Redis(redis.url);
  const httpPort = await freeTcpPort();
  const proxy = await startRoundRobinProxy(httpPort);
  const pebble = await startPebble({ httpPort });
  const workers = await startWorkers(3, {
    redisUrl: redis.url,
    secret: 'cluster-bench-secret',
    prefix: PREFIX,
    lockExpiryMs: 10000,
    directoryUrl: pebble.directoryUrl,
    caPem: pebble.acmeCaPem,
    accountId: 'bench',
  });
  proxy.backends = workers.map((w) => ({ port: w.port, protocol: 'http' }));
  const records = Array.from({ length: COUNT }, (_, i) => ({ record: `r${String(i).padStart(3, '0')}`, names: [`r${i}.bench.example.test`] }));
  const rotated = (k) => {
    const from = Math.round((k * COUNT) / 3);
    return [...records.slice(from), ...records.slice(0, from)];
  };
  const rows = [];
  try {
    const setup = await workers[0].run(records, 8);
    if (setup.issued !== COUNT) throw new Error(`setup issued ${setup.issued}: ${setup.errors.join('; ')}`);

    for (const mode of ['one instance', 'cluster of 3', 'one instance', 'cluster of 3']) {
      await makeAllDue(raw, records);
      const ordersBefore = storageKit.pebbleOrders(pebble);
      const started = Date.now();
      const results = mode === 'one instance' ? [await workers[0].run(records, 8)] : await Promise.all(workers.map((w, k) => w.run(rotated(k), 8)));
      const ms = Date.now() - started;
      const errors = results.flatMap((r) => r.errors);
      if (errors.length) throw new Error(errors.slice(0, 3).join('; '));
      rows.push([
        mode,
        String(COUNT),
        formatMs(ms),
        String(storageKit.pebbleOrders(pebble) - ordersBefore),
        results.map((r) => r.issued).join(' / '),
        results.map((r) => formatMs(r.lag.maxLagMs)).join(' / '),
      ]);
    }
  } finally {
    await Promise.all(workers.map((w) => w.exit()));
    await proxy.close();
    await pebble.stop();
    raw.disconnect();
    await redis.stop({ save: false });
  }
  console.log(`${COUNT} certificates renewed (all due), Redis storage, Pebble 2.10 (no VA sleep), ${require('node:os').cpus().length} cores`);
  printTable(['renewed by', 'certificates', 'wall ms', 'orders', 'renewed per instance', 'max event-loop lag ms per instance'], rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
