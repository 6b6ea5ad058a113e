'use strict';
// ACME issuance latency, in-process, against one real Pebble (PEBBLE_VA_NOSLEEP=1) in the same
// run: a certificate for 2 names with a P-256 key, http-01 answered on the Node-RED test
// server's port,
//   - through the certflow-acme node in the real Node-RED runtime (node-red-node-test-helper):
//     msg {renew: true} in, bundle out, files stored (fsync'd) under the userDir, ARI asked;
//   - by a bare script on acme-client's low-level API (createOrder, getAuthorizations,
//     completeChallenge, waitForValidStatus, finalizeOrder, getCertificate), its http-01
//     tokens answered on the same port, polling from 250 ms like ours.
// Runs are interleaved so both see the same machine load. Also the longest event-loop stall
// during the node's issuances (a frozen editor / late inject is what a user would feel).
// certbot, lego and uacme are timed too where installed (whole processes, own Pebble port).
// Targets (issue 3): median ratio <= 1.2, largest event-loop lag < 20 ms. Prints one table.
const { execFile } = require('node:child_process');
const fsp = require('node:fs/promises');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const acme = require('acme-client');
const kit = require('../test/acme-nodes/kit');
const { startPebble, freeTcpPort } = require('../test/harness/pebble');
const { startLagSampler } = require('./lib/event-loop-lag');
const { median, p90, formatMs: fmt, printTable } = require('./lib/report');

const RUNS = process.argv.includes('--quick') ? 3 : 20;
const WARMUP = 2;
const NAMES = ['a.bench.example.test', 'b.bench.example.test'];

/** The bare script's http-01 tokens, answered on the test server before Node-RED's routes. */
const bareTokens = new Map();

async function bareClient(pebble) {
  // acme-client's HTTP goes through its process-wide axios: fine in a bench process of its own.
  acme.axios.defaults.httpsAgent = new https.Agent({ ca: pebble.acmeCaPem, keepAlive: true });
  acme.setLogger(() => undefined);
  const client = new acme.Client({
    directoryUrl: pebble.directoryUrl,
    accountKey: await acme.crypto.createPrivateEcdsaKey('P-256'),
    backoffMin: 250,
    backoffMax: 5000,
    backoffAttempts: 30,
  });
  await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:bench@example.com'] });
  return client;
}

async function bareIssue(client) {
  const order = await client.createOrder({ identifiers: NAMES.map((value) => ({ type: 'dns', value })), profile: 'default' });
  const authorizations = await client.getAuthorizations(order);
  const tokens = [];
  try {
    await Promise.all(
      authorizations.map(async (authz) => {
        const challenge = authz.challenges.find((c) => c.type === 'http-01');
        bareTokens.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
        tokens.push(challenge.token);
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      }),
    );
  } finally {
    for (const token of tokens) bareTokens.delete(token);
  }
  const [, csr] = await acme.crypto.createCsr({ commonName: NAMES[0], altNames: NAMES }, await acme.crypto.createPrivateEcdsaKey('P-256'));
  const finalized = await client.finalizeOrder(order, csr);
  return client.getCertificate(finalized);
}

async function nodeIssue() {
  const { ok, caught } = await kit.outcome('acme', { payload: 'bench', renew: true }, 'out', 'caught', 60000);
  if (!ok) throw new Error(`the node failed: ${caught.error.message}`);
  return ok.payload.cert;
}

async function timed(fn) {
  const sampler = startLagSampler();
  const started = performance.now();
  await fn();
  const ms = performance.now() - started;
  return { ms, lag: sampler.stop() };
}

