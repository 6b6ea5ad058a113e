'use strict';
// Every bad input the issue names reaches a Catch node with a clear message, the status turns
// into a red ring with a short reason, the node then handles the next good message, and no
// private key or passphrase shows up in a status, a log line or an error.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const kit = require('./node-test-kit');

const { helper } = kit;
const PASSPHRASE = 'Tr0ub4dor&3-secret';
const caught = [];
let good = {};

const flow = [
  { id: 'key', type: 'certflow-key', algorithm: 'ec-p256', wires: [['out']] },
  { id: 'encKey', type: 'certflow-key', algorithm: 'ec-p256', passphraseFrom: 'passphrase', passphraseFromType: 'msg', wires: [['out']] },
  { id: 'csr', type: 'certflow-csr', cn: 'good.example.test', cnType: 'str', altNames: 'names', altNamesType: 'msg', passphraseFrom: 'passphrase', passphraseFromType: 'msg', wires: [['out']] },
  { id: 'selfSign', type: 'certflow-sign', mode: 'self-signed', cn: 'leaf.example.test', cnType: 'str', wires: [['out']] },
  { id: 'caSign', type: 'certflow-sign', mode: 'ca', cn: 'Bad Inputs CA', cnType: 'str', wires: [['out']] },
  { id: 'sign', type: 'certflow-sign', mode: 'csr', caKeyFrom: 'caKey', caKeyFromType: 'msg', caCertFrom: 'caCert', caCertFromType: 'msg', wires: [['out']] },
  { id: 'inspect', type: 'certflow-inspect', source: 'payload', passwordFrom: 'password', passwordFromType: 'msg', wires: [['out'], ['out']] },
  { id: 'strict', type: 'certflow-inspect', source: 'payload', failOnProblems: true, trust: 'none', wires: [['out'], ['out']] },
  { id: 'remote', type: 'certflow-inspect', source: 'server', host: '127.0.0.1', hostType: 'str', port: 'port', portType: 'msg', timeout: '1', wires: [['out'], ['out']] },
  { id: 'out', type: 'helper' },
  { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

before(async () => {
  await kit.loadFlow(flow);
  helper.getNode('caught').on('input', (msg) => caught.push(msg));
  const run = async (id, msg) => {
    const result = await kit.outcome(id, msg, 'out', 'caught');
    assert.ok(result.ok, `setup at ${id} failed: ${result.caught && result.caught.error.message}`);
    return result.ok.payload;
  };
  const keyBundle = await run('key', { payload: 1 });
  const csrBundle = await run('csr', { payload: keyBundle, names: 'good.example.test' });
  const ca = await run('caSign', { payload: await run('key', { payload: 1 }) });
  const leaf = await run('selfSign', { payload: await run('key', { payload: 1 }) });
  const encrypted = await run('encKey', { payload: 1, passphrase: PASSPHRASE });
  good = { keyBundle, csrBundle, ca, leaf, encrypted };
});
after(() => helper.unload());

/**
 * Sends a bad message, expects the Catch node to get an error matching `pattern` from `nodeId`
 * and a red ring status, then sends `goodMsg` and expects normal output.
 */
async function rejects(nodeId, badMsg, pattern, goodMsg) {
  const result = await kit.outcome(nodeId, badMsg, 'out', 'caught');
  assert.ok(result.caught, `expected ${nodeId} to report an error, but it sent: ${String(JSON.stringify(result.ok && result.ok.payload)).slice(0, 200)}`);
  const error = result.caught.error;
  assert.match(error.message, pattern);
  assert.equal(error.source.id, nodeId);
  const status = kit.statusCalls(nodeId).pop();
  assert.equal(status.fill, 'red');
  assert.equal(status.shape, 'ring');
  assert.ok(status.text.length > 0 && status.text.length <= 60, `status text "${status.text}"`);
  assert.ok(error.message.includes(status.text.replace(/\.\.\.$/, '')), `status "${status.text}" is the start of the error`);
  if (goodMsg) {
    const next = await kit.outcome(nodeId, goodMsg, 'out', 'caught');
    assert.ok(next.ok, `${nodeId} did not recover: ${next.caught && next.caught.error.message}`);
    // a red ring means "the last message failed"; inspect's red dot (a problem found) is a result
    assert.notEqual(kit.statusCalls(nodeId).pop().shape, 'ring');
  }
  return error;
}

test('empty payload', async () => {
  await rejects('csr', { payload: '', names: 'a.example.test' }, /msg\.payload is empty/, { payload: good.keyBundle, names: 'a.example.test' });
  await rejects('sign', { payload: Buffer.alloc(0), caKey: good.ca.key, caCert: good.ca.cert }, /msg\.payload is empty/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert });
  await rejects('inspect', { payload: '' }, /msg\.payload is empty/, { payload: good.leaf.cert });
  await rejects('inspect', { payload: {} }, /no cert, chain, fullchain, ca, csr, key or publicKey/, { payload: good.leaf.cert });
});

test('random bytes', async () => {
  await rejects('inspect', { payload: crypto.randomBytes(300) }, /binary data \(300 bytes\) that is not a certificate, CSR, key or PKCS#12/, { payload: good.leaf.cert });
  await rejects('csr', { payload: 'hello world', names: 'a.example.test' }, /not PEM, DER or base64/, { payload: good.keyBundle, names: 'a.example.test' });
});

test('truncated PEM', async () => {
  const cut = good.leaf.cert.slice(0, Math.floor(good.leaf.cert.length / 2));
  await rejects('inspect', { payload: cut }, /PEM text is cut off.*no matching "-----END CERTIFICATE-----"/, { payload: good.leaf.cert });
});

test('a CSR where a certificate is expected', async () => {
  await rejects('sign', { payload: good.csrBundle, caKey: good.ca.key, caCert: good.csrBundle.csr },
    /the CA certificate \(msg\.caCert\): expected a certificate but got a certificate request \(CSR\)/, { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert });
  await rejects('sign', { payload: good.ca.cert, caKey: good.ca.key, caCert: good.ca.cert },
    /msg\.payload has no CSR to sign \(it holds cert, chain, fullchain\)/, { payload: good.csrBundle.csr, caKey: good.ca.key, caCert: good.ca.cert });
});

test('key and certificate that do not match', async () => {
  await rejects('sign', { payload: good.csrBundle, caKey: good.keyBundle.key, caCert: good.ca.cert }, /the CA key does not match the CA certificate "CN=Bad Inputs CA"/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert });
  await rejects('strict', { payload: { cert: good.leaf.cert, key: good.keyBundle.key } }, /private key .* does not match the certificate/,
    { payload: { cert: good.leaf.cert, key: good.leaf.key } });
});

test('an encrypted key without a passphrase, and with a wrong one', async () => {
  await rejects('csr', { payload: good.encrypted, names: 'a.example.test' }, /the private key is encrypted: give its passphrase/, { payload: good.encrypted, names: 'a.example.test', passphrase: PASSPHRASE });
  await rejects('csr', { payload: good.encrypted, names: 'a.example.test', passphrase: 'not-the-Passphrase-42' }, /wrong passphrase for the private key/,
    { payload: good.encrypted, names: 'a.example.test', passphrase: PASSPHRASE });
  await rejects('encKey', { payload: 1 }, /no passphrase found in msg\.passphrase: no key was generated/, { payload: 1, passphrase: PASSPHRASE });
});

test('invalid DNS name, IP address and e-mail address', async () => {
  const ok = { payload: good.keyBundle, names: 'a.example.test' };
  await rejects('csr', { payload: good.keyBundle, names: 'exa_mple.com' }, /"exa_mple\.com" is not a valid DNS name: "_" is not allowed/, ok);
  await rejects('csr', { payload: good.keyBundle, names: ['exa mple.com'] }, /"exa mple.com" is not a valid DNS name: it contains a space/, ok);
  await rejects('csr', { payload: good.keyBundle, names: '300.1.1.1' }, /"300\.1\.1\.1" is not a valid IP address/, ok);
  await rejects('csr', { payload: good.keyBundle, names: { ip: ['fd00::12345'] } }, /"fd00::12345" is not a valid IP address/, ok);
  await rejects('csr', { payload: good.keyBundle, names: 'bob@' }, /"bob@" is not a valid e-mail address/, ok);
});

test('RSA 1024 or 3000, and an unknown curve', async () => {
  await rejects('key', { payload: 1, algorithm: 'rsa-1024' }, /RSA key size 1024 is not supported: choose 2048, 3072 or 4096/, { payload: 1 });
  await rejects('key', { payload: 1, algorithm: 'RSA 3000' }, /RSA key size 3000 is not supported/, { payload: 1 });
  await rejects('key', { payload: 1, algorithm: 'P-192' }, /unknown or unsupported curve "P-192": choose P-256, P-384 or P-521/, { payload: 1 });
  await rejects('key', { payload: 1, algorithm: 'secp256k1' }, /unknown or unsupported curve "secp256k1"/, { payload: 1 });
});

test('a CSR with a bad signature', async () => {
  // change one letter of the requested name inside the DER: the structure stays, the signature breaks
  const der = Buffer.from(good.csrBundle.csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf('good.example.test');
  assert.ok(at > 0);
  der[at] = 'f'.charCodeAt(0);
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  await rejects('sign', { payload: { csr: tampered }, caKey: good.ca.key, caCert: good.ca.cert }, /CSR's signature does not verify/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert });
});

test('a "CA" certificate that is not a CA', async () => {
  await rejects('sign', { payload: good.csrBundle, caKey: good.leaf.key, caCert: good.leaf.cert }, /"CN=leaf\.example\.test" is not a CA certificate/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert });
});

test('PKCS#12 with a wrong password', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-p12-'));
  try {
    fs.writeFileSync(path.join(dir, 'key.pem'), good.leaf.key, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'cert.pem'), good.leaf.cert);
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', path.join(dir, 'key.pem'), '-in', path.join(dir, 'cert.pem'), '-out', path.join(dir, 'a.p12'), '-passout', 'pass:right-password']);
    const p12 = fs.readFileSync(path.join(dir, 'a.p12'));
    await rejects('inspect', { payload: p12, password: 'wrong-password' }, /wrong password for the PKCS#12 file/, { payload: p12, password: 'right-password' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a remote host that refuses, does not answer, or speaks plain HTTP', async () => {
  // a port that was just free: nothing listens there
  const closedPort = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  // accepts TCP but never answers the TLS hello
  const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
  // answers in plain HTTP
  const http = net.createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'))).listen(0, '127.0.0.1');
  // a working TLS server with the self-signed leaf, to show the node recovers
  const tls = require('node:tls');
  const server = tls.createServer({ key: good.leaf.key, cert: good.leaf.cert }, (socket) => socket.end()).listen(0, '127.0.0.1');
  const sockets = new Set();
  for (const s of [silent, http, server]) s.on('connection', (c) => { sockets.add(c); c.on('close', () => sockets.delete(c)); });
  await Promise.all([silent, http, server].map((s) => new Promise((resolve) => (s.listening ? resolve() : s.once('listening', resolve)))));
  try {
    const ok = { payload: 1, port: server.address().port };
    await rejects('remote', { payload: 1, port: closedPort }, /could not connect to 127\.0\.0\.1:\d+: connection refused/, ok);
    await rejects('remote', { payload: 1, port: silent.address().port }, /no answer from 127\.0\.0\.1:\d+ within 1 s/, ok);
    await rejects('remote', { payload: 1, port: http.address().port }, /does not speak TLS \(plain HTTP\?\)/, ok);
  } finally {
    for (const c of sockets) c.destroy();
    await Promise.all([silent, http, server].map((s) => new Promise((resolve) => s.close(resolve))));
  }
});

test('no private key or passphrase in any status, log line or error', () => {
  assert.ok(caught.length >= 20, `only ${caught.length} errors were caught`);
  const keyBodies = [good.keyBundle.key, good.ca.key, good.leaf.key, good.encrypted.key]
    .map((pem) => pem.split('\n').filter((line) => line && !line.startsWith('-----'))).flat();
  const texts = [];
  for (const id of flow.filter((n) => n.type.startsWith('certflow-')).map((n) => n.id)) {
    for (const status of kit.statusCalls(id)) texts.push(`status of ${id}: ${status.text || ''}`);
  }
  for (const line of kit.logLines()) texts.push(`log: ${line}`);
  for (const msg of caught) texts.push(`error: ${JSON.stringify(msg.error)}`);
  for (const text of texts) {
    assert.ok(!text.includes('PRIVATE KEY'), `a private key in: ${text.slice(0, 200)}`);
    assert.ok(!text.includes(PASSPHRASE) && !text.includes('right-password') && !text.includes('wrong-password') && !text.includes('not-the-Passphrase-42'), `a secret in: ${text.slice(0, 200)}`);
    for (const body of keyBodies) assert.ok(!text.includes(body), `key material in: ${text.slice(0, 200)}`);
  }
});

