'use strict';
// The offline nodes in the real Node-RED runtime: generate key -> create CSR -> sign -> inspect,
// a self-signed certificate, a CA that signs a CSR, and openssl as the independent judge.
const { test, describe, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const kit = require('./node-test-kit');
const { tempDir } = require('../harness/temp-dir');

const { helper } = kit;
afterEach(() => helper.unload());

function openssl(args, input) {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Writes PEM texts into a temp dir, runs fn(paths), removes the dir. */
function withFiles(files, fn) {
  const dir = tempDir('certflow-nodes-');
  try {
    const paths = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = path.join(dir, name);
      fs.writeFileSync(paths[name], text, { mode: 0o600 });
    }
    return fn(paths);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const { catchNodes } = kit;

describe('each node loads in the real runtime', () => {
  for (const type of kit.TYPES) {
    test(type, async () => {
      await kit.loadFlow([{ id: 'n1', type, name: `my ${type}` }]);
      const node = helper.getNode('n1');
      assert.ok(node, `${type} was not created`);
      assert.equal(node.type, type);
      assert.equal(node.name, `my ${type}`);
    });
  }
});

test('key -> csr -> sign (own CA) -> inspect: a bundle with key, csr, cert and info; openssl agrees', async () => {
  await kit.loadFlow([
    // the CA, made by the same nodes and kept in flow context as the example does
    { id: 'caKey', type: 'certflow-key', algorithm: 'ec-p384', wires: [['caSign']] },
    { id: 'caSign', type: 'certflow-sign', mode: 'ca', cn: 'Test Home CA', cnType: 'str', O: 'Test', pathLength: '0', wires: [['caOut']] },
    { id: 'caOut', type: 'helper' },
    { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['csr']] },
    {
      id: 'csr',
      type: 'certflow-csr',
      cn: 'device.example.test',
      cnType: 'str',
      altNames: 'www.example.test, 192.168.1.20, fd00::20, ops@example.test',
      altNamesType: 'str',
      O: 'Example',
      C: 'de',
      wires: [['sign']],
    },
    {
      id: 'sign',
      type: 'certflow-sign',
      mode: 'csr',
      days: '90',
      clientAuth: true,
      caKeyFrom: 'ca',
      caKeyFromType: 'flow',
      caCertFrom: 'ca',
      caCertFromType: 'flow',
      wires: [['inspect']],
    },
    {
      id: 'inspect',
      type: 'certflow-inspect',
      source: 'payload',
      checkHost: 'www.example.test',
      checkHostType: 'str',
      trust: 'ca',
      trustCa: 'payload.ca',
      trustCaType: 'msg',
      wires: [['out'], ['alert']],
    },
    { id: 'out', type: 'helper' },
    { id: 'alert', type: 'helper' },
    ...catchNodes,
  ]);
  const ca = await kit.outcome('caKey', { payload: Date.now() }, 'caOut', 'caught');
  assert.ok(ca.ok, `CA creation failed: ${ca.caught && ca.caught.error.message}`);
  helper.getNode('sign').context().flow.set('ca', ca.ok.payload);

  const result = await kit.outcome('key', { payload: Date.now(), topic: 'device' }, 'out', 'caught');
  assert.ok(result.ok, `flow failed: ${result.caught && result.caught.error.message}`);
  const bundle = result.ok.payload;
  assert.equal(result.ok.topic, 'device', 'the msg travels on, other properties kept');
  for (const field of ['key', 'publicKey', 'csr', 'cert', 'chain', 'fullchain', 'ca', 'info']) assert.ok(bundle[field], `bundle.${field} missing`);
  assert.match(bundle.key, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(bundle.csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
  assert.match(bundle.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.deepEqual(bundle.chain, [ca.ok.payload.cert]);
  assert.equal(bundle.ca, ca.ok.payload.cert);
  assert.equal(bundle.fullchain, bundle.cert + ca.ok.payload.cert);

  const info = bundle.info;
  assert.equal(Object.keys(info)[0], 'summary', 'the summary comes first for the Debug sidebar');
  assert.equal(info.ok, true, `problems: ${info.problems}`);
  const leaf = info.certificates[0];
  assert.deepEqual(
    leaf.altNames.map((n) => `${n.type}:${n.value}`).sort(),
    ['dns:device.example.test', 'dns:www.example.test', 'email:ops@example.test', 'ip:192.168.1.20', 'ip:fd00::20'].sort(),
  );
  assert.ok(leaf.daysRemaining === 89 || leaf.daysRemaining === 90, `daysRemaining ${leaf.daysRemaining}`);
  assert.equal(leaf.lifetimeDays, 90);
  assert.deepEqual([...leaf.extendedKeyUsage].sort(), ['clientAuth', 'serverAuth']);
  assert.equal(info.checks.host.matches, true);
  assert.equal(info.checks.keyMatchesCertificate, true);
  assert.equal(info.chain.ok, true);
  assert.match(info.summary, /expires in (89|90) days/);

  assert.deepEqual(kit.statusCalls('key').pop(), { fill: 'green', shape: 'dot', text: 'EC P-256' });
  assert.deepEqual(kit.statusCalls('csr').pop(), { fill: 'green', shape: 'dot', text: 'CSR for device.example.test' });
  assert.match(kit.statusCalls('sign').pop().text, /^device\.example\.test, expires in (89|90) days$/);
  assert.match(kit.statusCalls('inspect').pop().text, /^expires in (89|90) days$/);

  withFiles({ 'key.pem': bundle.key, 'cert.pem': bundle.cert, 'ca.pem': bundle.ca, 'csr.pem': bundle.csr }, (p) => {
    openssl(['pkey', '-check', '-noout', '-in', p['key.pem']]);
    openssl(['req', '-verify', '-noout', '-in', p['csr.pem']]);
    const text = openssl(['x509', '-noout', '-text', '-in', p['cert.pem']]);
    assert.match(text, /DNS:www\.example\.test/);
    assert.match(text, /IP Address:192\.168\.1\.20/);
    assert.match(text, /TLS Web Client Authentication/);
    assert.match(openssl(['verify', '-CAfile', p['ca.pem'], p['cert.pem']]), /OK/);
    // the key belongs to the certificate: same public key
    assert.equal(openssl(['pkey', '-in', p['key.pem'], '-pubout']), openssl(['x509', '-noout', '-pubkey', '-in', p['cert.pem']]));
    const caText = openssl(['x509', '-noout', '-text', '-in', p['ca.pem']]);
    assert.match(caText, /CA:TRUE, pathlen:0/);
  });
});

test('self-signed certificate from an encrypted key (passphrase from msg), accepted by openssl', async () => {
  await kit.loadFlow([
    { id: 'key', type: 'certflow-key', algorithm: 'rsa-2048', passphraseFrom: 'passphrase', passphraseFromType: 'msg', wires: [['sign']] },
    {
      id: 'sign',
      type: 'certflow-sign',
      mode: 'self-signed',
      cn: 'gateway.local',
      cnType: 'str',
      altNames: 'gateway.local, 10.1.2.3',
      altNamesType: 'str',
      passphraseFrom: 'passphrase',
      passphraseFromType: 'msg',
      wires: [['out']],
    },
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  const passphrase = 'correct horse battery staple';
  const result = await kit.outcome('key', { payload: 'go', passphrase }, 'out', 'caught');
  assert.ok(result.ok, `flow failed: ${result.caught && result.caught.error.message}`);
  const bundle = result.ok.payload;
  assert.match(bundle.key, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.deepEqual(bundle.chain, []);
  assert.equal(bundle.ca, bundle.cert, 'a self-signed certificate is its own trust anchor');
  assert.deepEqual(kit.statusCalls('key').pop(), { fill: 'green', shape: 'dot', text: 'RSA 2048, encrypted' });
  withFiles({ 'key.pem': bundle.key, 'cert.pem': bundle.cert }, (p) => {
    openssl(['pkey', '-check', '-noout', '-in', p['key.pem'], '-passin', `pass:${passphrase}`]);
    const text = openssl(['x509', '-noout', '-text', '-in', p['cert.pem']]);
    assert.match(text, /Subject: CN ?= ?gateway\.local/);
    assert.match(text, /IP Address:10\.1\.2\.3/);
    assert.match(openssl(['verify', '-CAfile', p['cert.pem'], p['cert.pem']]), /OK/);
  });
});

test('every key algorithm of the dialog, and msg.algorithm overrides it', async () => {
  await kit.loadFlow([{ id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['out']] }, { id: 'out', type: 'helper' }, ...catchNodes]);
  const expected = {
    'ec-p256': 'EC P-256',
    'ec-p384': 'EC P-384',
    'ec-p521': 'EC P-521',
    'rsa-2048': 'RSA 2048',
    ed25519: 'Ed25519',
    'RSA 3072': 'RSA 3072',
  };
  for (const [algorithm, label] of Object.entries(expected)) {
    const result = await kit.outcome('key', { payload: 1, algorithm }, 'out', 'caught');
    assert.ok(result.ok, `${algorithm}: ${result.caught && result.caught.error.message}`);
    assert.equal(kit.statusCalls('key').pop().text, label);
    withFiles({ 'key.pem': result.ok.payload.key }, (p) => openssl(['pkey', '-check', '-noout', '-in', p['key.pem']]));
  }
});

test("a new key drops the old key's csr and cert but keeps other bundle fields", async () => {
  await kit.loadFlow([{ id: 'key', type: 'certflow-key', algorithm: 'ed25519', wires: [['out']] }, { id: 'out', type: 'helper' }, ...catchNodes]);
  const old = { key: 'old', csr: 'old csr', cert: 'old cert', chain: ['x'], fullchain: 'y', info: {}, ca: 'my ca', device: 'boiler' };
  const result = await kit.outcome('key', { payload: old }, 'out', 'caught');
  assert.deepEqual(Object.keys(result.ok.payload).sort(), ['ca', 'device', 'key', 'publicKey']);
  assert.equal(result.ok.payload.device, 'boiler');
});

test('the CSR node takes a bare key PEM, the key from context, and names from msg', async () => {
  await kit.loadFlow([
    { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['keyOut']] },
    { id: 'keyOut', type: 'helper' },
    { id: 'csr1', type: 'certflow-csr', cn: 'name', cnType: 'msg', altNames: 'names', altNamesType: 'msg', wires: [['out']] },
    {
      id: 'csr2',
      type: 'certflow-csr',
      keyFrom: 'deviceKey',
      keyFromType: 'global',
      cn: 'Boiler controller',
      cnType: 'str',
      altNames: '{"dns":["boiler.home.arpa"],"ip":["10.0.0.7"]}',
      altNamesType: 'json',
      wires: [['out']],
    },
    { id: 'inspect', type: 'certflow-inspect', wires: [['out'], []] },
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  const key = (await kit.outcome('key', { payload: 1 }, 'keyOut', 'caught')).ok.payload.key;

  const first = await kit.outcome('csr1', { payload: key, name: 'a.example.test', names: ['b.example.test', 'IP:10.0.0.1'] }, 'out', 'caught');
  assert.ok(first.ok, first.caught && first.caught.error.message);
  assert.deepEqual(Object.keys(first.ok.payload).sort(), ['csr', 'key']);

  helper.getNode('csr2').context().global.set('deviceKey', key);
  const second = await kit.outcome('csr2', { payload: 'trigger' }, 'out', 'caught');
  assert.ok(second.ok, second.caught && second.caught.error.message);
  assert.deepEqual(Object.keys(second.ok.payload), ['csr'], 'the key from context is not copied into the message');

  const inspected = await kit.outcome('inspect', { payload: second.ok.payload.csr }, 'out', 'caught');
  const info = inspected.ok.payload;
  assert.equal(info.kind, 'csr');
  assert.equal(info.csr.subject.CN, 'Boiler controller');
  assert.deepEqual(info.csr.altNames, [
    { type: 'dns', value: 'boiler.home.arpa' },
    { type: 'ip', value: '10.0.0.7' },
  ]);
});

test('an intermediate CA signed by the root, and a leaf whose chain is intermediate + root', async () => {
  await kit.loadFlow([
    { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['keyOut']] },
    { id: 'keyOut', type: 'helper' },
    { id: 'root', type: 'certflow-sign', mode: 'ca', cn: 'Root', cnType: 'str', wires: [['out']] },
    {
      id: 'intermediate',
      type: 'certflow-sign',
      mode: 'ca',
      cn: 'Intermediate',
      cnType: 'str',
      pathLength: '0',
      intermediate: true,
      caKeyFrom: 'root',
      caKeyFromType: 'flow',
      caCertFrom: 'root',
      caCertFromType: 'flow',
      wires: [['out']],
    },
    {
      id: 'leaf',
      type: 'certflow-sign',
      mode: 'csr',
      caKeyFrom: 'intermediate',
      caKeyFromType: 'flow',
      caCertFrom: 'intermediate',
      caCertFromType: 'flow',
      wires: [['out']],
    },
    { id: 'csr', type: 'certflow-csr', cn: 'leaf.example.test', cnType: 'str', wires: [['leaf']] },
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  const newKey = async () => (await kit.outcome('key', { payload: 1 }, 'keyOut', 'caught')).ok.payload;
  const flow = helper.getNode('root').context().flow;
  const root = (await kit.outcome('root', { payload: await newKey() }, 'out', 'caught')).ok.payload;
  flow.set('root', root);
  const intermediate = await kit.outcome('intermediate', { payload: await newKey() }, 'out', 'caught');
  assert.ok(intermediate.ok, intermediate.caught && intermediate.caught.error.message);
  assert.deepEqual(intermediate.ok.payload.chain, [root.cert]);
  assert.equal(intermediate.ok.payload.ca, root.cert);
  flow.set('intermediate', intermediate.ok.payload);
  const leaf = await kit.outcome('csr', { payload: await newKey() }, 'out', 'caught');
  assert.ok(leaf.ok, leaf.caught && leaf.caught.error.message);
  const bundle = leaf.ok.payload;
  assert.deepEqual(bundle.chain, [intermediate.ok.payload.cert, root.cert]);
  assert.equal(bundle.ca, root.cert);
  withFiles({ 'root.pem': root.cert, 'int.pem': intermediate.ok.payload.cert, 'leaf.pem': bundle.cert }, (p) => {
    assert.match(openssl(['verify', '-CAfile', p['root.pem'], '-untrusted', p['int.pem'], p['leaf.pem']]), /OK/);
  });
});

test('inspect with the default trust (system roots) accepts a bundle whose own ca signed it', async () => {
  await kit.loadFlow([
    ...kit.ownCaNodes({ cn: 'leaf.example.test', signWires: [['inspect']] }),
    { id: 'inspect', type: 'certflow-inspect', wires: [['out'], []] },
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  const result = await kit.issueWithOwnCa();
  assert.equal(result.payload.info.ok, true, result.payload.info.summary);
});

test('secrets from credentials: a stored key passphrase, and a pasted (encrypted) CA key with its stored passphrase', async () => {
  // make an encrypted CA first, with the nodes
  await kit.loadFlow(
    [
      { id: 'caKey', type: 'certflow-key', algorithm: 'ec-p256', passphraseFromType: 'cred', wires: [['caSign']] },
      { id: 'caSign', type: 'certflow-sign', mode: 'ca', cn: 'Pasted CA', cnType: 'str', passphraseFromType: 'cred', wires: [['out']] },
      { id: 'out', type: 'helper' },
      ...catchNodes,
    ],
    { caKey: { passphrase: 'ca secret' }, caSign: { passphrase: 'ca secret' } },
  );
  const ca = await kit.outcome('caKey', { payload: 1 }, 'out', 'caught');
  assert.ok(ca.ok, ca.caught && ca.caught.error.message);
  assert.match(ca.ok.payload.key, /ENCRYPTED PRIVATE KEY/);
  await helper.unload();

  await kit.loadFlow(
    [
      { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['csr']] },
      { id: 'csr', type: 'certflow-csr', cn: 'pasted.example.test', cnType: 'str', wires: [['sign']] },
      {
        id: 'sign',
        type: 'certflow-sign',
        mode: 'csr',
        caKeyFrom: '',
        caKeyFromType: 'pasted',
        caKeyPassphraseFromType: 'cred',
        caCertFrom: '',
        caCertFromType: 'pasted',
        caCertPem: ca.ok.payload.cert,
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
      ...catchNodes,
    ],
    { sign: { caKeyPem: ca.ok.payload.key, caKeyPassphrase: 'ca secret' } },
  );
  const leaf = await kit.outcome('key', { payload: 1 }, 'out', 'caught');
  assert.ok(leaf.ok, leaf.caught && leaf.caught.error.message);
  assert.equal(leaf.ok.payload.ca, ca.ok.payload.cert);
  withFiles({ 'ca.pem': ca.ok.payload.cert, 'leaf.pem': leaf.ok.payload.cert }, (p) => {
    assert.match(openssl(['verify', '-CAfile', p['ca.pem'], p['leaf.pem']]), /OK/);
  });
});
