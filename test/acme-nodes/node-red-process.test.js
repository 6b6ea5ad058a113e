'use strict';
// The ACME nodes in a REAL Node-RED process (red.js, settings, userDir, admin API), against a
// real Pebble that requires External Account Binding:
// - the certificate is issued by the renewal timer alone, through the real /.well-known route
//   on Node-RED's own port;
// - the EAB HMAC key is a password credential: GET /credentials never returns it;
// - the admin endpoints give the editor the directory's terms, EAB need and profiles;
// - a wrong HMAC gives a clear error; no secret reaches Node-RED's log;
// - after a restart WITHOUT a redeploy the account (key + URL) is still the same one.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const net = require('node:net');
const path = require('node:path');
const { startNodeRed, makeUserDir, linkPackageInto, problemLines, repoRoot } = require('../harness/node-red-process');
const { startPebble } = require('../harness/pebble');
const { opensslVerify } = require('../harness/acme-helpers');
const { waitFor, secretLines } = require('./kit');
const { accountNode, renewInject } = require('../harness/acme-flows');

const EAB_KID = 'kid-certflow';
const EAB_HMAC = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
const WRONG_HMAC = 'aWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';

let nodeRed;
let pebble;
let userDir;
let forwarder;

before(async () => {
  userDir = makeUserDir('certflow-acme-nr-');
  linkPackageInto(userDir);
  nodeRed = await startNodeRed({ userDir, linkPackage: false });
  pebble = await startPebble({ httpPort: nodeRed.port, eab: { [EAB_KID]: EAB_HMAC } });
});

after(async () => {
  if (process.env.SHOW_NODE_RED_LOG) console.log(nodeRed?.log());
  forwarder?.close();
  await nodeRed?.stop();
  await pebble?.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
});

function flows() {
  const account = (id, hmacKey) => accountNode(pebble, { id, credentials: { eabKid: EAB_KID, eabHmacKey: hmacKey } });
  return [
    { id: 'tab1', type: 'tab', label: 'acme' },
    account('acct', EAB_HMAC),
    account('wrong', WRONG_HMAC),
    {
      id: 'acme',
      type: 'certflow-acme',
      z: 'tab1',
      account: 'acct',
      identifiers: 'nr.example.test',
      profile: 'shortlived',
      autoRenew: true,
      checkInterval: '0.0005',
      x: 300,
      y: 80,
      wires: [[], []],
    },
    renewInject({ z: 'tab1', y: 80 }),
    {
      id: 'acme-wrong',
      type: 'certflow-acme',
      z: 'tab1',
      account: 'wrong',
      identifiers: 'wrong.example.test',
      autoRenew: false,
      x: 300,
      y: 160,
      wires: [[], []],
    },
    { id: 'go-wrong', type: 'inject', z: 'tab1', props: [], repeat: '', once: false, x: 100, y: 160, wires: [['acme-wrong']] },
  ];
}

const certDir = () => path.join(userDir, 'certificates', 'nr.example.test');
const accountFile = () => path.join(userDir, 'certificates', '_accounts', 'acct', 'account.json');
const readJson = async (file) => JSON.parse(await fsp.readFile(file, 'utf8'));
const serialOf = async () => new X509Certificate(await fsp.readFile(path.join(certDir(), 'cert.pem'))).serialNumber;

