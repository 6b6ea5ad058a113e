'use strict';
// certflow-acme against a real Pebble, answering http-01 through Node-RED's own HTTP server
// (the /.well-known/acme-challenge/:token route on RED.httpNode): issue, renew, share one
// order, 'get', revoke, the renewal timer, and the errors a user sees through a Catch node.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { freeTcpPort } = require('../harness/pebble');
const { opensslVerify } = require('../harness/acme-helpers');
const kit = require('./kit');

const { helper } = kit;
/** Every private key the tests saw (certificate keys, the account key) is remembered: none may ever be shown. */
const { state, remember: rememberKey } = kit.setUpAcmeNodeTests({ withServer: true });

function flow(acme = {}, account = {}) {
  return [
    kit.accountNode(state.pebble, account),
    {
      id: 'acme',
      type: 'certflow-acme',
      account: 'acct',
      identifiers: 'a.example.test, b.example.test',
      profile: 'default',
      autoRenew: false,
      wires: [['out'], ['dns']],
      ...acme,
    },
    { id: 'out', type: 'helper' },
    { id: 'dns', type: 'helper' },
    ...kit.catchNodes,
    ...kit.completeNodes('acme'),
  ];
}

function remember(bundle) {
  rememberKey(bundle.key);
}

async function rememberAccountKey() {
  const file = path.join(state.userDir, 'certificates', '_accounts', 'acct', 'account.json');
  const account = JSON.parse(await fsp.readFile(file, 'utf8'));
  rememberKey(account.accountKeyPem);
  return { account, mode: (await fsp.stat(file)).mode & 0o777 };
}