/** certbot / lego / uacme where installed: whole processes against a Pebble of their own. */
async function externalClients() {
  const found = [];
  for (const tool of ['certbot', 'lego', 'uacme']) {
    const where = await new Promise((resolve) => execFile('sh', ['-c', `command -v ${tool}`], (err, out) => resolve(err ? null : out.trim())));
    found.push({ tool, where });
  }
  const rows = [];
  const installed = found.filter((f) => f.where);
  if (installed.length === 0) return found.map((f) => ({ name: `${f.tool} (process)`, note: 'not installed' }));
  const port = await freeTcpPort();
  const pebble = await startPebble({ httpPort: port });
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'certflow-bench-clients-'));
  const caFile = path.join(work, 'pebble-listener.pem');
  await fsp.writeFile(caFile, pebble.acmeCaPem);
  const env = { ...process.env, REQUESTS_CA_BUNDLE: caFile, LEGO_CA_CERTIFICATES: caFile, SSL_CERT_FILE: caFile };
  const commands = {
    certbot: (i) => [
      'certbot',
      [
        'certonly',
        '--standalone',
        '--non-interactive',
        '--agree-tos',
        '-m',
        'bench@example.com',
        '--server',
        pebble.directoryUrl,
        '--http-01-port',
        String(port),
        '--config-dir',
        path.join(work, `cb${i}`),
        '--work-dir',
        path.join(work, `cbw${i}`),
        '--logs-dir',
        path.join(work, `cbl${i}`),
        '--key-type',
        'ecdsa',
        ...NAMES.flatMap((n) => ['-d', n]),
      ],
    ],
    lego: (i) => [
      'lego',
      [
        '--server',
        pebble.directoryUrl,
        '--accept-tos',
        '--email',
        'bench@example.com',
        '--key-type',
        'ec256',
        '--http',
        '--http.port',
        `127.0.0.1:${port}`,
        '--path',
        path.join(work, `lego${i}`),
        ...NAMES.flatMap((n) => ['--domains', n]),
        'run',
      ],
    ],
    uacme: null, // uacme needs a hook script to serve tokens: timed only when one is provided
  };
  try {
    for (const { tool, where } of found) {
      if (!where) {
        rows.push({ name: `${tool} (process)`, note: 'not installed' });
        continue;
      }
      if (!commands[tool]) {
        rows.push({ name: `${tool} (process)`, note: 'installed, needs an http-01 hook: not timed' });
        continue;
      }
      const times = [];
      for (let i = 0; i < Math.min(RUNS, 5); i += 1) {
        const [cmd, args] = commands[tool](i);
        const started = performance.now();
        const ok = await new Promise((resolve) => execFile(cmd, args, { env, timeout: 120000 }, (err) => resolve(!err)));
        if (ok) times.push(performance.now() - started);
      }
      rows.push(
        times.length
          ? { name: `${tool} (process)`, runs: times.length, median: median(times), p90: p90(times) }
          : { name: `${tool} (process)`, note: 'failed against Pebble' },
      );
    }
  } finally {
    await pebble.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
  return rows;
}

async function main() {
  // the bare script's responder answers its own tokens on the same server, before Node-RED's routes
  const port = await kit.startServer((req, res, next) => {
    const match = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url);
    const body = match && bareTokens.get(match[1]);
    if (body) res.end(body);
    else next();
  });
  const userDir = await kit.useTempUserDir();
  const pebble = await startPebble({ httpPort: port, noSleep: true });
  const rows = [];
  try {
    await kit.loadFlow([
      kit.accountNode(pebble),
      {
        id: 'acme',
        type: 'certflow-acme',
        account: 'acct',
        certName: 'bench',
        identifiers: NAMES.join(', '),
        keyType: 'ec-p256',
        profile: 'default',
        autoRenew: false,
        wires: [['out'], []],
      },
      { id: 'out', type: 'helper' },
      { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
    ]);
    const client = await bareClient(pebble);
    for (let i = 0; i < WARMUP; i += 1) {
      await nodeIssue(); // the first one also creates the account
      await bareIssue(client);
    }
    const node = [];
    const bare = [];
    for (let i = 0; i < RUNS; i += 1) {
      node.push(await timed(nodeIssue));
      bare.push(await timed(() => bareIssue(client)));
    }
    const nodeMedian = median(node.map((r) => r.ms));
    const bareMedian = median(bare.map((r) => r.ms));
    rows.push({
      name: 'certflow-acme node (Node-RED runtime)',
      runs: RUNS,
      median: nodeMedian,
      p90: p90(node.map((r) => r.ms)),
      ratio: nodeMedian / bareMedian,
      lag: Math.max(...node.map((r) => r.lag.maxLagMs)),
      histLag: Math.max(...node.map((r) => r.lag.histogramMaxMs)),
    });
    rows.push({
      name: 'bare acme-client script (same process)',
      runs: RUNS,
      median: bareMedian,
      p90: p90(bare.map((r) => r.ms)),
      ratio: 1,
      lag: Math.max(...bare.map((r) => r.lag.maxLagMs)),
      histLag: Math.max(...bare.map((r) => r.lag.histogramMaxMs)),
    });
  } finally {
    await kit.helper.unload().catch(() => undefined);
    await kit.helper.stopServer();
    await pebble.stop();
    await fsp.rm(userDir, { recursive: true, force: true });
  }
  rows.push(...(await externalClients()));

  console.log(`ACME issuance: 2 names, EC P-256, http-01, Pebble with PEBBLE_VA_NOSLEEP=1, Node ${process.version}, ${os.cpus().length} CPUs`);
  printTable(
    ['client', 'runs', 'median ms', 'p90 ms', 'ratio to bare', 'max event-loop lag ms (timer / histogram)'],
    rows.map((r) =>
      r.note
        ? [r.name, '-', r.note, '', '', '']
        : [
            r.name,
            String(r.runs),
            fmt(r.median),
            fmt(r.p90),
            r.ratio === undefined ? '-' : r.ratio.toFixed(2),
            r.lag === undefined ? '-' : `${fmt(r.lag)} / ${fmt(r.histLag)}`,
          ],
    ),
  );
  const nodeRow = rows[0];
  console.log(
    `target median ratio <= 1.2: ${nodeRow.ratio <= 1.2 ? 'met' : 'NOT met'} (${nodeRow.ratio.toFixed(2)}); target lag < 20 ms: ${nodeRow.lag < 20 ? 'met' : 'NOT met'} (${fmt(nodeRow.lag)} ms)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
