'use strict';
// Contract test for test/harness/message-tracker, which the editor tests use to wait for a flow to
// finish: it relies on Node-RED's messaging hooks (public) and on node._expectedDoneCount
// (private: how many input handlers take done). When Node-RED is upgraded and either changed,
// this fails here, naming what no longer holds, instead of as a hang in the examples test.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startNodeRed } = require('../harness/node-red-process');

let nodeRed;
before(async () => {
  nodeRed = await startNodeRed({ trackMessages: true });
});
after(() => nodeRed?.stop());

test('settled: after a press, once every node on the path is done, through a switch (no done) and an async node', async () => {
  await nodeRed.adminPost('/flows', {
    flows: [
      { id: 'tab', type: 'tab', label: 'tracker' },
      { id: 'go', z: 'tab', type: 'inject', props: [{ p: 'payload' }], payloadType: 'date', wires: [['sw']] },
      // the core switch node's input handler takes no done(): counted as done once it has run
      {
        id: 'sw',
        z: 'tab',
        type: 'switch',
        property: 'payload',
        propertyType: 'msg',
        rules: [{ t: 'nnull' }],
        checkall: 'true',
        outputs: 1,
        wires: [['key']],
      },
      // an async node: key generation finishes on a later turn of the event loop
      { id: 'key', z: 'tab', type: 'certflow-key', algorithm: 'rsa-2048', wires: [['out']] },
      { id: 'out', z: 'tab', type: 'debug', active: true, tosidebar: false, console: false, wires: [] },
    ],
  });
  const before = await nodeRed.messageCounts();
  const press = await fetch(`${nodeRed.url}/inject/go`, { method: 'POST' });
  assert.equal(press.status, 200, 'the inject node was started (adminPost waits for the flows)');
  const settled = await nodeRed.settledAfter(before.received);
  assert.equal(settled.received - before.received, 4, 'the answer came once the message had reached the last node');
  const after = await nodeRed.messageCounts();
  assert.deepEqual(
    ['go', 'sw', 'key', 'out'].map((id) => (after.byNode[id] || 0) - (before.byNode[id] || 0)),
    [1, 1, 1, 1],
    'settled only once the message reached the last node',
  );
  assert.deepEqual(after.open, {}, 'nothing left open: the switch node (no done) counts as done');
  assert.equal(after.completed, after.received);
});
