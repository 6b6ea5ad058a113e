'use strict';
// What the cluster tests share: a round-robin HTTP proxy in front of the instances on the port
// Pebble's VA uses for http-01 (it can hold requests, to stop an order half-way), a userDir
// whose settings.js puts the certflow storage in Redis, and small waits.
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { httpsSettingsSource, makeUserDir, PACKAGE_NAME } = require('../harness/node-red-process');

/**
 * A round-robin proxy: each request goes to the next backend { port, protocol } (HTTPS
 * backends are asked without checking their certificate, like Pebble's VA after a redirect).
 * hold = true queues requests until release(). Emits 'request' ({ path }) for each one.
 */
async function startRoundRobinProxy(port) {
  const events = new EventEmitter();
  const proxy = { backends: [], hits: new Map(), hold: false, held: [], events };
  let next = 0;
  const forward = (req, res) => {
    const live = proxy.backends;
    if (live.length === 0) return res.writeHead(502).end('no backend');
    const backend = live[next++ % live.length];
    proxy.hits.set(backend.port, (proxy.hits.get(backend.port) || 0) + 1);
    const lib = backend.protocol === 'https' ? https : http;
    const upstream = lib.request(
      { host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers: req.headers, rejectUnauthorized: false, timeout: 10000 },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end('backend error'));
    req.pipe(upstream);
  };
  const server = http.createServer((req, res) => {
    events.emit('request', { path: req.url });
    if (proxy.hold) proxy.held.push(() => forward(req, res));
    else forward(req, res);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.release = () => {
    proxy.hold = false;
    for (const go of proxy.held.splice(0)) go();
  };
  proxy.firstRequest = () => new Promise((resolve) => events.once('request', resolve));
  proxy.close = () => new Promise((resolve) => server.close(resolve));
  return proxy;
}

/**
 * A userDir whose settings.js serves HTTPS through the certflow helper with the storage in
 * Redis. The Redis URL (with its password) comes from the environment, as a user would do it.
 */
function clusterUserDir({ lockExpiryMs = 3000, pollIntervalMs = 5000 } = {}) {
  const userDir = makeUserDir('certflow-cluster-');
  const storage = `{ redis: process.env.CERTFLOW_REDIS_URL, secret: process.env.NODE_RED_CREDENTIAL_SECRET, lockExpiryMs: ${lockExpiryMs}, pollIntervalMs: ${pollIntervalMs} }`;
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    httpsSettingsSource(PACKAGE_NAME, {
      credentialSecret: 'process.env.NODE_RED_CREDENTIAL_SECRET',
      https: `{ name: 'node-red', userDir: __dirname, storage: ${storage} }`,
    }),
  );
  return userDir;
}

async function waitFor(what, check, timeoutMs, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Starts `count` lib-level cluster instances (manager-worker.js), each answering http-01 on its
 * own port. Returns [{ pid, port, run(records, concurrency, { force }) -> result (or the first line it says), kill(), exit() }].
 */
async function startWorkers(count, config) {
  const { spawn } = require('node:child_process');
  const readline = require('node:readline');
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, [path.join(__dirname, 'manager-worker.js'), JSON.stringify(config)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const reap = () => child.exitCode === null && child.kill('SIGKILL');
      process.once('exit', reap);
      child.once('exit', () => process.removeListener('exit', reap));
      const lines = readline.createInterface({ input: child.stdout });
      const pending = [];
      lines.on('line', (line) => pending.shift()?.(JSON.parse(line)));
      const next = () => new Promise((resolve) => pending.push(resolve));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const { port } = await next();
      return {
        pid: child.pid,
        port,
        run(records, concurrency, { force = false } = {}) {
          const answer = next();
          child.stdin.write(`${JSON.stringify({ cmd: 'ensure', records, concurrency, force })}\n`);
          return answer;
        },
        async exit() {
          if (child.exitCode === null) child.stdin.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
          await exited;
        },
        /** kill -9: whatever it holds (locks, an order half-way) stays behind. */
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    }),
  );
}

module.exports = { startRoundRobinProxy, clusterUserDir, waitFor, startWorkers };
