'use strict';
// The example flows do what their comments promise, run in the real runtime: the inject,
// change, switch, split, http in and comment nodes are Node-RED's own; each debug node is
// replaced by a helper node with the same id, so the test sees what the Debug sidebar would show.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const kit = require('./node-test-kit');
const { registerCatalogs } = require('../helpers/node-red-kit');

const { helper } = kit;
afterEach(async () => {
  await helper.unload();
  // Example 21 gave the runtime an HTTPS server and a userDir: back to the plain setup.
  helper._server = null;
  helper.settings({});
});

const core = (file) => require(require.resolve(`@node-red/nodes/core/${file}`));
const { tempDir } = require('../harness/temp-dir');
const coreModules = [core('common/20-inject.js'), core('function/15-change.js'), core('common/90-comment.js')];
const switchNode = core('function/10-switch.js');
const splitNode = core('sequence/17-split.js');
const httpInNode = core('network/21-httpin.js');

/**
 * Loads an example; returns its node ids by name (and `type:<type>` for the first node of a
 * type), plus `errors`: the debug node behind the example's Catch node. options: modules (more Node-RED nodes), types (more of ours), edit(node).
 */
async function load(file, { modules = [], types = [], edit = (n) => n } = {}) {
  const nodes = JSON.parse(fs.readFileSync(path.join(kit.root, 'examples', file), 'utf8'));
  const byName = {};
  const flow = nodes.map((n) => {
    if (n.name) byName[n.name] = n.id;
    byName[`type:${n.type}`] ??= n.id; // the first node of each type, e.g. an unnamed one
    if (n.type === 'catch') byName.errors = n.wires[0][0];
    return n.type === 'debug' ? { id: n.id, type: 'helper', name: n.name, x: n.x, y: n.y, z: 'f1', wires: [] } : edit({ ...n, z: 'f1' });
  });
  await registerCatalogs([...kit.TYPES, ...types]);
  await helper.load([...coreModules, ...modules, ...[...kit.TYPES, ...types].map(kit.nodeModule)], [{ id: 'f1', type: 'tab', label: file }, ...flow]);
  return byName;
}

/** Presses an inject button; resolves with what the debug node `debugName` shows, or the caught error. */
async function press(injectName, debugName, byName, property) {
  const result = await kit.firstOf(byName[injectName], {}, { shown: byName[debugName], error: byName.errors });
  if (result.name === 'error') return { error: result.msg.error.message };
  return { shown: property.split('.').reduce((v, k) => (v === undefined ? v : v[k]), result.msg) };
}

/**
 * Everything that arrives at the given helper nodes from now on: { messages: {name: [msg]},
 * next(name, ms) } - next resolves with the next message at `name` not yet taken, and fails
 * early with the flow's error when the Catch node's debug node (`errors`) gets one first.
 */
