'use strict';
// The one setup for tests that run our nodes in the REAL Node-RED runtime through
// node-red-node-test-helper: our built nodes from dist/nodes, Node-RED's real i18n with our
// message catalogues (the helper replaces RED._ with an identity function; the runtime gives
// each node file a RED._ bound to "<module>/<file>" exactly as done here), and the small
// waiting/inspecting helpers every node test needs. test/nodes/node-test-kit.js and
// test/acme-nodes/kit.js add what their own flows need on top.
const fs = require('node:fs');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { i18n } = require('@node-red/util');

helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '..', '..');
const distNodes = path.join(root, 'dist', 'nodes');
const moduleName = require(path.join(root, 'package.json')).name;

/** Helper nodes behind a Catch node: a flow's errors arrive at 'caught'. */
const catchNodes = [
  { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

/**
 * A complete node for `nodeId` and the helper it feeds: a message at `completed-<nodeId>` proves
 * that node called done() for a message, so a test can wait for "handled" instead of for time.
 * Node-RED delivers in order, so whatever the node sent before done() has arrived by then.
 */
function completeNodes(nodeId) {
  return [
    { id: `complete-${nodeId}`, type: 'complete', scope: [nodeId], uncaught: false, wires: [[`completed-${nodeId}`]] },
    { id: `completed-${nodeId}`, type: 'helper' },
  ];
}

let i18nReady = false;
const catalogues = new Map();
/** Registers the message catalogues of our node `types` with Node-RED's i18n (once per type). */
function registerCatalogs(types) {
  if (!i18nReady) {
    i18n.init({ lang: 'en-US' });
    i18nReady = true;
  }
  return Promise.all(
    types.map((type) => {
      if (!catalogues.has(type))
        catalogues.set(type, i18n.registerMessageCatalog(`${moduleName}/${type}`, path.join(distNodes, 'locales'), `${type}.json`));
      return catalogues.get(type);
    }),
  );
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

/**
 * Loads a flow (nodes on tab "f1", placed at 100,100 unless they say otherwise) with our node
 * `types` (catalogues registered) plus any other node `modules` (Node-RED core nodes...).
 */
async function loadFlow(nodes, { types, modules = [], credentials = {} }) {
  await registerCatalogs(types);
  const flow = [{ id: 'f1', type: 'tab', label: 'test' }, ...nodes.map((n) => ({ z: 'f1', x: 100, y: 100, ...n }))];
  await helper.load([...modules, ...types.map(nodeModule)], flow, credentials);
}

/**
 * Sends msg into `nodeId` and waits for the first message at any of `outputs` (a map
 * name -> helper node id, e.g. {ok: 'out', caught: 'caught'}). Resolves {name, msg}.
 */
function firstOf(nodeId, msg, outputs, ms = 30000) {
  return new Promise((resolve, reject) => {
    const listeners = [];
    const finish = (result, err) => {
      clearTimeout(timer);
      for (const [node, listener] of listeners) node.removeListener('input', listener);
      if (err) reject(err);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(null, new Error(`nothing arrived at ${Object.values(outputs).join(' or ')} within ${ms} ms`)), ms);
    for (const [name, id] of Object.entries(outputs)) {
      const node = helper.getNode(id);
      if (!node) return finish(null, new Error(`no node ${id} in the flow`));
      const listener = (received) => finish({ name, msg: received });
      node.on('input', listener);
      listeners.push([node, listener]);
    }
    helper.getNode(nodeId).receive(msg);
  });
}

/** Sends msg and resolves {ok: msg} or {caught: msg} (the helper node behind a Catch node). */
async function outcome(nodeId, msg, okId, caughtId, ms) {
  const { name, msg: received } = await firstOf(nodeId, msg, { ok: okId, caught: caughtId }, ms);
  return { [name]: received };
}

/** Resolves with the next message a node receives (rejects after `ms`). */
function nextMessage(nodeId, ms = 30000) {
  const node = helper.getNode(nodeId);
  if (!node) throw new Error(`no node ${nodeId} in the flow`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', listener);
      reject(new Error(`no message at ${nodeId} within ${ms} ms`));
    }, ms);
    const listener = (msg) => {
      clearTimeout(timer);
      resolve(msg);
    };
    node.once('input', listener);
  });
}

/** Collects every message a node receives from now on. */
function collect(nodeId) {
  const messages = [];
  helper.getNode(nodeId).on('input', (msg) => messages.push(msg));
  return messages;
}

/** Every status a node has shown since the flow was loaded (Node.prototype.status is a spy). */
function statusCalls(nodeId) {
  const node = helper.getNode(nodeId);
  const spy = helper._NodePrototype.status; // proxied sinon spy, shared by every node
  return (spy.getCalls ? spy.getCalls() : []).filter((call) => call.thisValue === node).map((call) => call.args[0]);
}

/** Every line Node-RED logged since the flow was loaded, as text. */
function logLines() {
  return helper
    .log()
    .getCalls()
    .map((call) => JSON.stringify(call.args[0]));
}

/** Every status text of every node, every log line and every error/warn argument, as one text. */
function everythingShown() {
  const texts = [];
  for (const method of ['status', 'error', 'warn', 'log']) {
    for (const call of helper._NodePrototype[method].getCalls()) {
      for (const arg of call.args) texts.push(arg instanceof Error ? `${arg.message}\n${arg.stack}` : JSON.stringify(arg));
    }
  }
  texts.push(...logLines());
  return texts.join('\n');
}

/** Lines of a PEM private key body (long enough to be unique) that must never be shown. */
function secretLines(pem) {
  return String(pem)
    .split('\n')
    .filter((l) => l.length >= 40 && !l.startsWith('-----'));
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
  completeNodes,
  root,
  distNodes,
  moduleName,
  catchNodes,
  registerCatalogs,
  nodeModule,
  loadFlow,
  firstOf,
  outcome,
  nextMessage,
  collect,
  statusCalls,
  logLines,
  everythingShown,
  secretLines,
  sleep,
  waitFor,
};
