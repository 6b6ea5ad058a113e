'use strict';
// The editor side, checked in a real Node-RED process with this package installed in its userDir:
// the node set loads without error, each node's editor HTML and help reach the editor, message
// catalogues and icons resolve, the examples are listed under Import > Examples, and every
// example flow deploys with no error and no unknown node.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { TYPES, moduleName, root } = require('./node-test-kit');
const { startNodeRed } = require('../harness/node-red-process');

const ICONS = { 'certflow-key': 'key.svg', 'certflow-csr': 'csr.svg', 'certflow-sign': 'sign.svg', 'certflow-inspect': 'inspect.svg' };
let nodeRed;
let base;

before(async () => {
  nodeRed = await startNodeRed();
  base = nodeRed.url;
});

after(async () => {
  if (process.env.SHOW_NODE_RED_LOG) console.log(nodeRed?.log());
  await nodeRed?.stop();
});

async function get(urlPath, accept = 'application/json') {
  const response = await fetch(base + urlPath, { headers: { Accept: accept } });
  assert.equal(response.status, 200, `GET ${urlPath}: ${response.status}`);
  return accept === 'application/json' ? response.json() : response.text();
}

test('the node set of our four nodes loads without error', async () => {
  const sets = await get('/nodes');
  for (const type of TYPES) {
    const set = sets.find((s) => s.module === moduleName && s.types.includes(type));
    assert.ok(set, `${type} is not registered`);
    assert.equal(set.err, undefined, `${type}: ${set.err}`);
    assert.equal(set.enabled, true);
  }
  const lines = nodeRed.logLines().filter((line) => /certflow-(key|csr|sign|inspect)/.test(line) && /\[(error|warn)\]/.test(line));
  assert.deepEqual(lines, []);
});

test('editor HTML, help, message catalogue and icon of each node reach the editor', async () => {
  const html = await get('/nodes', 'text/html');

  for (const type of TYPES) {
    assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}'`), `${type} editor script`);
    assert.match(html, new RegExp(`data-template-name="${type}"`), `${type} template`);
    const help = new RegExp(`data-help-name="${type}"[^>]*>([\\s\\S]*?)</script>`).exec(html);
    assert.ok(help, `${type} help is missing`);
    assert.match(help[1], /<h3>Inputs<\/h3>/);
    assert.match(help[1], /<h3>Outputs<\/h3>/);
    assert.match(help[1], /<h3>Details<\/h3>/);
    assert.match(help[1], /<h3>References<\/h3>/);
    const catalogue = await get(`/nodes/${moduleName}/${type}/messages?lng=en-US`);
    assert.ok(catalogue && catalogue[type], `${type}: no message catalogue for ${moduleName}/${type}`);
    assert.ok(typeof catalogue[type].paletteLabel === 'string' && catalogue[type].paletteLabel.length > 0);
    const icon = await fetch(`${base}/icons/${moduleName}/${ICONS[type]}`);
    assert.equal(icon.status, 200, `${type} icon`);
    assert.match(await icon.text(), /^<svg[^>]*viewBox="0 0 40 60"/);
  }
  const labels = {};
  for (const type of TYPES) labels[type] = (await get(`/nodes/${moduleName}/${type}/messages?lng=en-US`))[type].paletteLabel;
  assert.deepEqual(labels, {
    'certflow-key': 'generate key',
    'certflow-csr': 'create CSR',
    'certflow-sign': 'sign certificate',
    'certflow-inspect': 'inspect',
  });
});

test('every example is listed under Import > Examples and deploys with no error and no unknown node', async () => {
  const files = fs
    .readdirSync(path.join(root, 'examples'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 4);
  const listing = await get(`/library/examples/flows/${moduleName}`);
  const listed = listing
    .filter((entry) => entry.fn)
    .map((entry) => `${entry.fn}.json`)
    .sort();
  assert.deepEqual(listed, files);

  for (const file of files) {
    const flow = await get(`/library/examples/flows/${moduleName}/${encodeURIComponent(file.replace(/\.json$/, ''))}`);
    assert.ok(Array.isArray(flow) && flow.length > 0, `${file} is not a flow`);
    const tab = { id: 'example-tab', type: 'tab', label: file };
    const before = nodeRed.log().length;
    const response = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
      body: JSON.stringify({ flows: [tab, ...flow.map((n) => ({ ...n, z: tab.id }))] }),
    });
    assert.equal(response.status, 200, `${file}: deploy answered ${response.status} ${await response.text()}`);
    await nodeRed.waitForLog(/Started flows/, { from: before });
    const log = nodeRed.log().slice(before);
    assert.doesNotMatch(log, /\[error\]|Waiting for missing types|Unknown type/i, `${file}:\n${log}`);
  }
});