function recorder(byName, names) {
  const messages = {};
  const taken = {};
  const waiters = [];
  for (const name of names) {
    messages[name] = [];
    taken[name] = 0;
    helper.getNode(byName[name]).on('input', (msg) => {
      messages[name].push(msg);
      for (const waiter of waiters.splice(0)) waiter();
    });
  }
  function next(name, ms = 20000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing arrived at "${name}" within ${ms} ms`)), ms);
      const check = () => {
        if (messages.errors && messages.errors.length) {
          clearTimeout(timer);
          return reject(new Error(`the flow reported an error: ${messages.errors[0].error && messages.errors[0].error.message}`));
        }
        if (messages[name].length > taken[name]) {
          clearTimeout(timer);
          return resolve(messages[name][taken[name]++]);
        }
        waiters.push(check);
      };
      check();
    });
  }
  return { messages, next };
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
  assert.match(
    device.shown,
    /^CN=mqtt\.home\.arpa\b.*, expires in 36[45] days .*issued by My Home CA, chain OK.*My Home CA.*, valid for mqtt\.home\.arpa, key matches$/,
  );
});

test(
  '03: inspect a certificate file - the ISRG Root X1 file from the system store',
  {
    skip:
      !fs.existsSync('/etc/ssl/certs/ISRG_Root_X1.pem') &&
      'this system has no /etc/ssl/certs/ISRG_Root_X1.pem (Debian: apt-get install ca-certificates)',
  },
  async () => {
    const byName = await load('03 inspect a certificate file.json');
    const first = await press('check file', 'inspection', byName, 'payload');
    assert.equal(first.error, undefined);
    assert.equal(first.shown.certificates[0].subjectFields.CN, 'ISRG Root X1');
    const second = await press('path in msg.filename', 'summary', byName, 'payload.summary');
    assert.match(second.shown, /ISRG Root X1/);
  },
);

/** The certificate a TLS server presents for `servername`, verified against `ca`. */
function servedCertificate(port, servername, ca) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ...(ca ? { ca: [ca] } : { rejectUnauthorized: false }) }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve({ authorized: socket.authorized, fingerprint256: cert.fingerprint256, issuer: cert.issuer });
    });
    socket.once('error', reject);
  });
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

/**
 * Issue 13's rule for every example: nothing that changes what Node-RED serves runs without a
 * click. Nodes that start on their own (an inject firing at deploy or on a timer, an ACME node
 * renewing by itself) may reach a Node-RED HTTPS node that serves only through a gate: a switch
 * "is true" on a msg property that only a button's inject sets, or on a context flag that only
 * a change node after a Node-RED HTTPS node sets (so the first install was a click).
 */
test('no example changes what Node-RED serves without a click', () => {
  const files = fs.readdirSync(path.join(kit.root, 'examples')).filter((f) => f.endsWith('.json'));
  const problems = [];
  for (const file of files) {
    const nodes = JSON.parse(fs.readFileSync(path.join(kit.root, 'examples', file), 'utf8'));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const next = (n) =>
      (n.wires || [])
        .flat()
        .map((id) => byId.get(id))
        .filter(Boolean);
    const reaches = (from, test, seen = new Set()) => next(from).some((n) => !seen.has(n.id) && (seen.add(n.id), test(n) || reaches(n, test, seen)));
    const servesNodeRed = (n) => n.type === 'certflow-https' && n.serve !== false;
    const clickOnly = (n) => n.type === 'inject' && !n.once && !n.repeat && !n.crontab;
    const isGate = (n) => {
      if (n.type !== 'switch' || !(n.rules || []).every((r) => r.t === 'true')) return false;
      if (n.propertyType === 'msg') {
        // set only by buttons' injects
        const setters = nodes.filter((m) => m.type === 'inject' && (m.props || []).some((p) => p.p === n.property));
        return setters.length > 0 && setters.every(clickOnly);
      }
      const setters = nodes.filter((m) => m.type === 'change' && (m.rules || []).some((r) => r.p === n.property && r.pt === n.propertyType));
      return setters.length > 0 && setters.every((m) => nodes.some((h) => servesNodeRed(h) && reaches(h, (x) => x.id === m.id)));
    };
    const reachesUngated = (from, seen = new Set()) =>
      next(from).some((n) => !seen.has(n.id) && (seen.add(n.id), servesNodeRed(n) || (!isGate(n) && reachesUngated(n, seen))));
    for (const n of nodes) {
      const selfStarting = (n.type === 'inject' && !clickOnly(n)) || (n.type === 'certflow-acme' && n.autoRenew !== false);
      if (selfStarting && reachesUngated(n)) problems.push(`${file}: "${n.name || n.type}" reaches Node-RED HTTPS without a click`);
    }
  }
  assert.deepEqual(problems, []);
});

test('21: local CA for a LAN-only Node-RED - nothing at start; each step a button; Node-RED then serves a certificate for localhost and this machine, renewed from the same CA', async (t) => {
  // Node-RED in HTTPS, configured by the settings helper as `npx ... setup-https` does.
  const userDir = tempDir('certflow-example-');
  const settingsHttps = require('../../settings.js').https({ name: 'node-red', userDir, log: () => {} });
  const server = https.createServer(await settingsHttps(), (req, res) => res.end('ok'));
  const port = await listen(server);
  t.after(() => new Promise((resolve) => server.close(resolve)));
  helper._server = server; // RED.server for the nodes, as Node-RED's runtime.server
  helper.settings({ userDir, https: settingsHttps });
  let httpNode;
  const captureHttpNode = (RED) => {
    httpNode = RED.httpNode;
  };
  const bootstrap = (await servedCertificate(port, 'localhost')).fingerprint256;

  const byName = await load('21 local CA for a LAN-only Node-RED.json', {
    modules: [switchNode, httpInNode, captureHttpNode],
    types: ['certflow-https'],
  });
  const seen = recorder(byName, ['CA certificate (to trust)', 'installed', 'errors']);
  const inject = (name) => helper.getNode(byName[name]).receive({});

  // No button runs at deploy (the flow's injects neither fire "once" nor before a click)...
  const flow = JSON.parse(fs.readFileSync(path.join(kit.root, 'examples', '21 local CA for a LAN-only Node-RED.json'), 'utf8'));
  assert.deepEqual(
    flow.filter((n) => n.type === 'inject' && n.once).map((n) => n.name),
    [],
  );
  // ...and serving before the CA exists is a clear error that changes nothing.
  const caught = new Promise((resolve) => helper.getNode(byName.errors).once('input', resolve));
  inject('3. serve a certificate from it');
  const refusal = await caught;
  assert.match(refusal.error.message, /no CA private key found in global\.lanCa: save the CA's bundle there first/);
  assert.equal((await servedCertificate(port, 'localhost')).fingerprint256, bootstrap, 'Node-RED still serves its bootstrap certificate');
  seen.messages.errors.length = 0;

  // 1. make the CA.
  inject('1. make the CA');
  const ca = (await seen.next('CA certificate (to trust)')).payload.cert;
  const caCert = new crypto.X509Certificate(ca);
  assert.equal(caCert.ca, true, 'the CA certificate should be a CA');
  assert.match(caCert.subject, /CN=My LAN CA/);

  // 3. serve a certificate from it: for localhost and this machine's names and addresses.
  inject('3. serve a certificate from it');
  const first = (await seen.next('installed')).installed;
  assert.equal(first.served, true, 'the certificate should be served at once');
  for (const name of ['DNS:localhost', 'IP:127.0.0.1', `DNS:${os.hostname().toLowerCase()}`]) {
    assert.ok(first.altNames.includes(name), `the certificate should be for ${name}: ${first.altNames.join(', ')}`);
  }
  // A browser that trusts the CA (and nothing else) accepts Node-RED under localhost.
  const served = await servedCertificate(port, 'localhost', ca);
  assert.equal(served.authorized, true);
  assert.equal(served.fingerprint256, first.fingerprint256);
  assert.equal(served.issuer.CN, 'My LAN CA');
  const status = kit.statusCalls(byName['type:certflow-https']).at(-1);
  assert.equal(status.fill, 'green', `Node-RED HTTPS status: ${JSON.stringify(status)}`);
  assert.match(status.text, /^serving until \d{4}-\d\d-\d\d \((89|90) d\)$/);

  // The CA certificate can be downloaded from Node-RED, as the comment tells.
  const app = http.createServer(httpNode);
  const appPort = await listen(app);
  t.after(() => new Promise((resolve) => app.close(resolve)));
  const download = await fetch(`http://127.0.0.1:${appPort}/lan-ca.crt`);
  assert.equal(download.status, 200);
  assert.match(download.headers.get('content-type'), /^application\/x-x509-ca-cert\b/);
  assert.equal(await download.text(), ca);

  // Pressing "make the CA" again keeps the CA; the daily run (open after step 3) renews from it.
  inject('1. make the CA');
  inject('renew daily (after step 3)');
  const second = (await seen.next('installed')).installed;
  assert.notEqual(second.fingerprint256, first.fingerprint256, 'the daily run should install a new certificate');
  assert.equal((await servedCertificate(port, 'localhost', ca)).fingerprint256, second.fingerprint256);
  assert.equal(seen.messages['CA certificate (to trust)'].length, 1, 'a CA exists: no new CA should be made');
});

