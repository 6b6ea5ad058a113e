'use strict';
// The certflow-https node in the real Node-RED runtime (node-red-node-test-helper), with a real
// HTTPS server standing in for Node-RED's own (RED.server) and the settings helper as its
// `https` setting, exactly as settings.js would have it.
const { test, before, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');

const { helper, nodeModule, registerCatalogs } = require('../helpers/node-red-kit');
const certflow = require('../../settings.js');
const { installBundle, readStoredBundle } = require('../../dist/lib/serve/store');
const { linkStoreToSource } = require('../../dist/lib/serve');
const { tempDir, leafBundle, intermediateBundle, fingerprintOf, peerCertificate, snapshot, nodeRedRefresh } = require('./fixtures');

const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const { waitFor } = require('../helpers/node-red-kit');
const DAY = 86400_000;

before(() => registerCatalogs(['certflow-https']));

let cleanups = [];
afterEach(async () => {
  await helper.unload();
  helper._server = null;
  helper.settings({});
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

/** A userDir, the settings helper on it, and (https: true) a live HTTPS server it configured. */
async function setup({ serverKind = 'https', tlsOptions = {}, store = 'node-red' } = {}) {
  const userDir = tempDir();
  cleanups.push(() => fs.rmSync(userDir, { recursive: true, force: true }));
  const settingsHttps = certflow.https({ name: store, userDir, log: () => {}, options: tlsOptions });
  let server;
  if (serverKind === 'https') server = https.createServer(await settingsHttps(), (req, res) => res.end('ok'));
  if (serverKind === 'http') server = http.createServer((req, res) => res.end('ok'));
  let port;
  if (server) {
    port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  }
  helper._server = server; // becomes RED.server for the nodes, as Node-RED's runtime.server
  helper.settings({ userDir, https: serverKind === 'https' ? settingsHttps : undefined });
  return { userDir, settingsHttps, server, port };
}

async function loadHttpsNode(config = {}) {
  await helper.load(
    [nodeModule('certflow-https'), catchNode],
    [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'h', z: 'f1', type: 'certflow-https', store: 'node-red', serve: true, wires: [['out']], ...config },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'c', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ],
  );
  return helper.getNode('h');
}

/** Sends a payload and resolves {ok: msg} or {caught: msg}. */
function send(payload) {
  return new Promise((resolve) => {
    const out = helper.getNode('out');
    const caught = helper.getNode('caught');
    const done = (name) => (msg) => {
      out.removeAllListeners('input');
      caught.removeAllListeners('input');
      resolve({ [name]: msg });
    };
    out.once('input', done('ok'));
    caught.once('input', done('caught'));
    helper.getNode('h').receive({ payload });
  });
}

function lastStatus(node) {
  const calls = helper._NodePrototype.status.getCalls().filter((c) => c.thisValue === node);
  return calls.at(-1)?.args[0];
}

function expectedUntil(certPem) {
  const { X509Certificate } = require('node:crypto');
  const notAfter = new Date(new X509Certificate(certPem).validTo);
  return `${notAfter.toISOString().slice(0, 10)} (${Math.floor((notAfter - Date.now()) / DAY)} d)`;
}

test('on HTTPS: validates, stores, and the very next TLS connection gets the new certificate; user TLS options stay', async () => {
  const { port, userDir, server, settingsHttps } = await setup({ tlsOptions: { minVersion: 'TLSv1.3' } });
  const node = await loadHttpsNode();
  const bootstrap = (await peerCertificate(port)).cert.fingerprint256;

  const bundle = await intermediateBundle(['localhost']);
  const { ok } = await send(bundle);
  assert.ok(ok, 'a message after the install');
  assert.equal(ok.installed.served, true);
  assert.equal(ok.installed.store, 'node-red');
  assert.equal(ok.installed.dir, path.join(userDir, 'certificates', 'node-red'));
  assert.equal(ok.installed.fingerprint256, fingerprintOf(bundle.cert));
  assert.deepEqual(ok.payload, bundle, 'the bundle passes on unchanged');

  const served = await peerCertificate(port);
  assert.notEqual(served.cert.fingerprint256, bootstrap);
  assert.equal(served.cert.fingerprint256, fingerprintOf(bundle.cert));
  assert.equal(served.protocol, 'TLSv1.3');
  // minVersion from settings survived the swap: a TLS 1.2-only client is turned away
  await assert.rejects(peerCertificate(port, 'localhost', { maxVersion: 'TLSv1.2' }));
  assert.deepEqual(lastStatus(node), { fill: 'green', shape: 'dot', text: `serving until ${expectedUntil(bundle.cert)}` });
  // and it is what the settings helper gives Node-RED from now on: its hourly refresh sees no
  // change (no second reload), and a restart serves it from the store
  assert.equal(await nodeRedRefresh(server, settingsHttps), 'unchanged');
  const stored = await readStoredBundle({ userDir, name: 'node-red' });
  assert.equal(stored.leaf.fingerprint256, fingerprintOf(bundle.cert));
});

test('an invalid bundle: error to Catch, red status, store and served certificate untouched; the next good one works', async () => {
  const { port, userDir } = await setup();
  const node = await loadHttpsNode();
  const good = await leafBundle(['localhost']);
  await send(good);
  const before = snapshot(userDir);

  const other = await leafBundle(['localhost']);
  const { caught } = await send({ ...good, key: other.key });
  assert.ok(caught, 'the error reached the Catch node');
  assert.match(caught.error.message, /private key does not match the certificate/);
  assert.equal(lastStatus(node).fill, 'red');
  assert.equal(lastStatus(node).shape, 'ring');
  assert.equal((await peerCertificate(port)).cert.fingerprint256, fingerprintOf(good.cert));
  assert.deepEqual(snapshot(userDir), before);

  const { caught: empty } = await send('');
  assert.match(empty.error.message, /empty/i);

  const next = await leafBundle(['localhost']);
  const { ok } = await send(next);
  assert.ok(ok);
  assert.equal((await peerCertificate(port)).cert.fingerprint256, fingerprintOf(next.cert));
});

test('on plain HTTP: stored (and copied), the status says Node-RED runs on plain HTTP', async () => {
  const { userDir } = await setup({ serverKind: 'http' });
  const node = await loadHttpsNode({ files: [{ path: 'copies/server.pem', content: 'combined', mode: '0640' }] });
  const bundle = await leafBundle(['localhost']);
  const { ok } = await send(bundle);
  assert.equal(ok.installed.served, false);
  assert.deepEqual(ok.installed.files, [path.join(userDir, 'copies', 'server.pem')]);
  assert.equal(fs.statSync(path.join(userDir, 'copies', 'server.pem')).mode & 0o777, 0o640);
  const date = expectedUntil(bundle.cert).slice(0, 10);
  assert.deepEqual(lastStatus(node), { fill: 'yellow', shape: 'dot', text: `stored until ${date}; Node-RED runs on plain HTTP` });
  const warned = helper._NodePrototype.warn
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => String(c.args[0]));
  assert.equal(warned.length, 1);
  assert.match(warned[0], /Node-RED runs on plain HTTP: .*npx @certflow\/node-red-certificates setup-https, then restart Node-RED/);
  assert.equal((await readStoredBundle({ userDir, name: 'node-red' })).leaf.fingerprint256, fingerprintOf(bundle.cert));
});

test('"serve" unticked: only stored, for another program; the server keeps its certificate', async () => {
  const { port } = await setup();
  const before = (await peerCertificate(port)).cert.fingerprint256;
  const node = await loadHttpsNode({ store: 'mosquitto', serve: false });
  const bundle = await leafBundle(['mqtt.lan']);
  const { ok } = await send(bundle);
  assert.equal(ok.installed.served, false);
  assert.equal(ok.installed.store, 'mosquitto');
  assert.equal((await peerCertificate(port)).cert.fingerprint256, before);
  assert.match(lastStatus(node).text, /^stored until \d{4}-\d\d-\d\d \(\d+ d\)$/);
});

test('settings.js serving another store: served now, with a warning that a restart would undo it', async () => {
  const { port } = await setup({ store: 'other' });
  const node = await loadHttpsNode({ store: 'node-red' });
  const bundle = await leafBundle(['localhost']);
  const { ok } = await send(bundle);
  assert.equal(ok.installed.served, true);
  assert.equal((await peerCertificate(port)).cert.fingerprint256, fingerprintOf(bundle.cert));
  assert.equal(lastStatus(node).fill, 'yellow');
  assert.match(lastStatus(node).text, /settings\.js serves another/);
  const warned = helper._NodePrototype.warn
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => String(c.args[0]));
  assert.ok(
    warned.some((w) => /switch back at its next refresh or restart.*https\(\{ name: 'node-red', userDir: __dirname \}\)/.test(w)),
    warned.join('\n'),
  );
});

