'use strict';
// The packed package on Node-RED 5 (on Node 22, which Node-RED 5 needs): installed from the
// npm pack tarball into a fresh userDir whose settings.js uses our HTTPS helper, exactly as the
// README tells users. Node-RED 5 must start in HTTPS with a bootstrap certificate for
// localhost, load every node type without a warning, and run examples 01-03.
// The first run on a machine downloads node@22 and node-red@5 from the npm registry into
// .cache/ (see test/harness/node-red-5.js); later runs reuse them.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const { ensureNodeRed5, NODE_RED_VERSION } = require('../harness/node-red-5');
const { packPackage, installTarball } = require('../harness/packed-package');
const { startNodeRed, problemLines, repoRoot, httpsSettingsSource } = require('../harness/node-red-process');
const { assertPackageLoaded } = require('../helpers/package-load');
const { peerCertificate, adminRequest, pressInject } = require('../harness/tls-client');
const { tempDir } = require('../harness/temp-dir');
const { newEcKeyReqArgs } = require('../helpers/openssl');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SEEN_URL = '/certflow-test-seen';

let nodeRed;
let userDir;
let localCa;
const timings = {};

before(async () => {
  let started = Date.now();
  const nr5 = await ensureNodeRed5({ log: (line) => process.stderr.write(`node-red-5 test: ${line}\n`) });
  timings.nodeRed5Ready = Date.now() - started;

  started = Date.now();
  userDir = tempDir('certflow-nr5-');
  await installTarball(userDir, packPackage(tempDir('certflow-nr5-pack-')));
  timings.packAndInstall = Date.now() - started;
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, httpsSettingsSource());

  started = Date.now();
  nodeRed = await startNodeRed({
    userDir,
    linkPackage: false,
    settingsFile,
    nodeBinary: nr5.nodeBinary,
    nodeRedMain: nr5.nodeRedMain,
    timeoutMs: 60000,
  });
  timings.nodeRedStart = Date.now() - started;
  localCa = fs.readFileSync(path.join(userDir, 'certificates', 'local-ca', 'ca.pem'), 'utf8');
});

after(async () => {
  // Idle keep-alive connections of the admin calls would hold Node-RED's server.close() (and
  // so its SIGTERM exit) until they time out.
  https.globalAgent.destroy();
  const started = Date.now();
  if (nodeRed) await nodeRed.stop();
  process.stderr.write(`node-red-5 test: Node-RED stopped in ${Date.now() - started} ms\n`);
});

const admin = (method, urlPath, body) => adminRequest(nodeRed.port, [localCa], method, urlPath, body);

