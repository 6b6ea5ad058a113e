'use strict';
// Shared setup for the ACME node tests: the REAL Node-RED runtime (node-red-node-test-helper),
// our built nodes with their message catalogues, Node-RED's own core nodes where a flow needs
// them (catch, change, http request), and a real Pebble from test/harness/pebble.js.
//
// One trap: the helper's HTTP server (helper.startServer) serves an empty express app of its
// own, while RED.httpNode is another express app created afresh by every helper.load(). We
// mount the current RED.httpNode on the helper's server, so the CA reaches the
// /.well-known/acme-challenge/ route exactly where a real Node-RED serves it.
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { i18n } = require('@node-red/util');

helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '..', '..');
const distNodes = path.join(root, 'dist', 'nodes');
const moduleName = require(path.join(root, 'package.json')).name;
const TYPES = ['certflow-acme-account', 'certflow-acme'];
const coreNodes = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
const CORE = {
  change: path.join(coreNodes, 'function', '15-change.js'),
  'http request': path.join(coreNodes, 'network', '21-httprequest.js'),
};

let catalogsReady;
function registerCatalogs() {
  if (!catalogsReady) {
    i18n.init({ lang: 'en-US' });
    catalogsReady = Promise.all(TYPES.map((type) => i18n.registerMessageCatalog(`${moduleName}/${type}`, path.join(distNodes, 'locales'), `${type}.json`)));
  }
  return catalogsReady;
}

/** Our node module for `type`, with RED._ resolving keys in that file's catalogue (as the runtime does). */
function nodeModule(type) {
  const file = path.join(distNodes, `${type}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npx tsc -p . && node scripts/copy-assets.js" first`);
  const register = require(file);
  const namespace = `${moduleName}/${type}`;
  return function registerWithCatalogue(RED) {
    const red = Object.create(RED);
    red._ = (key, substitutions) => i18n._(key.includes(':') ? key : `${namespace}:${key}`, substitutions);
    return register(red);
  };
}

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
  const userDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'certflow-acme-nodes-'));
  helper.settings({ userDir });
  return userDir;
}

/** Loads a flow (nodes on tab "f1") with our two types, catch/helper and the named core nodes. */
async function loadFlow(nodes, credentials = {}) {
  await registerCatalogs();
  const flow = [{ id: 'f1', type: 'tab', label: 'test' }, ...nodes.map((n) => ({ z: 'f1', x: 100, y: 100, ...n }))];
  const modules = [captureHttpNode, ...TYPES.map(nodeModule)];
  for (const [type, file] of Object.entries(CORE)) if (nodes.some((n) => n.type === type)) modules.push(require(file));
  await helper.load(modules, flow, credentials);
}

/** The account config node for a Pebble instance (terms agreed unless told otherwise). */
function accountNode(pebble, extra = {}) {
  return { id: 'acct', type: 'certflow-acme-account', directory: 'custom', directoryUrl: pebble.directoryUrl, caPem: pebble.acmeCaPem, contact: 'admin@example.com', agreeTos: true, ...extra };
}

/** Resolves with the next message a node receives (rejects after `ms`); `.cancel()` stops waiting. */
function nextMessage(nodeId, ms = 30000) {
  const node = helper.getNode(nodeId);
  if (!node) throw new Error(`no node ${nodeId} in the flow`);
  let cancel;
  const promise = new Promise((resolve, reject) => {
    const listener = (msg) => {
      clearTimeout(timer);
      resolve(msg);
    };
    const timer = setTimeout(() => {
      node.removeListener('input', listener);
      reject(new Error(`no message at ${nodeId} within ${ms} ms`));
    }, ms);
    cancel = () => {
      clearTimeout(timer);
      node.removeListener('input', listener);
    };
    node.once('input', listener);
  });
  promise.cancel = cancel;
  return promise;
}

/** Collects every message a node receives from now on. */
function collect(nodeId) {
  const messages = [];
  helper.getNode(nodeId).on('input', (msg) => messages.push(msg));
  return messages;
}

/** Sends msg into `nodeId`; resolves {ok} with the message at `okId` or {caught} at `caughtId`. */
async function outcome(nodeId, msg, okId, caughtId, ms = 30000) {
  const ok = nextMessage(okId, ms);
  const caught = nextMessage(caughtId, ms);
  helper.getNode(nodeId).receive(msg);
  try {
    return await Promise.race([ok.then((m) => ({ ok: m })), caught.then((m) => ({ caught: m }))]);
  } finally {
    ok.cancel();
    caught.cancel();
    ok.catch(() => undefined);
    caught.catch(() => undefined);
  }
}

/** Every status a node has shown since the flow was loaded (Node.prototype.status is a spy). */
function statusCalls(nodeId) {
  const node = helper.getNode(nodeId);
  const spy = helper._NodePrototype.status;
  return spy.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);
}

/** Every status text of every node, every log line and every error/warn argument, as one text. */
function everythingShown() {
  const texts = [];
  for (const method of ['status', 'error', 'warn', 'log']) {
    for (const call of helper._NodePrototype[method].getCalls()) {
      for (const arg of call.args) texts.push(arg instanceof Error ? `${arg.message}\n${arg.stack}` : JSON.stringify(arg));
    }
  }
  for (const call of helper.log().getCalls()) texts.push(JSON.stringify(call.args[0]));
  return texts.join('\n');
}

/** Lines of a PEM private key body (long enough to be unique) that must never be shown. */
function secretLines(pem) {
  return String(pem).split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` until it is truthy (rejects after `ms`). */
async function waitFor(predicate, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(50);
  }
}

module.exports = {
  helper,
  startServer,
  useTempUserDir,
  loadFlow,
  accountNode,
  nextMessage,
  collect,
  outcome,
  statusCalls,
  everythingShown,
  secretLines,
  sleep,
  waitFor,
  root,
};