test('at deploy the status shows what is being served', async () => {
  const { userDir, server, settingsHttps } = await setup();
  const bundle = await leafBundle(['localhost']);
  await installBundle({ userDir, name: 'node-red' }, bundle);
  server.setSecureContext(await settingsHttps()); // as Node-RED's refresh would
  const node = await loadHttpsNode();
  await waitFor(() => lastStatus(node)?.fill === 'green'); // the status comes once the store is read
  assert.deepEqual(lastStatus(node), { fill: 'green', shape: 'dot', text: `serving until ${expectedUntil(bundle.cert)}` });
});

test('a renewal stored in the record that feeds the store is served at once, with no message and no refresh', async () => {
  // What the ACME node beside it does on an automatic renewal: it stores the new certificate
  // in its own record; the HTTPS node linked to that record hears it from the storage.
  const { userDir, port } = await setup();
  const first = await leafBundle(['localhost']);
  await installBundle({ userDir, name: 'node-red' }, first);
  await linkStoreToSource({ userDir, name: 'node-red' }, 'acme-feed');
  await loadHttpsNode();
  await waitFor(async () => (await peerCertificate(port)).cert.fingerprint256 === fingerprintOf(first.cert));
  const renewed = await leafBundle(['localhost']);
  await installBundle({ userDir, name: 'acme-feed' }, renewed);
  await waitFor(async () => (await peerCertificate(port)).cert.fingerprint256 === fingerprintOf(renewed.cert));
  assert.equal((await readStoredBundle({ userDir, name: 'node-red' })).leaf.fingerprint256, fingerprintOf(renewed.cert));
});
