'use strict';
// Shared setup for the node tests: the REAL Node-RED runtime through node-red-node-test-helper,
// our built nodes from dist/nodes, and Node-RED's real i18n with our message catalogues (the
// helper replaces RED._ with an identity function; the runtime gives each node file a RED._
// bound to "<module>/<file>" exactly as done here).
const path = require('node:path');
const fs = require('node:fs');
const helper = require('node-red-node-test-helper');
const { i18n } = require('@node-red/util');

helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '..', '..');
const distNodes = path.join(root, 'dist', 'nodes');
const moduleName = require(path.join(root, 'package.json')).name;
const TYPES = ['certflow-key', 'certflow-csr', 'certflow-sign', 'certflow-inspect'];

let catalogsReady;
function registerCatalogs() {
  if (!catalogsReady) {
    i18n.init({ lang: 'en-US' });
    catalogsReady = Promise.all(
      TYPES.map((type) => i18n.registerMessageCatalog(`${moduleName}/${type}`, path.join(distNodes, 'locales'), `${type}.json`)),
    );
  }
  return catalogsReady;
}

/** The node module for `type`, given a RED whose `_` resolves keys in that file's catalogue. */
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

const allModules = () => TYPES.map(nodeModule);

/** Loads a flow (an array of nodes on tab "f1") with our four node types and catch/helper nodes. */
async function loadFlow(nodes, credentials = {}) {
  await registerCatalogs();
  const flow = [{ id: 'f1', type: 'tab', label: 'test' }, ...nodes.map((n) => ({ z: 'f1', x: 100, y: 100, ...n }))];
  await helper.load(allModules(), flow, credentials);
}

/**
 * Sends msg into `nodeId` and waits for the first message at any of `outputs` (a map
 * name -> helper node id, e.g. {ok: 'out', caught: 'caught'}). Resolves {name, msg}.
 */
function firstOf(nodeId, msg, outputs, ms = 20000) {
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

/** Every status text a node has shown since the flow was loaded (Node.prototype.status is a spy). */
function statusCalls(nodeId) {
  const node = helper.getNode(nodeId);
  const spy = helper._NodePrototype.status; // proxied sinon spy, shared by every node
  const calls = [];
  for (const call of spy.getCalls ? spy.getCalls() : []) if (call.thisValue === node) calls.push(call.args[0]);
  return calls;
}

/** Every line Node-RED logged since the flow was loaded, as text. */
function logLines() {
  const spy = helper.log();
  return spy.getCalls().map((call) => JSON.stringify(call.args[0]));
}

module.exports = { helper, registerCatalogs, loadFlow, firstOf, outcome, statusCalls, logLines, TYPES, moduleName, root, distNodes, nodeModule };
