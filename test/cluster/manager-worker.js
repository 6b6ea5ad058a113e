'use strict';
// One "instance" of a cluster at the lib level (for the 100-certificate test and the cluster
// bench): the ACME manager directly, the storage in Redis, http-01 answered from the shared
// tokens on its own HTTP port (behind the round-robin proxy). Talks JSON lines:
//   argv[2]  { redisUrl, secret, prefix, lockExpiryMs, directoryUrl, caPem, accountId }
//   out      { port }                                   once its http-01 server listens
//   in       { cmd: 'ensure', records: [{ record, names }], concurrency }
//   out      { done: true, issued, current, ms, lag: { maxLagMs, p99LagMs }, errors }
//   in       { cmd: 'exit' }
const http = require('node:http');
const readline = require('node:readline');
const { performance } = require('node:perf_hooks');
const { AccountStore, CertificateManager, http01Registry } = require('../../dist/lib/acme');
const { RedisStorage, resolveRedisSettings } = require('../../dist/lib/storage');
const { startLagSampler } = require('../../bench/lib/event-loop-lag');

const config = JSON.parse(process.argv[2]);
const storage = new RedisStorage(
  resolveRedisSettings({ redis: config.redisUrl, secret: config.secret, prefix: config.prefix, lockExpiryMs: config.lockExpiryMs }, '/nowhere'),
);
http01Registry.share(storage.challengeTokens);
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const server = http.createServer(async (req, res) => {
  const body = await http01Registry.lookupShared(req.url);
  if (body === undefined) res.writeHead(404).end('Not Found');
  else res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
});

let account;
function openAccount() {
  account ??= new AccountStore(storage, config.accountId).open({
    directory: config.directoryUrl,
    caPem: config.caPem,
    contact: 'cluster@example.com',
    termsOfServiceAgreed: true,
  });
  return account;
}

async function ensureAll(records, concurrency) {
  const sampler = startLagSampler();
  const started = performance.now();
  let issued = 0;
  let current = 0;
  const errors = [];
  const queue = [...records];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const manager = new CertificateManager({
          name: item.record,
          storage,
          account: () => openAccount(),
          identifiers: item.names,
          profile: 'default',
          challenges: { http01: { method: 'route' } },
        });
        try {
          const result = await manager.ensure();
          if (result.renewed) issued++;
          else current++;
        } catch (err) {
          errors.push(`${item.record}: ${err.message}`);
        }
      }
    }),
  );
  const ms = performance.now() - started;
  const lag = sampler.stop();
  return { issued, current, ms, lag: { maxLagMs: lag.maxLagMs, p99LagMs: lag.p99LagMs }, errors };
}

server.listen(0, '127.0.0.1', async () => {
  await storage.waitReady(5000);
  say({ port: server.address().port });
});

(async () => {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const message = JSON.parse(line);
    if (message.cmd === 'ensure') say({ done: true, ...(await ensureAll(message.records, message.concurrency || 8)) });
    if (message.cmd === 'exit') break;
  }
  server.close();
  await storage.close();
  process.exit(0);
})();