/** GET of an admin path that answers HTML unless asked for JSON (e.g. /nodes), trusting only the local CA. */
function adminGetJson(urlPath) {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: nodeRed.port,
        servername: 'localhost',
        path: urlPath,
        ca: [localCa],
        headers: { accept: 'application/json' },
        timeout: 15000,
      },
      (res) => {
        const parts = [];
        res.on('data', (chunk) => parts.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`GET ${urlPath} -> ${res.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(new Error(`GET ${urlPath} did not answer JSON: ${text.slice(0, 300)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

test(`Node-RED ${NODE_RED_VERSION} on Node 22 starts in HTTPS from the first boot with a localhost certificate from the helper`, async (t) => {
  t.diagnostic(
    `node@22 + node-red@${NODE_RED_VERSION} ready in ${timings.nodeRed5Ready} ms, pack + install ${timings.packAndInstall} ms, Node-RED start ${timings.nodeRedStart} ms`,
  );
  assert.match(nodeRed.log(), new RegExp(`Node-RED version: v${NODE_RED_VERSION.replace(/\./g, '\\.')}`));
  assert.match(nodeRed.log(), /Node\.js {2}version: v22\./);
  assert.equal(nodeRed.protocol, 'https');
  const { cert } = await peerCertificate(nodeRed.port, 'localhost');
  assert.equal(cert.checkHost('localhost'), 'localhost', `the served certificate does not cover localhost: ${cert.subjectAltName}`);
  assert.ok(
    cert.verify(new X509Certificate(localCa).publicKey),
    'the served certificate is not signed by the local CA in <userDir>/certificates/local-ca',
  );
  // A client trusting only the local CA (and checking the name) reaches the admin API.
  const settings = await admin('GET', '/settings');
  assert.equal(settings.version, NODE_RED_VERSION);
});

test('every node type loads with no error or warning about the package', async () => {
  assertPackageLoaded(await adminGetJson('/nodes'), nodeRed, 'Node-RED 5');
});

// ---------------------------------------------------------------------------------------------
// Examples. Each example's debug nodes become function nodes with the same id that record what
// the Debug sidebar would show (the debug node's `complete` property) in global context; an
// http endpoint on its own tab hands the record to the test.
// ---------------------------------------------------------------------------------------------
let deployed = false;
const exampleIds = {};

function recorderNode(debugNode, tab) {
  const property = debugNode.complete === 'true' ? '' : debugNode.complete || 'payload';
  return {
    id: debugNode.id,
    type: 'function',
    z: tab,
    name: debugNode.name,
    func: [
      `const shown = ${JSON.stringify(property)} ? RED.util.getMessageProperty(msg, ${JSON.stringify(property)}) : msg;`,
      "const seen = global.get('certflowSeen') || {};",
      '(seen[node.id] = seen[node.id] || []).push(shown === undefined ? null : shown);',
      "global.set('certflowSeen', seen);",
      'return null;',
    ].join('\n'),
    outputs: 0,
    x: debugNode.x,
    y: debugNode.y,
    wires: [],
  };
}

function exampleFlow(file, tab, edit = (n) => n) {
  const nodes = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8'));
  const ids = {};
  const flow = [{ id: tab, type: 'tab', label: file }];
  for (const node of nodes) {
    if (node.name) ids[node.name] = node.id;
    if (node.type === 'catch') ids.errors = node.wires[0][0];
    flow.push(node.type === 'debug' ? recorderNode(node, tab) : edit({ ...node, z: tab }));
  }
  return { flow, ids };
}

async function deployExamples() {
  if (deployed) return;
  // Example 03 reads the ISRG Root X1 file of the system store; a machine without it
  // (no ca-certificates) gets a certificate of our own at the same place in the flow.
  let certFile = '/etc/ssl/certs/ISRG_Root_X1.pem';
  let certName = 'ISRG Root X1';
  if (!fs.existsSync(certFile)) {
    certFile = path.join(userDir, 'example-03.pem');
    certName = 'certflow example 03';
    const made = spawnSync(
      'openssl',
      newEcKeyReqArgs({ keyFile: path.join(userDir, 'example-03.key'), outFile: certFile, subject: `/CN=${certName}`, days: 30 }),
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, `openssl could not make a certificate for example 03: ${made.stderr}`);
  }
  exampleIds.certName = certName;
  const pointAtCert = (node) => {
    if (node.type === 'certflow-inspect' && node.pathType === 'str' && node.path) return { ...node, path: certFile };
    if (node.type === 'inject' && Array.isArray(node.props))
      return { ...node, props: node.props.map((p) => (p.p === 'filename' ? { ...p, v: certFile } : p)) };
    return node;
  };
  const one = exampleFlow('01 generate key and self-signed certificate.json', 'a5e1000000000001');
  const two = exampleFlow('02 own CA signs a CSR.json', 'a5e1000000000002');
  const three = exampleFlow('03 inspect a certificate file.json', 'a5e1000000000003', pointAtCert);
  Object.assign(exampleIds, { one: one.ids, two: two.ids, three: three.ids });
  const endpoint = [
    { id: 'a5e1000000000009', type: 'tab', label: 'test endpoint' },
    { id: 'a5e1000000000010', type: 'http in', z: 'a5e1000000000009', url: SEEN_URL, method: 'get', upload: false, wires: [['a5e1000000000011']] },
    {
      id: 'a5e1000000000011',
      type: 'function',
      z: 'a5e1000000000009',
      func: "msg.payload = global.get('certflowSeen') || {};\nreturn msg;",
      outputs: 1,
      wires: [['a5e1000000000012']],
    },
    { id: 'a5e1000000000012', type: 'http response', z: 'a5e1000000000009', statusCode: '', headers: {}, wires: [] },
  ];
  await admin('POST', '/flows', [...one.flow, ...two.flow, ...three.flow, ...endpoint]);
  deployed = true;
}

/** What the recorders have seen; retried while the deploy's new flows are still starting. */
async function seen() {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      return await admin('GET', SEEN_URL);
    } catch (err) {
      if (!/-> 404/.test(err.message) || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/**
 * Presses an inject button; resolves with the next value shown at the debug node `debugId`, or
 * { error } when the example's Catch node reports one first.
 */
async function press(ids, injectName, debugName, timeoutMs = 20000) {
  const debugId = ids[debugName];
  const before = await seen();
  const count = (record, id) => (record[id] || []).length;
  await pressInject(nodeRed.port, [localCa], ids[injectName]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await seen();
    if (count(now, ids.errors) > count(before, ids.errors)) return { error: now[ids.errors][count(before, ids.errors)] };
    if (count(now, debugId) > count(before, debugId)) return { shown: now[debugId][count(before, debugId)] };
    if (Date.now() > deadline)
      throw new Error(`pressing "${injectName}" showed nothing at "${debugName}" within ${timeoutMs} ms. Log:\n${nodeRed.log()}`);
    await sleep(100);
  }
}

test('example 01 runs on Node-RED 5: a key and a self-signed certificate that check out', async () => {
  await deployExamples();
  const { shown, error } = await press(exampleIds.one, 'make', 'summary');
  assert.equal(error, undefined, `the flow reported an error: ${JSON.stringify(error)}`);
  assert.match(shown, /^CN=device\.local\b/);
  assert.match(shown, /self-signed/);
  assert.match(shown, /chain OK/);
  assert.match(shown, /key matches/);
});

test('example 02 runs on Node-RED 5: step 2 first is a clear error, then the CA signs the device certificate', async () => {
  await deployExamples();
  const early = await press(exampleIds.two, 'new device', 'summary');
  assert.ok(early.error, `step 2 before step 1 should fail, it showed ${JSON.stringify(early.shown)}`);
  assert.match(early.error.message, /no CA private key found in flow\.ca/);
  const ca = await press(exampleIds.two, 'make CA', 'CA certificate');
  assert.equal(ca.error, undefined, `the flow reported an error: ${JSON.stringify(ca.error)}`);
  assert.match(ca.shown, /^-----BEGIN CERTIFICATE-----/);
  const device = await press(exampleIds.two, 'new device', 'summary');
  assert.equal(device.error, undefined, `the flow reported an error: ${JSON.stringify(device.error)}`);
  assert.match(device.shown, /^CN=mqtt\.home\.arpa\b/);
  assert.match(device.shown, /issued by My Home CA/);
  assert.match(device.shown, /chain OK/);
});

test('example 03 runs on Node-RED 5: a certificate file inspected, by a path in the node and in msg.filename', async () => {
  await deployExamples();
  const first = await press(exampleIds.three, 'check file', 'inspection');
  assert.equal(first.error, undefined, `the flow reported an error: ${JSON.stringify(first.error)}`);
  assert.equal(first.shown.certificates[0].subjectFields.CN, exampleIds.certName);
  const second = await press(exampleIds.three, 'path in msg.filename', 'summary');
  assert.equal(second.error, undefined, `the flow reported an error: ${JSON.stringify(second.error)}`);
  assert.match(second.shown, new RegExp(exampleIds.certName));
  const ours = problemLines(nodeRed.log()).filter((line) => /certflow|node-red-certificates/i.test(line));
  assert.deepEqual(ours, [], `Node-RED 5 logged problems with the package while running the examples:\n${nodeRed.log()}`);
});
