'use strict';
// The editor side, checked in a real Node-RED process with this package installed in its userDir:
// the node set loads without error, each node's editor HTML and help reach the editor, message
// catalogues and icons resolve, the examples are listed under Import > Examples, and every
// example flow deploys with no error and no unknown node.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TYPES, moduleName, root } = require('./node-test-kit');

const ICONS = { 'certflow-key': 'key.svg', 'certflow-csr': 'csr.svg', 'certflow-sign': 'sign.svg', 'certflow-inspect': 'inspect.svg' };
let userDir;
let child;
let base;
let output = '';

before(async () => {
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-editor-'));
  const scope = path.join(userDir, 'node_modules', path.dirname(moduleName));
  fs.mkdirSync(scope, { recursive: true });
  fs.symlinkSync(root, path.join(userDir, 'node_modules', moduleName), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'user', dependencies: { [moduleName]: '*' } }));
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = {
    uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: 'editor-test-secret',
    logging: { console: { level: 'info' } }, editorTheme: { tours: false }, diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };\n`);
  child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'), '--port', '0'], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start within 30 s:\n${output}`)), 30000);
    const onData = (data) => {
      output += data;
      const running = /Server now running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (running && /Started flows/.test(output)) {
        clearTimeout(timer);
        resolve(running[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Node-RED exited (${code}):\n${output}`)));
  });
});

after(async () => {
  if (process.env.SHOW_NODE_RED_LOG) console.log(output);
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  fs.rmSync(userDir, { recursive: true, force: true });
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
  const lines = output.split('\n').filter((line) => /certflow-(key|csr|sign|inspect)/.test(line) && /\[(error|warn)\]/.test(line));
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
  assert.deepEqual(labels, { 'certflow-key': 'generate key', 'certflow-csr': 'create CSR', 'certflow-sign': 'sign certificate', 'certflow-inspect': 'inspect' });
});

test('every example is listed under Import > Examples and deploys with no error and no unknown node', async () => {
  const files = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 4);
  const listing = await get(`/library/examples/flows/${moduleName}`);
  const listed = listing.filter((entry) => entry.fn).map((entry) => `${entry.fn}.json`).sort();
  assert.deepEqual(listed, files);

  for (const file of files) {
    const flow = await get(`/library/examples/flows/${moduleName}/${encodeURIComponent(file.replace(/\.json$/, ''))}`);
    assert.ok(Array.isArray(flow) && flow.length > 0, `${file} is not a flow`);
    const tab = { id: 'example-tab', type: 'tab', label: file };
    const before = output.length;
    const response = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
      body: JSON.stringify({ flows: [tab, ...flow.map((n) => ({ ...n, z: tab.id }))] }),
    });
    assert.equal(response.status, 200, `${file}: deploy answered ${response.status} ${await response.text()}`);
    const deadline = Date.now() + 10000;
    while (!/Started flows/.test(output.slice(before)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const log = output.slice(before);
    assert.match(log, /Started flows/, `${file} did not start:\n${log}`);
    assert.doesNotMatch(log, /\[error\]|Waiting for missing types|Unknown type/i, `${file}:\n${log}`);
  }
});
