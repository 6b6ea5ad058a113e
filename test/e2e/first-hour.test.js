'use strict';
// Issue 13, "The first hour", in a REAL Node-RED (red.js, settings.js with the HTTPS helper)
// against a real Pebble, all on 127.0.0.1:
// - 10: the ACME node's plain-HTTP listener (a free high port stands in for port 80: Pebble's
//   VA is told to use it) answers http-01 while Node-RED serves HTTPS, and redirects every other
//   request to Node-RED's HTTPS port; a port held by another program gives the clear error;
// - 12: deploy to served: the first certificate is served within 2 s of the deploy (measured);
// - 13: a failed order (a name Pebble refuses) and a failed renewal (the CA gone) each send a
//   message on the 3rd output: stage, identifier, CA problem, next retry, days left;
// - 14: a renewal whose `replaces` the CA refuses (a certificate ID it does not know) orders
//   again without `replaces` and renews;
// - the storage gap: kill -9 after the very first ACME save, before the HTTPS node installed it
//   (no link yet): after the restart the ACME node sends the stored certificate again and it is
//   served, with no new order.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { startHttpsNodeRed, httpsUserDir } = require('../harness/node-red-process');
const { startPebble, freeTcpPort } = require('../harness/pebble');
const { adminRequest, servedCertificate, pressInject, opensslServedPem } = require('../harness/tls-client');
const { pebbleOrders, currentGeneration } = require('../harness/storage-kit');
const { accountNode, renewInject, httpsNode } = require('../harness/acme-flows');

const NAME = 'nr.example.test';
const BLOCKED = 'blocked.example.test';
let pebble;
let plainPort; // what port 80 is in production: Pebble's VA sends http-01 here
let takenPort;
let holder; // another program on takenPort
const started = [];
const userDirs = [];

before(async () => {
  plainPort = await freeTcpPort();
  pebble = await startPebble({ httpPort: plainPort, domainBlocklist: [BLOCKED] });
  holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => holder.once('listening', resolve));
  takenPort = holder.address().port;
});

after(async () => {
  for (const nodeRed of started) {
    if (process.env.SHOW_NODE_RED_LOG) console.log(nodeRed.log());
    await nodeRed.stop();
  }
  holder?.close();
  await pebble?.stop();
  if (!process.env.KEEP_TEST_DIRS) for (const dir of userDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(userDir) {
  const nodeRed = await startHttpsNodeRed(userDir);
  started.push(nodeRed);
  return nodeRed;
}

function newUserDir() {
  const dir = httpsUserDir();
  userDirs.push(dir);
  return dir;
}

const acmeNode = (extra) => ({
  type: 'certflow-acme',
  z: 'tab',
  x: 300,
  y: 100,
  account: 'acct',
  keySource: 'new',
  http01Method: 'route',
  http01Redirect: true,
  http01RedirectPort: String(plainPort),
  autoRenew: true,
  checkInterval: '6',
  ...extra,
});
/** Writes each report of a 3rd output into the log, where the test reads it. */
const reportNode = {
  id: 'report',
  z: 'tab',
  type: 'function',
  x: 600,
  y: 300,
  func: "node.warn('FAILURE ' + JSON.stringify(msg.payload)); return null;",
  outputs: 0,
  wires: [],
};

const recordCert = (userDir, record) => {
  const dir = path.join(userDir, 'certificates', record);
  const gen = currentGeneration(dir);
  return gen ? new X509Certificate(fs.readFileSync(path.join(dir, gen, 'cert.pem'))) : null;
};

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The next FAILURE report in the log (after `from`) for `certificate`. */
async function failureReport(nodeRed, certificate, from) {
  const re = new RegExp(`FAILURE (\\{"certificate":"${certificate.replace(/\./g, '\\.')}".*\\})\\s*$`, 'm');
  const [, json] = await nodeRed.waitForLog(re, { from, timeoutMs: 30000 });
  return JSON.parse(json);
}

function plainGet(port, urlPath) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { host: `127.0.0.1:${port}` }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location }));
      })
      .on('error', reject);
  });
}

