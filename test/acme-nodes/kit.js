'use strict';
// Setup for the ACME node tests: test/helpers/node-red-kit.js with our two ACME node types,
// Node-RED's own core nodes where a flow needs them (change, http request), the account node
// for a Pebble from test/harness/pebble.js, and a fresh userDir.
//
// One trap: the helper's HTTP server (helper.startServer) serves an empty express app of its
// own, while RED.httpNode is another express app created afresh by every helper.load(). We
// mount the current RED.httpNode on the helper's server, so the CA reaches the
// /.well-known/acme-challenge/ route exactly where a real Node-RED serves it.
const fsp = require('node:fs/promises');
const path = require('node:path');
const { before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const kit = require('../helpers/node-red-kit');
const { startPebble } = require('../harness/pebble');
const { tempDir } = require('../harness/temp-dir');
const { accountNode } = require('../harness/acme-flows');

const { helper } = kit;
const TYPES = ['certflow-acme-account', 'certflow-acme'];
const coreNodes = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
const CORE = {
  change: path.join(coreNodes, 'function', '15-change.js'),
  'http request': path.join(coreNodes, 'network', '21-httprequest.js'),
};

let currentNodeApp;
function captureHttpNode(RED) {
  currentNodeApp = RED.httpNode;
}

/** Starts the helper's HTTP server with RED.httpNode mounted (after `first`, if given); resolves its port. */
async function startServer(first) {
  await helper.startServer();
  if (first) helper._app.use(first);
  helper._app.use((req, res, next) => (currentNodeApp ? currentNodeApp(req, res, next) : next()));
  return new URL(helper.url()).port * 1;
}

/** A fresh userDir for the runtime (accounts and certificates are stored under it). */
async function useTempUserDir() {
  const userDir = tempDir('certflow-acme-nodes-');
  helper.settings({ userDir });
  return userDir;
}

/** Loads a flow (nodes on tab "f1") with our two types, catch/helper and the named core nodes. */
function loadFlow(nodes, credentials = {}) {
  const modules = [captureHttpNode];
  for (const [type, file] of Object.entries(CORE)) if (nodes.some((n) => n.type === type)) modules.push(require(file));
  return kit.loadFlow(nodes, { types: TYPES, modules, credentials });
}

/**
 * The hooks every ACME node test file shares: before all, a userDir and a Pebble (with
 * `withServer`, the helper's HTTP server first, and Pebble's http-01 port pointed at it);
 * after each test, no private key (anything PEM-key-like, or a line `remember`ed) was shown in
 * a status, log or error, and the flow is unloaded; after all, everything stopped and removed.
 * Returns `state` ({ pebble, userDir, port } once `before` ran) and `remember(pem)`.
 */
function setUpAcmeNodeTests({ withServer = false } = {}) {
  const state = {};
  const secrets = new Set();
  before(async () => {
    if (withServer) state.port = await startServer();
    state.userDir = await useTempUserDir();
    // with the route, Pebble's VA connects to Node-RED's port for http-01
    state.pebble = await startPebble(withServer ? { httpPort: state.port } : {});
  });
  afterEach(async () => {
    const shown = kit.everythingShown();
    assert.doesNotMatch(shown, /PRIVATE KEY/);
    for (const line of secrets) assert.ok(!shown.includes(line), 'a private key line appeared in a status, log or error');
    await helper.unload();
  });
  after(async () => {
    if (withServer) await helper.stopServer();
    await state.pebble?.stop();
    if (state.userDir) await fsp.rm(state.userDir, { recursive: true, force: true });
  });
  const remember = (pem) => {
    for (const line of kit.secretLines(pem)) secrets.add(line);
  };
  return { state, remember };
}

module.exports = { ...kit, TYPES, startServer, useTempUserDir, loadFlow, accountNode, setUpAcmeNodeTests };
