'use strict';
// Setup for the offline node tests (key, csr, sign, inspect) in the real Node-RED runtime:
// test/helpers/node-red-kit.js bound to these four node types, plus a small own-CA flow that
// several tests build their certificates with.
const assert = require('node:assert/strict');
const kit = require('../helpers/node-red-kit');

const { helper } = kit;
const TYPES = ['certflow-key', 'certflow-csr', 'certflow-sign', 'certflow-inspect'];

/** Loads a flow (an array of nodes on tab "f1") with our four node types and catch/helper nodes. */
function loadFlow(nodes, credentials = {}) {
  return kit.loadFlow(nodes, { types: TYPES, credentials });
}

/**
 * The nodes of an own CA that signs a CSR: 'key' (-> 'keyOut') makes keys, 'ca' turns a key
 * into a CA certificate (-> 'out'), 'csr' (-> 'sign') makes a CSR for `cn`, and 'sign' signs
 * it with the CA kept in flow context 'ca' (-> `signWires`). Add 'out' and whatever else.
 */
function ownCaNodes({ caName = 'Root', cn, altNames, days, signWires = [['out']] }) {
  return [
    { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['keyOut']] },
    { id: 'keyOut', type: 'helper' },
    { id: 'ca', type: 'certflow-sign', mode: 'ca', cn: caName, cnType: 'str', wires: [['out']] },
    { id: 'csr', type: 'certflow-csr', cn, cnType: 'str', ...(altNames ? { altNames, altNamesType: 'str' } : {}), wires: [['sign']] },
    {
      id: 'sign',
      type: 'certflow-sign',
      mode: 'csr',
      ...(days ? { days: String(days) } : {}),
      caKeyFrom: 'ca',
      caKeyFromType: 'flow',
      caCertFrom: 'ca',
      caCertFromType: 'flow',
      wires: signWires,
    },
  ];
}

/** Runs the own-CA flow: a CA into flow context, then a new key through csr -> sign; resolves the message at 'out'. */
async function issueWithOwnCa() {
  const newKey = async () => (await outcome('key', { payload: 1 }, 'keyOut', 'caught')).ok.payload;
  helper
    .getNode('sign')
    .context()
    .flow.set('ca', (await outcome('ca', { payload: await newKey() }, 'out', 'caught')).ok.payload);
  const result = await outcome('csr', { payload: await newKey() }, 'out', 'caught');
  assert.ok(result.ok, result.caught && result.caught.error.message);
  return result.ok;
}

function outcome(nodeId, msg, okId, caughtId, ms = 20000) {
  return kit.outcome(nodeId, msg, okId, caughtId, ms);
}

module.exports = {
  ...kit,
  TYPES,
  registerCatalogs: () => kit.registerCatalogs(TYPES),
  loadFlow,
  outcome,
  ownCaNodes,
  issueWithOwnCa,
};
