'use strict';
// The example flows do what their comments promise, run in the real runtime: the inject,
// change and comment nodes are Node-RED's own; each debug node is replaced by a helper node
// with the same id, so the test sees what the Debug sidebar would show.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const kit = require('./node-test-kit');

const { helper } = kit;
afterEach(() => helper.unload());

const core = (file) => require(require.resolve(`@node-red/nodes/core/${file}`));
const coreModules = [core('common/20-inject.js'), core('function/15-change.js'), core('common/90-comment.js')];

/**
 * Loads an example; returns its node ids by name, plus `errors`: the debug node behind the
 * example's Catch node.
 */
async function load(file) {
  const nodes = JSON.parse(fs.readFileSync(path.join(kit.root, 'examples', file), 'utf8'));
  const byName = {};
  const flow = nodes.map((n) => {
    if (n.name) byName[n.name] = n.id;
    if (n.type === 'catch') byName.errors = n.wires[0][0];
    return n.type === 'debug' ? { id: n.id, type: 'helper', name: n.name, x: n.x, y: n.y, z: 'f1', wires: [] } : { ...n, z: 'f1' };
  });
  await kit.registerCatalogs();
  await helper.load([...coreModules, ...kit.TYPES.map(kit.nodeModule)], [{ id: 'f1', type: 'tab', label: file }, ...flow]);
  return byName;
}

/** Presses an inject button; resolves with what the debug node `debugName` shows, or the caught error. */
async function press(injectName, debugName, byName, property) {
  const result = await kit.firstOf(byName[injectName], {}, { shown: byName[debugName], error: byName.errors });
  if (result.name === 'error') return { error: result.msg.error.message };
  return { shown: property.split('.').reduce((v, k) => (v === undefined ? v : v[k]), result.msg) };
}

test('01: generate key and self-signed certificate - the summary shows a trusted, matching certificate', async () => {
  const byName = await load('01 generate key and self-signed certificate.json');
  const { shown, error } = await press('make', 'summary', byName, 'payload.info.summary');
  assert.equal(error, undefined);
  assert.match(shown, /^CN=device\.local, expires in 36[45] days .*self-signed, chain OK.*device\.local.*key matches$/);
});

test('02: own CA signs a CSR - step 2 before step 1 is a clear error, then the device certificate checks out', async () => {
  const byName = await load('02 own CA signs a CSR.json');
  const early = await press('new device', 'summary', byName, 'payload.info.summary');
  assert.match(early.error, /no CA private key found in flow\.ca: save the CA's bundle there first/);
  const ca = await press('make CA', 'CA certificate', byName, 'payload.cert');
  assert.match(ca.shown, /^-----BEGIN CERTIFICATE-----/);
  const device = await press('new device', 'summary', byName, 'payload.info.summary');
  assert.equal(device.error, undefined);
  assert.match(device.shown, /^CN=mqtt\.home\.arpa\b.*, expires in 36[45] days .*issued by My Home CA, chain OK.*My Home CA.*, valid for mqtt\.home\.arpa, key matches$/);
});

test('03: inspect a certificate file - the ISRG Root X1 file from the system store', { skip: !fs.existsSync('/etc/ssl/certs/ISRG_Root_X1.pem') && 'this system has no /etc/ssl/certs/ISRG_Root_X1.pem (Debian: apt-get install ca-certificates)' }, async () => {
  const byName = await load('03 inspect a certificate file.json');
  const first = await press('check file', 'inspection', byName, 'payload');
  assert.equal(first.error, undefined);
  assert.equal(first.shown.certificates[0].subjectFields.CN, 'ISRG Root X1');
  const second = await press('path in msg.filename', 'summary', byName, 'payload.summary');
  assert.match(second.shown, /ISRG Root X1/);
});
