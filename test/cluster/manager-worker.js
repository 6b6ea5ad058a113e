'use strict';
// One "instance" of a cluster at the lib level (for the 100-certificate test, the order
// takeover test and the cluster bench): the ACME manager directly, the storage in Redis (or in
// a folder: fileRoot), http-01 answered from the shared tokens on its own HTTP port (behind the
// round-robin proxy), or dns-01 through RFC 2136 to a real BIND. Talks JSON lines:
//   argv[2]  { redisUrl, secret, prefix, lockExpiryMs | fileRoot, directoryUrl, caPem, accountId,
//              dns01?: { server, port, keyName, keySecret }, freezeAt?: 'txt' | 'store' }
//   out      { port }                                   once its http-01 server listens
//   in       { cmd: 'ensure', records: [{ record, names }], concurrency, force? }
//   out      { done: true, issued, current, continued, ms, lag: { maxLagMs, p99LagMs }, errors }
//   out      { frozen: 'txt', name } | { frozen: 'store' }  freezeAt: a TXT record is set / the
//                                                        certificate is downloaded, and this
//                                                        instance hangs there (to be killed)
//   in       { cmd: 'exit' }
const http = require('node:http');
const readline = require('node:readline');
const { performance } = require('node:perf_hooks');
const { AccountStore, CertificateManager, http01Registry } = require('../../dist/lib/acme');
const dns = require('../../dist/lib/acme/dns');
const { FileStorage, RedisStorage, resolveRedisSettings } = require('../../dist/lib/storage');
const { startLagSampler } = require('../../bench/lib/event-loop-lag');

const config = JSON.parse(process.argv[2]);
const storage = config.fileRoot
  ? new FileStorage(config.fileRoot)
  : new RedisStorage(
      resolveRedisSettings({ redis: config.redisUrl, secret: config.secret, prefix: config.prefix, lockExpiryMs: config.lockExpiryMs }, '/nowhere'),
    );
if (storage.challengeTokens) http01Registry.share(storage.challengeTokens);
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** The process stops there for good (the test kills it), whatever it was doing half-way. */
function freeze(where, name) {
  say({ frozen: where, name });
  return new Promise(() => undefined);
}
if (config.freezeAt === 'store') storage.publishGeneration = () => freeze('store');

/** dns-01 through RFC 2136 (TSIG) to the test's BIND; with freezeAt 'txt' the first set never returns. */
function challenges() {
  if (!config.dns01) return { http01: { method: 'route' } };
  const { server, port, keyName, keySecret } = config.dns01;
  const hook = dns.providerHook({
    provider: dns.createRfc2136({ server, keyName, secret: keySecret }),
    resolvers: [server],
    authoritativePort: port,
    propagationPollMs: 50,
    propagationTimeoutMs: 10000,
  });
  const set = hook.set;
  hook.set = async (record) => {
    await set(record);
    if (config.freezeAt === 'txt') await freeze('txt', record.name);
  };
  return { defaults: { dns: 'dns-01' }, dns01: { hook, resolvers: [server] } };
}

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

async function ensureAll(records, concurrency, force) {
  const sampler = startLagSampler();
  const started = performance.now();
  let issued = 0;
  let current = 0;
  let continued = 0;
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
          challenges: challenges(),
        });
        try {
          const result = await manager.ensure({ force });
          if (result.continued) continued++;
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
  return { issued, current, continued, ms, lag: { maxLagMs: lag.maxLagMs, p99LagMs: lag.p99LagMs }, errors };
}

server.listen(0, '127.0.0.1', async () => {
  await storage.waitReady?.(5000);
  say({ port: server.address().port });
});

(async () => {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const message = JSON.parse(line);
    if (message.cmd === 'ensure') say({ done: true, ...(await ensureAll(message.records, message.concurrency || 8, !!message.force)) });
    if (message.cmd === 'exit') break;
  }
  server.close();
  await storage.close?.();
  process.exit(0);
})();