test('issues a certificate through the Node-RED route that openssl verifies; key and account files are 0600', async () => {
  await kit.loadFlow(flow());
  const { ok, caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught');
  assert.equal(caught, undefined, caught && caught.error.message);
  const bundle = ok.payload;
  remember(bundle);
  assert.equal(ok.topic, 'a.example.test');
  assert.match(await opensslVerify(bundle.cert, state.pebble.rootPem, bundle.chain.join('')), /OK/);
  assert.equal(bundle.fullchain, bundle.cert + bundle.chain.join(''));
  const cert = new X509Certificate(bundle.cert);
  assert.ok(cert.checkHost('a.example.test') && cert.checkHost('b.example.test'));
  assert.ok(cert.checkPrivateKey(require('node:crypto').createPrivateKey(bundle.key)));
  assert.equal(bundle.info.daysRemaining, 89);
  assert.match(bundle.renewal.due, /^\d{4}-\d\d-\d\dT/);
  assert.ok(['ari', 'lifetime'].includes(bundle.renewal.source));

  const texts = kit.statusCalls('acme').map((s) => s.text);
  for (const step of ['creating account', 'ordering', 'http-01 for a.example.test', 'finalizing']) {
    assert.ok(
      texts.some((t) => t && t.startsWith(step)),
      `status "${step}" missing in ${JSON.stringify(texts)}`,
    );
  }
  assert.match(texts[texts.length - 1], /^expires in 8\d d$/);

  const keyFile = path.join(state.userDir, 'certificates', 'a.example.test', 'privkey.pem');
  assert.equal((await fsp.stat(keyFile)).mode & 0o777, 0o600);
  const { mode } = await rememberAccountKey();
  assert.equal(mode, 0o600);
});

test('the route answers 404 for a token of no order in progress', async () => {
  await kit.loadFlow(flow());
  const res = await fetch(`${helper.url()}/.well-known/acme-challenge/someTokenNobodyAsked_123`);
  assert.equal(res.status, 404);
});

test('a plain trigger does not renew a fresh certificate; msg.renew = true does; "get" sends the current one', async () => {
  await kit.loadFlow(flow({ certName: 'renewals', identifiers: 'r.example.test' }));
  const first = await kit.outcome('acme', { payload: 1 }, 'out', 'caught');
  assert.ok(first.ok, first.caught && first.caught.error.message);
  const serial = new X509Certificate(first.ok.payload.cert).serialNumber;
  remember(first.ok.payload);

  const outputs = kit.collect('out');
  await kit.firstOf('acme', { payload: 2 }, { done: 'completed-acme', caught: 'caught' });
  assert.equal(outputs.length, 0, 'a fresh certificate was renewed by a plain trigger');
  assert.match(kit.statusCalls('acme').at(-1).text, /^expires in 8\d d$/);

  const got = await kit.outcome('acme', { topic: 'get' }, 'out', 'caught');
  assert.equal(new X509Certificate(got.ok.payload.cert).serialNumber, serial);

  const renewed = await kit.outcome('acme', { payload: 3, renew: true }, 'out', 'caught');
  assert.ok(renewed.ok, renewed.caught && renewed.caught.error.message);
  remember(renewed.ok.payload);
  assert.notEqual(new X509Certificate(renewed.ok.payload.cert).serialNumber, serial);
  assert.match(await opensslVerify(renewed.ok.payload.cert, state.pebble.rootPem, renewed.ok.payload.chain.join('')), /OK/);
});

test('concurrent triggers share one order', async () => {
  await kit.loadFlow(flow({ certName: 'shared', identifiers: 'c.example.test' }));
  const outputs = kit.collect('out');
  for (let i = 0; i < 3; i += 1) helper.getNode('acme').receive({ payload: i, renew: true });
  const deadline = Date.now() + 30000;
  while (outputs.length < 3 && Date.now() < deadline) await kit.sleep(50);
  assert.equal(outputs.length, 3);
  const serials = new Set(outputs.map((m) => new X509Certificate(m.payload.cert).serialNumber));
  assert.equal(serials.size, 1, 'three triggers made more than one certificate');
  outputs.forEach((m) => remember(m.payload));
  const stored = JSON.parse(await fsp.readFile(path.join(state.userDir, 'certificates', 'shared', 'state.json'), 'utf8'));
  assert.equal(stored.serialNumber.toLowerCase(), [...serials][0].toLowerCase());
});

test('names from msg.domains, an RSA key, revocation by message, then a new order', async () => {
  await kit.loadFlow(flow({ identifiers: '', keyType: 'rsa-2048' }));
  const issued = await kit.outcome('acme', { domains: ['rsa.example.test'] }, 'out', 'caught');
  assert.ok(issued.ok, issued.caught && issued.caught.error.message);
  remember(issued.ok.payload);
  assert.equal(issued.ok.topic, 'rsa.example.test');
  assert.equal(new X509Certificate(issued.ok.payload.cert).publicKey.asymmetricKeyType, 'rsa');

  const caught = kit.collect('caught');
  helper.getNode('acme').receive({ topic: 'revoke', domains: 'rsa.example.test', reason: 'superseded' });
  await kit.waitFor(() => caught.length || /revoked/.test(kit.statusCalls('acme').at(-1).text));
  assert.equal(caught.length, 0, caught[0] && caught[0].error.message);

  const again = await kit.outcome('acme', { domains: 'rsa.example.test' }, 'out', 'caught');
  assert.ok(again.ok, again.caught && again.caught.error.message);
  remember(again.ok.payload);
  assert.notEqual(new X509Certificate(again.ok.payload.cert).serialNumber, new X509Certificate(issued.ok.payload.cert).serialNumber);
});

test("msg.topic 'rollover-account-key' gives the account a new key; the account keeps ordering with it", async () => {
  await kit.loadFlow(flow({ certName: 'rollover', identifiers: 'roll.example.test' }));
  const first = await kit.outcome('acme', { payload: 1 }, 'out', 'caught');
  assert.ok(first.ok, first.caught && first.caught.error.message);
  remember(first.ok.payload);
  const { account: before } = await rememberAccountKey();

  const caught = kit.collect('caught');
  helper.getNode('acme').receive({ topic: 'rollover-account-key' });
  await kit.waitFor(() => caught.length || kit.statusCalls('acme').at(-1).text === 'account key changed');
  assert.equal(caught.length, 0, caught[0] && caught[0].error.message);
  const { account: after, mode } = await rememberAccountKey();
  assert.notEqual(after.accountKeyPem, before.accountKeyPem);
  assert.equal(after.accountUrl, before.accountUrl);
  assert.equal(mode, 0o600);

  const renewed = await kit.outcome('acme', { renew: true }, 'out', 'caught');
  assert.ok(renewed.ok, renewed.caught && renewed.caught.error.message);
  remember(renewed.ok.payload);
  const stored = JSON.parse(await fsp.readFile(path.join(state.userDir, 'certificates', 'rollover', 'state.json'), 'utf8'));
  assert.equal(stored.accountUrl, before.accountUrl);
});

test('with automatic renewal on, the node orders by itself soon after deploy', async () => {
  await kit.loadFlow(flow({ certName: 'auto', identifiers: 'auto.example.test', autoRenew: true, checkInterval: 0.0005 }));
  const msg = await kit.nextMessage('out', 30000);
  remember(msg.payload);
  assert.equal(msg.topic, 'auto');
  assert.match(await opensslVerify(msg.payload.cert, state.pebble.rootPem, msg.payload.chain.join('')), /OK/);
  assert.match(kit.statusCalls('acme').at(-1).text, /^expires in 8\d d, next check \d\d:\d\d$/);
});

test('clear errors through Catch: terms not agreed, invalid name, CA unreachable; no file written', async (t) => {
  const before = await listFiles(path.join(state.userDir, 'certificates'));

  await kit.loadFlow(flow({ certName: 'tos', identifiers: 'tos.example.test' }, { id: 'acct', agreeTos: false }));
  let r = await kit.outcome('acme', { payload: 1 }, 'out', 'caught');
  assert.match(r.caught.error.message, /terms of service/);
  t.diagnostic(r.caught.error.message);
  assert.equal(kit.statusCalls('acme').at(-1).fill, 'red');
  await helper.unload();

  await kit.loadFlow(flow({ certName: 'bad', identifiers: 'exa mple.com' }));
  r = await kit.outcome('acme', { payload: 1 }, 'out', 'caught');
  assert.match(r.caught.error.message, /exa mple\.com/);
  t.diagnostic(r.caught.error.message);
  await helper.unload();

  const closedPort = await freeTcpPort();
  await kit.loadFlow(flow({ certName: 'gone', identifiers: 'gone.example.test' }, { directoryUrl: `https://127.0.0.1:${closedPort}/dir` }));
  const started = Date.now();
  r = await kit.outcome('acme', { payload: 1 }, 'out', 'caught');
  assert.match(r.caught.error.message, new RegExp(`cannot reach the ACME server 127\\.0\\.0\\.1:${closedPort}`));
  assert.ok(Date.now() - started < 15000);
  t.diagnostic(`${r.caught.error.message} (${Date.now() - started} ms)`);

  assert.deepEqual(await listFiles(path.join(state.userDir, 'certificates')), before, 'a failed order changed stored files');
});

async function listFiles(dir) {
  const out = [];
  async function walk(d) {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(`${path.relative(dir, full)}:${(await fsp.stat(full)).mtimeMs}`);
    }
  }
  await walk(dir);
  return out.sort();
}