test(
  '10, 12, 13, 14: first certificate through the plain-HTTP listener within 2 s of deploy; failure reports; replaces refused',
  { timeout: 120000 },
  async (t) => {
    const userDir = newUserDir();
    const nodeRed = await start(userDir);
    const flows = [
      { id: 'tab', type: 'tab', label: 'first hour' },
      accountNode(pebble),
      renewInject(),
      { id: 'acme', ...acmeNode({ identifiers: NAME }), wires: [['https'], [], ['report']] },
      httpsNode(),
      // a name the CA refuses: the failed order goes to the 3rd output
      { id: 'blocked', ...acmeNode({ identifiers: BLOCKED, http01Redirect: false, y: 200 }), wires: [[], [], ['report']] },
      // the plain-HTTP port is held by another program
      {
        id: 'taken',
        ...acmeNode({ identifiers: 'taken.example.test', http01RedirectPort: String(takenPort), autoRenew: false, y: 300 }),
        wires: [[], [], []],
      },
      reportNode,
    ];
    t.after(() => nodeRed.stop()); // frees the plain-HTTP port for the next test, whatever happens here
    const bootstrap = await servedCertificate(nodeRed.port);
    const logFrom = nodeRed.log().length;
    const deployAt = Date.now();
    await adminRequest(nodeRed.port, null, 'POST', '/flows', flows);

    // 12: deploy to served
    const first = await waitFor(
      'the first certificate to be served',
      async () => {
        const cert = recordCert(userDir, NAME);
        return cert && (await servedCertificate(nodeRed.port)).fingerprint256 === cert.fingerprint256 && cert;
      },
      15000,
    );
    const deployToServed = Date.now() - deployAt;
    t.diagnostic(`deploy to served: ${deployToServed} ms`);
    console.log(`# deploy to served (real Node-RED on HTTPS, Pebble, http-01 through the plain-HTTP listener): ${deployToServed} ms`);
    assert.notEqual(first.fingerprint256, bootstrap.fingerprint256);
    assert.ok(first.checkHost(NAME));
    assert.ok(deployToServed < 2000, `deploy to served took ${deployToServed} ms`);
    assert.equal(
      new X509Certificate(await opensslServedPem(nodeRed.port, NAME)).fingerprint256,
      first.fingerprint256,
      'openssl sees the ACME certificate',
    );

    // 10: every other request on the plain-HTTP port goes to Node-RED's HTTPS port
    assert.deepEqual(await plainGet(plainPort, '/ui/?a=1'), { status: 308, location: `https://127.0.0.1:${nodeRed.port}/ui/?a=1` });
    assert.deepEqual(await plainGet(plainPort, '/.well-known/acme-challenge/unknown-token'), {
      status: 308,
      location: `https://127.0.0.1:${nodeRed.port}/.well-known/acme-challenge/unknown-token`,
    });
    // ...and a port held by another program is a clear error, with how to get on
    const [inUse] = await nodeRed.waitForLog(
      /\[error\] \[certflow-acme:\S*\] cannot open the plain-HTTP listener .*:(\d+): the port is in use by another program.*/,
      { from: logFrom },
    );
    assert.ok(inUse.includes(`:${takenPort}:`), inUse);
    assert.match(inUse, /set another port here .* router rule sending port 80 to it/);

    // 13: the refused order, reported on the 3rd output
    const refused = await failureReport(nodeRed, BLOCKED, logFrom);
    t.diagnostic(`failure report: ${JSON.stringify(refused)}`);
    assert.equal(refused.stage, 'order');
    assert.equal(refused.identifier, BLOCKED);
    assert.deepEqual(refused.identifiers, [BLOCKED]);
    assert.equal(refused.problem.type, 'urn:ietf:params:acme:error:rejectedIdentifier');
    assert.match(refused.problem.detail, /blocked/i);
    assert.equal(refused.daysLeft, null, 'nothing stored yet');
    assert.equal(refused.failures, 1);
    const retryIn = Date.parse(refused.nextRetry) - Date.parse(refused.at);
    assert.ok(retryIn > 0 && retryIn <= 3600 * 1000, `next retry in ${retryIn} ms`);

    // 14: the CA refuses `replaces` (a certificate ID it never issued): ordered again without it
    const statePath = path.join(userDir, 'certificates', NAME, 'state.json');
    const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    const [aki] = state.certId.split('.');
    fs.writeFileSync(statePath, JSON.stringify({ ...state, certId: `${aki}.AP7u3e7u3e7u3e7u` }, null, 2));
    const ordersBefore = pebbleOrders(pebble);
    await pressInject(nodeRed.port, null, 'renew');
    const renewed = await waitFor(
      'the renewal to be served',
      async () => {
        const cert = recordCert(userDir, NAME);
        return (
          cert &&
          cert.fingerprint256 !== first.fingerprint256 &&
          (await servedCertificate(nodeRed.port)).fingerprint256 === cert.fingerprint256 &&
          cert
        );
      },
      20000,
    );
    assert.ok(renewed.checkHost(NAME));
    const [fallback] = await nodeRed.waitForLog(/\[warn\] \[certflow-acme:acme\] ordering again without "replaces" .*/, { from: logFrom });
    t.diagnostic(fallback);
    assert.match(fallback, /the CA refused the order naming the certificate it renews: \w+/);
    assert.equal(pebbleOrders(pebble), ordersBefore + 1, 'one order was created: the one without replaces');
    const after = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    assert.equal(after.serialNumber.toLowerCase(), renewed.serialNumber.toLowerCase());
    assert.equal(after.replaces, undefined, 'the new order named no certificate it replaces');

    // 13: a renewal that fails (the CA is gone) reports the days left on the certificate in use
    await pebble.stopCa();
    t.after(async () => {
      if (!caBack) await pebble.startCa();
    });
    let caBack = false;
    const fromRenewal = nodeRed.log().length;
    await pressInject(nodeRed.port, null, 'renew');
    const failed = await failureReport(nodeRed, NAME, fromRenewal);
    t.diagnostic(`renewal failure report: ${JSON.stringify(failed)}`);
    assert.equal(failed.identifier, NAME);
    assert.equal(
      failed.daysLeft,
      Math.floor((Date.parse(renewed.validTo) - Date.parse(failed.at)) / 86400000),
      'days left on the certificate in use',
    );
    assert.ok(failed.daysLeft >= 1);
    assert.equal(failed.notAfter, new Date(renewed.validTo).toISOString());
    assert.ok(failed.error.message.length > 0);
    assert.ok(Date.parse(failed.nextRetry) > Date.parse(failed.at), 'a retry is scheduled');
    await pebble.startCa();
    caBack = true;
    assert.deepEqual(
      nodeRed
        .log()
        .split('\n')
        .filter((l) => /PRIVATE KEY/.test(l)),
      [],
    );
  },
);