test("the renewal timer issues the certificate through the route on Node-RED's own port", async () => {
  await nodeRed.adminPost('/flows', { flows: flows() });
  await waitFor(() => fs.existsSync(path.join(certDir(), 'state.json')), 30000);
  const cert = await fsp.readFile(path.join(certDir(), 'cert.pem'), 'utf8');
  const chain = await fsp.readFile(path.join(certDir(), 'chain.pem'), 'utf8');
  assert.match(await opensslVerify(cert, pebble.rootPem, chain), /OK/);
  const x = new X509Certificate(cert);
  assert.ok(x.checkHost('nr.example.test'));
  assert.equal(Math.round((Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86400000), 6); // the 'shortlived' profile
  assert.equal((await readJson(path.join(certDir(), 'state.json'))).profile, 'shortlived');
});

test('the EAB HMAC key is never sent back to the editor', async () => {
  const creds = await nodeRed.adminGet('/credentials/certflow-acme-account/acct');
  assert.deepEqual(creds, { eabKid: EAB_KID, has_eabHmacKey: true });
  const flowsBack = JSON.stringify(await nodeRed.adminGet('/flows'));
  assert.ok(!flowsBack.includes(EAB_HMAC));
  assert.ok(!fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8').includes(EAB_HMAC));
});

test("admin endpoints give the editor the CA presets and the directory's terms, EAB need and profiles", async () => {
  const presets = await nodeRed.adminGet('/certflow-acme-account/presets');
  assert.ok(presets.some((p) => p.id === 'letsencrypt' && /acme-v02\.api\.letsencrypt\.org/.test(p.directoryUrl)));
  const meta = await nodeRed.adminGet(`/certflow-acme-account/directory?directory=${encodeURIComponent(pebble.directoryUrl)}&node=acct`);
  assert.equal(meta.externalAccountRequired, true);
  assert.deepEqual(Object.keys(meta.profiles).sort(), ['default', 'shortlived']);
  assert.equal(meta.renewalInfo, true);
  assert.ok(meta.termsOfService);
  // without the account's CA certificate, Pebble's HTTPS is not trusted: a clear answer, not a hang
  // (the same one for every failure at a URL of the caller's choice: see admin-permissions.test.js)
  const res = await fetch(`${nodeRed.url}/certflow-acme-account/directory?directory=${encodeURIComponent(pebble.directoryUrl)}`);
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /did not answer as an ACME directory .*for a private CA give its CA certificate/);
});

test('the dialog\'s "Change account key" (POST /certflow-acme-account/:id/rollover) changes the key at the CA, keeps the account', async () => {
  const before = await readJson(accountFile());
  const res = await fetch(`${nodeRed.url}/certflow-acme-account/acct/rollover`, { method: 'POST' });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.accountUrl, before.accountUrl);
  assert.deepEqual(Object.keys(body), ['accountUrl']); // nothing secret in the answer
  const after = await readJson(accountFile());
  assert.notEqual(after.accountKeyPem, before.accountKeyPem);
  const notDeployed = await fetch(`${nodeRed.url}/certflow-acme-account/nosuchnode/rollover`, { method: 'POST' });
  assert.equal(notDeployed.status, 404);
  assert.match((await notDeployed.json()).error, /deploy/);
});

test('a wrong EAB HMAC key gives a clear error', async () => {
  const before = nodeRed.log().length;
  await fetch(`${nodeRed.url}/inject/go-wrong`, { method: 'POST' });
  await nodeRed.waitForLog(/\[error\] \[certflow-acme:acme-wrong\].*the CA refused the External Account Binding/, { from: before });
  assert.ok(!fs.existsSync(path.join(userDir, 'certificates', '_accounts', 'wrong')));
});

test('after a restart without a redeploy, the same account renews (its key and URL were kept)', async () => {
  const account = await readJson(accountFile());
  assert.equal((await fsp.stat(accountFile())).mode & 0o777, 0o600);
  const serial = await serialOf();
  const oldPort = nodeRed.port;
  await nodeRed.stop();
  nodeRed = await startNodeRed({ userDir, linkPackage: false });
  // Pebble (and the accounts it knows) stays up; its VA still dials the old port: forward it
  forwarder = await forward(oldPort, nodeRed.port);

  await fetch(`${nodeRed.url}/inject/renew`, { method: 'POST' });
  await waitFor(async () => (await serialOf().catch(() => serial)) !== serial, 30000);
  const after = await readJson(accountFile());
  assert.equal(after.accountKeyPem, account.accountKeyPem);
  assert.equal(after.accountUrl, account.accountUrl);
  assert.equal((await readJson(path.join(certDir(), 'state.json'))).accountUrl, account.accountUrl);
});

test("no private key, account key or HMAC key in Node-RED's log", async () => {
  const log = nodeRed.log();
  const account = await readJson(accountFile());
  const key = await fsp.readFile(path.join(certDir(), 'privkey.pem'), 'utf8');
  assert.doesNotMatch(log, /PRIVATE KEY/);
  for (const secret of [EAB_HMAC, WRONG_HMAC, ...secretLines(account.accountKeyPem), ...secretLines(key)]) assert.ok(!log.includes(secret));
});

test('every ACME example flow deploys into the real Node-RED with no error or warning, and does nothing until configured', async () => {
  const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => /ACME/i.test(f));
  assert.ok(examples.length >= 3);
  for (const file of examples) {
    const nodes = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8'));
    const before = nodeRed.log().length;
    // resolves once the flows have started: a node's problems at start are in the log by then
    await nodeRed.adminPost('/flows', {
      flows: [{ id: 'extab', type: 'tab', label: file }, ...nodes.map((n) => (n.x === undefined ? n : { ...n, z: 'extab' }))],
    });
    const problems = problemLines(nodeRed.log().slice(before));
    assert.deepEqual(problems, [], `${file}: ${problems.join('\n')}`);
    // we never agree to a CA's terms for the user
    assert.ok(
      nodes.filter((n) => n.type === 'certflow-acme-account').every((n) => n.agreeTos === false),
      file,
    );
  }
});

/** A TCP forwarder 127.0.0.1:from -> 127.0.0.1:to. */
function forward(from, to) {
  const server = net.createServer((client) => {
    const upstream = net.connect(to, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(from, '127.0.0.1', () => resolve(server));
  });
}