test('23: expiry monitor - files and servers with less than 21 days left are alerted, a failed check too, long-lived ones only reported', async (t) => {
  const { generateKey } = require('../../dist/lib/pki/keys');
  const { createSelfSigned } = require('../../dist/lib/pki/sign');
  const dir = tempDir('certflow-example-');
  async function certificate(name, days) {
    const { privateKeyPem } = await generateKey('ec-p256');
    const cert = await createSelfSigned({ key: privateKeyPem, subject: { CN: name }, altNames: [name], days });
    return { key: privateKeyPem, cert };
  }
  const soon = await certificate('soon.example', 5);
  const later = await certificate('later.example', 200);
  fs.writeFileSync(path.join(dir, 'soon.pem'), soon.cert);
  fs.writeFileSync(path.join(dir, 'later.pem'), later.cert);
  const server = tls.createServer({ key: soon.key, cert: soon.cert }, (socket) => socket.end());
  const port = await listen(server);
  t.after(() => new Promise((resolve) => server.close(resolve)));

  // The example's own list needs the internet: the test sends its list into "split", as the inject would.
  const byName = await load('23 expiry monitor with alerts.json', {
    modules: [switchNode, splitNode],
    edit: (n) => (n.type === 'inject' ? { ...n, once: false, crontab: '' } : n),
  });
  const seen = recorder(byName, ['report', 'ALERT (your e-mail node here)']);
  const list = [
    { file: path.join(dir, 'soon.pem') },
    { file: path.join(dir, 'later.pem') },
    { host: '127.0.0.1', port },
    { file: path.join(dir, 'missing.pem') },
  ];
  helper.getNode(byName['one check each']).receive({ payload: list });

  const alerts = [];
  for (let i = 0; i < 3; i++) alerts.push(await seen.next('ALERT (your e-mail node here)'));
  const reports = [];
  for (let i = 0; i < 3; i++) reports.push((await seen.next('report')).payload.summary);
  const byTopic = alerts.map((m) => `${m.topic} | ${m.payload}`).sort();
  assert.equal(alerts.length, 3);
  assert.ok(
    byTopic.some((a) =>
      a.startsWith(`Certificate expires soon: ${path.join(dir, 'soon.pem')} | ${path.join(dir, 'soon.pem')}: CN=soon.example, expires in `),
    ),
    byTopic.join('\n'),
  );
  assert.ok(
    byTopic.some((a) => a.startsWith(`Certificate expires soon: 127.0.0.1:${port} | 127.0.0.1:${port}: `) && /expires in [45] days/.test(a)),
    byTopic.join('\n'),
  );
  assert.ok(
    byTopic.some((a) => a.startsWith('Certificate check failed | Certificate check failed: cannot read the file ') && a.includes('missing.pem')),
    byTopic.join('\n'),
  );
  // Catch nodes get the sentence, not a class name in front of it ("CertflowError: ...")
  assert.ok(!byTopic.some((a) => a.includes('CertflowError')), byTopic.join('\n'));
  assert.ok(!byTopic.some((a) => a.includes('later')), 'a certificate with 200 days left is no alert');
  assert.ok(
    reports.some((r) => /CN=later\.example, expires in 19\d days/.test(r)),
    reports.join('\n'),
  );
});