test(
  'storage gap: kill -9 after the first ACME save, before the HTTPS node installed it: the stored certificate is sent again and served, no new order',
  { timeout: 120000 },
  async (t) => {
    const userDir = newUserDir();
    let nodeRed = await start(userDir);
    const flows = (hold) => [
      { id: 'tab', type: 'tab', label: 'gap' },
      accountNode(pebble),
      { id: 'acme', ...acmeNode({ identifiers: NAME }), wires: [[hold ? 'hold' : 'https'], [], []] },
      // holds the bundle (never finishes it) so that the kill lands, every time, where a kill may
      // land by bad luck: the certificate stored, the HTTPS node not yet given it
      ...(hold
        ? [
            {
              id: 'hold',
              z: 'tab',
              type: 'function',
              x: 400,
              y: 100,
              func: 'setTimeout(() => { node.send(msg); node.done(); }, 600000); return;',
              outputs: 1,
              wires: [['https']],
            },
          ]
        : []),
      httpsNode(),
    ];
    const bootstrap = await servedCertificate(nodeRed.port);
    await adminRequest(nodeRed.port, null, 'POST', '/flows', flows(true));
    const stored = await waitFor('the first ACME save', () => recordCert(userDir, NAME), 20000);
    await nodeRed.kill();
    const store = path.join(userDir, 'certificates', 'node-red');
    assert.equal(fs.existsSync(path.join(store, 'source.json')), false, 'no link to the ACME record yet');
    assert.equal(recordCert(userDir, 'node-red').fingerprint256, bootstrap.fingerprint256, 'the store holds the bootstrap certificate');
    assert.equal(fs.existsSync(path.join(userDir, 'certificates', NAME, 'delivered.json')), false);
    const orders = pebbleOrders(pebble);

    // the same flow as example 13 (ACME -> HTTPS) when Node-RED starts again
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(false), null, 2));
    nodeRed = await start(userDir);
    const restarted = Date.now();
    await waitFor(
      'the stored ACME certificate to be served',
      async () => (await servedCertificate(nodeRed.port)).fingerprint256 === stored.fingerprint256,
      10000,
    );
    t.diagnostic(`served ${Date.now() - restarted} ms after Node-RED listened`);
    assert.equal(new X509Certificate(await opensslServedPem(nodeRed.port, NAME)).fingerprint256, stored.fingerprint256);
    const delivered = await waitFor(
      'delivered.json',
      () => {
        const file = path.join(userDir, 'certificates', NAME, 'delivered.json');
        return fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8'));
      },
      5000,
    );
    assert.equal(delivered.fingerprint256, stored.fingerprint256);
    assert.equal(JSON.parse(fs.readFileSync(path.join(store, 'source.json'), 'utf8')).record, NAME);
    assert.equal(pebbleOrders(pebble), orders, 'no new order');
  },
);
