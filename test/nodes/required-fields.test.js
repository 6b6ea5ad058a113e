'use strict';
// Fields a node cannot work without are one table (REQUIRED in resources/certflow-editor.js):
// the dialog marks them invalid (test/editor/first-hour.test.js), and the runtime - the same
// table, loaded by nodes/common/required.ts - turns the status red at deploy with a short text
// that names the fix, and refuses each message with the dialog's sentence.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const kit = require('../helpers/node-red-kit');

const { helper } = kit;
const rules = require(path.join(kit.root, 'resources', 'certflow-editor.js'));
const messages = (type) => require(path.join(kit.root, 'locales', 'en-US', `${type}.json`))[type];
afterEach(() => helper.unload());

const CASES = [
  { type: 'certflow-csr', config: { cn: '', cnType: 'str', altNames: '', altNamesType: 'str' }, reason: 'needName' },
  { type: 'certflow-sign', config: { mode: 'self-signed', cn: '', cnType: 'str', altNames: '', altNamesType: 'str' }, reason: 'needName' },
  { type: 'certflow-sign', config: { mode: 'ca', cn: '', cnType: 'str', O: '' }, reason: 'caName' },
  { type: 'certflow-inspect', config: { source: 'file', path: '', pathType: 'str' }, reason: 'pathRequired' },
  { type: 'certflow-inspect', config: { source: 'server', host: '', hostType: 'str' }, reason: 'hostRequired' },
  {
    type: 'certflow-inspect',
    config: { source: 'payload', trust: 'ca', trustCa: '', trustCaType: 'pasted', trustCaPem: '' },
    reason: 'trustCaRequired',
  },
  { type: 'certflow-acme', config: { identifiers: '', autoRenew: true }, reason: 'needNames', noInput: true },
];

for (const { type, config, reason, noInput } of CASES) {
  test(`${type} ${JSON.stringify(config)}: red at deploy ("${messages(type).required[reason]}"), and refused`, async () => {
    assert.deepEqual(
      rules.requiredProblems(type, config).map((p) => p.reason),
      [reason],
      'the editor flags it with the same table',
    );
    await kit.loadFlow(
      [
        { id: 'n', type, ...config, wires: type === 'certflow-acme' ? [['out'], []] : [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'c', type: 'catch', scope: ['n'], wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      { types: [type] },
    );
    const status = kit.statusCalls('n')[0];
    assert.deepEqual(status, { fill: 'red', shape: 'ring', text: messages(type).required[reason] });
    assert.ok(status.text.length <= 40, `"${status.text}" fits under the node`);
    if (noInput) return; // the ACME node still takes names from msg.domains
    const result = await kit.outcome('n', { payload: 'x' }, 'out', 'caught');
    assert.ok(result.caught, 'the message is refused');
    assert.equal(result.caught.error.message, messages(type).validation[reason]);
  });
}

test('filled in, nothing is missing: a msg / flow / env reference counts as given (its value comes with the message)', () => {
  assert.deepEqual(rules.requiredProblems('certflow-csr', { cn: '', altNames: 'payload.names', altNamesType: 'msg' }), []);
  assert.deepEqual(rules.requiredProblems('certflow-csr', { cn: '', altNames: '', localNames: true }), []);
  assert.deepEqual(rules.requiredProblems('certflow-sign', { mode: 'csr', cn: '' }), []);
  assert.deepEqual(rules.requiredProblems('certflow-inspect', { trust: 'ca', trustCa: '/etc/ssl/my-ca.pem', trustCaType: 'file' }), []);
  assert.deepEqual(rules.requiredProblems('certflow-acme', { identifiers: 'nodered.example.com' }), []);
});
