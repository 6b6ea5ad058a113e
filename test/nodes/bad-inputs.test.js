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
  {
    id: 'csr',
    type: 'certflow-csr',
    cn: 'good.example.test',
    cnType: 'str',
    altNames: 'names',
    altNamesType: 'msg',
    passphraseFrom: 'passphrase',
    passphraseFromType: 'msg',
    wires: [['out']],
  },
  { id: 'selfSign', type: 'certflow-sign', mode: 'self-signed', cn: 'leaf.example.test', cnType: 'str', wires: [['out']] },
  { id: 'caSign', type: 'certflow-sign', mode: 'ca', cn: 'Bad Inputs CA', cnType: 'str', wires: [['out']] },
  {
    id: 'sign',
    type: 'certflow-sign',
    mode: 'csr',
    caKeyFrom: 'caKey',
    caKeyFromType: 'msg',
    caCertFrom: 'caCert',
    caCertFromType: 'msg',
    wires: [['out']],
  },
  { id: 'inspect', type: 'certflow-inspect', source: 'payload', passwordFrom: 'password', passwordFromType: 'msg', wires: [['out'], ['out']] },
  { id: 'strict', type: 'certflow-inspect', source: 'payload', failOnProblems: true, trust: 'none', wires: [['out'], ['out']] },
  {
    id: 'remote',
    type: 'certflow-inspect',
    source: 'server',
    host: '127.0.0.1',
    hostType: 'str',
    port: 'port',
    portType: 'msg',
    timeout: '1',
    wires: [['out'], ['out']],
  },
  { id: 'file', type: 'certflow-inspect', source: 'file', path: 'path', pathType: 'msg', timeout: '1', wires: [['out'], ['out']] },
  {
    id: 'signFromFlow',
    type: 'certflow-sign',
    mode: 'csr',
    caKeyFrom: 'ca',
    caKeyFromType: 'flow',
    caCertFrom: 'ca',
    caCertFromType: 'flow',
    wires: [['out']],
  },
  { id: 'daysWord', type: 'certflow-sign', mode: 'self-signed', cn: 'leaf.example.test', cnType: 'str', days: 'abc', wires: [['out']] },
  { id: 'daysFraction', type: 'certflow-sign', mode: 'self-signed', cn: 'leaf.example.test', cnType: 'str', days: 1.5, wires: [['out']] },
  { id: 'pathLengthMinus', type: 'certflow-sign', mode: 'ca', cn: 'CA', cnType: 'str', pathLength: '-1', wires: [['out']] },
  { id: 'timeoutWord', type: 'certflow-inspect', source: 'payload', timeout: 'soon', wires: [['out'], ['out']] },
  { id: 'alertDaysFraction', type: 'certflow-inspect', source: 'payload', alertDays: '0.5', wires: [['out'], ['out']] },
  {
    id: 'portWord',
    type: 'certflow-inspect',
    source: 'server',
    host: '127.0.0.1',
    hostType: 'str',
    port: 'abc',
    portType: 'num',
    wires: [['out'], ['out']],
  },
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
  // something stored, to show that a refused message leaves it as it was
  helper.getNode('signFromFlow').context().flow.set('ca', ca);
  helper.getNode('signFromFlow').context().global.set('note', 'kept');
});
after(() => helper.unload());

/**
 * Sends a bad message, expects the Catch node to get an error matching `pattern` from `nodeId`
 * and a red ring status, then sends `goodMsg` and expects normal output.
 */
async function rejects(nodeId, badMsg, pattern, goodMsg) {
  const storedBefore = storedState(nodeId);
  const result = await kit.outcome(nodeId, badMsg, 'out', 'caught');
  assert.ok(
    result.caught,
    `expected ${nodeId} to report an error, but it sent: ${String(JSON.stringify(result.ok && result.ok.payload)).slice(0, 200)}`,
  );
  const error = result.caught.error;
  assert.match(error.message, pattern);
  assert.equal(error.source.id, nodeId);
  const status = kit.statusCalls(nodeId).pop();
  assert.equal(status.fill, 'red');
  assert.equal(status.shape, 'ring');
  // a short sentence that fits under the node (about 40 characters) and names the fix; the
  // whole error is in msg.error for Catch and Debug, without a class name in front
  assert.ok(status.text.length > 0 && status.text.length <= 42, `status text "${status.text}" is too long for the workspace`);
  assert.ok(!/:$/.test(status.text), `status "${status.text}" is cut at a colon`);
  assert.ok(
    /\w: \w/.test(status.text) || error.message.includes(status.text.replace(/\.\.\.$/, '')),
    `status "${status.text}" names neither the fix nor the start of the error`,
  );
  assert.doesNotMatch(error.message, /^CertflowError/);
  assert.deepEqual(storedState(nodeId), storedBefore, 'a refused message changed what is stored');
  if (goodMsg) {
    const next = await kit.outcome(nodeId, goodMsg, 'out', 'caught');
    assert.ok(next.ok, `${nodeId} did not recover: ${next.caught && next.caught.error.message}`);
    // a red ring means "the last message failed"; inspect's red dot (a problem found) is a result
    assert.notEqual(kit.statusCalls(nodeId).pop().shape, 'ring');
  }
  return error;
}

/** What the flow keeps (flow and global context), as JSON text. */
function storedState(nodeId) {
  const context = helper.getNode(nodeId).context();
  const snapshot = (store) =>
    JSON.stringify(
      Object.fromEntries(
        store
          .keys()
          .sort()
          .map((key) => [key, store.get(key)]),
      ),
    );
  return { flow: snapshot(context.flow), global: snapshot(context.global) };
}

test('empty payload', async () => {
  await rejects('csr', { payload: '', names: 'a.example.test' }, /msg\.payload is empty/, { payload: good.keyBundle, names: 'a.example.test' });
  await rejects('sign', { payload: Buffer.alloc(0), caKey: good.ca.key, caCert: good.ca.cert }, /msg\.payload is empty/, {
    payload: good.csrBundle,
    caKey: good.ca.key,
    caCert: good.ca.cert,
  });
  await rejects('inspect', { payload: '' }, /msg\.payload is empty/, { payload: good.leaf.cert });
  await rejects('inspect', { payload: {} }, /no cert, chain, fullchain, ca, csr, key or publicKey/, { payload: good.leaf.cert });
});

test('random bytes', async () => {
  await rejects('inspect', { payload: crypto.randomBytes(300) }, /binary data \(300 bytes\) that is not a certificate, CSR, key or PKCS#12/, {
    payload: good.leaf.cert,
  });
  await rejects('csr', { payload: 'hello world', names: 'a.example.test' }, /not PEM, DER or base64/, {
    payload: good.keyBundle,
    names: 'a.example.test',
  });
});

test('truncated PEM', async () => {
  const cut = good.leaf.cert.slice(0, Math.floor(good.leaf.cert.length / 2));
  await rejects('inspect', { payload: cut }, /PEM text is cut off.*no matching "-----END CERTIFICATE-----"/, { payload: good.leaf.cert });
});

test('a CSR where a certificate is expected', async () => {
  await rejects(
    'sign',
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.csrBundle.csr },
    /the CA certificate \(msg\.caCert\): expected a certificate but got a certificate request \(CSR\)/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert },
  );
  await rejects(
    'sign',
    { payload: good.ca.cert, caKey: good.ca.key, caCert: good.ca.cert },
    /msg\.payload has no CSR to sign \(it holds cert, chain, fullchain\)/,
    { payload: good.csrBundle.csr, caKey: good.ca.key, caCert: good.ca.cert },
  );
});

test('key and certificate that do not match', async () => {
  await rejects(
    'sign',
    { payload: good.csrBundle, caKey: good.keyBundle.key, caCert: good.ca.cert },
    /the CA key does not match the CA certificate "CN=Bad Inputs CA"/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert },
  );
  await rejects('strict', { payload: { cert: good.leaf.cert, key: good.keyBundle.key } }, /private key .* does not match the certificate/, {
    payload: { cert: good.leaf.cert, key: good.leaf.key },
  });
});

test('an encrypted key without a passphrase, and with a wrong one', async () => {
  await rejects('csr', { payload: good.encrypted, names: 'a.example.test' }, /the private key is encrypted: give its passphrase/, {
    payload: good.encrypted,
    names: 'a.example.test',
    passphrase: PASSPHRASE,
  });
  await rejects(
    'csr',
    { payload: good.encrypted, names: 'a.example.test', passphrase: 'not-the-Passphrase-42' },
    /wrong passphrase for the private key/,
    { payload: good.encrypted, names: 'a.example.test', passphrase: PASSPHRASE },
  );
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
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    .join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  await rejects('sign', { payload: { csr: tampered }, caKey: good.ca.key, caCert: good.ca.cert }, /CSR's signature does not verify/, {
    payload: good.csrBundle,
    caKey: good.ca.key,
    caCert: good.ca.cert,
  });
});

test('a "CA" certificate that is not a CA', async () => {
  await rejects(
    'sign',
    { payload: good.csrBundle, caKey: good.leaf.key, caCert: good.leaf.cert },
    /"CN=leaf\.example\.test" is not a CA certificate/,
    { payload: good.csrBundle, caKey: good.ca.key, caCert: good.ca.cert },
  );
});

test('PKCS#12 with a wrong password', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-p12-'));
  try {
    fs.writeFileSync(path.join(dir, 'key.pem'), good.leaf.key, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'cert.pem'), good.leaf.cert);
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      path.join(dir, 'key.pem'),
      '-in',
      path.join(dir, 'cert.pem'),
      '-out',
      path.join(dir, 'a.p12'),
      '-passout',
      'pass:right-password',
    ]);
    const p12 = fs.readFileSync(path.join(dir, 'a.p12'));
    await rejects('inspect', { payload: p12, password: 'wrong-password' }, /wrong password for the PKCS#12 file/, {
      payload: p12,
      password: 'right-password',
    });
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
  const http = net
    .createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')))
    .listen(0, '127.0.0.1');
  // a working TLS server with the self-signed leaf, to show the node recovers
  const tls = require('node:tls');
  const server = tls.createServer({ key: good.leaf.key, cert: good.leaf.cert }, (socket) => socket.end()).listen(0, '127.0.0.1');
  const sockets = new Set();
  for (const s of [silent, http, server])
    s.on('connection', (c) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
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

test('a passphrase or a name that is not text', async () => {
  // String({}) is "[object Object]": a key "encrypted" with that would open with it
  await rejects('encKey', { payload: 1, passphrase: { secret: PASSPHRASE } }, /the passphrase in msg\.passphrase must be text, not an object$/, {
    payload: 1,
    passphrase: PASSPHRASE,
  });
  await rejects('encKey', { payload: 1, passphrase: 1234 }, /the passphrase in msg\.passphrase must be text, not a number/, {
    payload: 1,
    passphrase: PASSPHRASE,
  });
  await rejects('encKey', { payload: 1, passphrase: 'x'.repeat(5000) }, /the passphrase in msg\.passphrase must be at most 1023 characters long/, {
    payload: 1,
    passphrase: PASSPHRASE,
  });
  await rejects(
    'csr',
    { payload: good.encrypted, names: 'a.example.test', passphrase: ['one', 'two'] },
    /the passphrase in msg\.passphrase must be text, not a list/,
    { payload: good.encrypted, names: 'a.example.test', passphrase: PASSPHRASE },
  );
  await rejects('key', { payload: 1, algorithm: { name: 'ec-p256' } }, /msg\.algorithm must be text like "ec-p256" or "rsa-3072", not an object/, {
    payload: 1,
  });
  await rejects('remote', { payload: 1, port: { number: 443 } }, /the port must be a whole number 1-65535, not an object \(in msg\.port\)/);
});

test('dialog numbers that are not what the dialog allows (an imported or hand-edited flow)', async () => {
  await rejects('daysWord', { payload: good.keyBundle }, /Valid \(days\) must be a whole number 1-36500, not "abc"$/);
  await rejects('daysFraction', { payload: good.keyBundle }, /Valid \(days\) must be a whole number 1-36500, not 1\.5$/);
  await rejects('pathLengthMinus', { payload: good.keyBundle }, /Path length must be empty or a whole number 0-16, not "-1"$/);
  await rejects('timeoutWord', { payload: good.leaf.cert }, /the timeout must be above 0 and at most 300 seconds, not "soon"$/);
  await rejects('alertDaysFraction', { payload: good.leaf.cert }, /the alert days must be a whole number from 0 to 3650, not "0\.5"$/);
});

test('a port that is not a port number', async () => {
  await rejects('remote', { payload: 1, port: 'abc' }, /the port must be a whole number 1-65535, not "abc" \(in msg\.port\)$/);
  await rejects('remote', { payload: 1, port: 70000 }, /the port must be a whole number 1-65535, not 70000/);
  await rejects('remote', { payload: 1, port: '44.3' }, /the port must be a whole number 1-65535, not "44\.3"/);
  await rejects('portWord', { payload: 1 }, /the port must be a whole number 1-65535, not "abc" \(in the dialog\)$/);
});

test('lists nested 10,000 deep', async () => {
  let deep = [];
  for (let i = 0; i < 10000; i++) deep = [deep];
  const tooDeep = /must nest at most 32 levels of lists\/objects/;
  await rejects('inspect', { payload: deep }, /msg\.payload must nest at most 32 levels/, { payload: good.leaf.cert });
  await rejects('csr', { payload: deep, names: 'a.example.test' }, tooDeep, { payload: good.keyBundle, names: 'a.example.test' });
  await rejects('sign', { payload: good.csrBundle, caKey: good.ca.key, caCert: deep }, /msg\.caCert must nest at most 32 levels/, {
    payload: good.csrBundle,
    caKey: good.ca.key,
    caCert: good.ca.cert,
  });
  // the CA kept in flow context is still there, unchanged, after the refusal
  await rejects('signFromFlow', { payload: deep }, tooDeep, { payload: good.csrBundle });
  assert.equal(helper.getNode('signFromFlow').context().flow.get('ca').key, good.ca.key);
  await rejects('csr', { payload: good.keyBundle, names: { dns: deep } }, /msg\.names must nest at most 32 levels/, {
    payload: good.keyBundle,
    names: 'a.example.test',
  });
  // a list as long as it is wide is refused too, before any work on its items
  await rejects('inspect', { payload: new Array(200000).fill('x') }, /msg\.payload must hold at most 100000 list items\/fields/, {
    payload: good.leaf.cert,
  });
});

test('a file path with a NUL, a file or device over the size limit, a pipe that gives nothing', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-files-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const certFile = path.join(dir, 'cert.pem');
  fs.writeFileSync(certFile, good.leaf.cert);
  const ok = { payload: 1, path: certFile };

  await rejects('file', { payload: 1, path: `${certFile}\0.txt` }, /remove the NUL character from the file path in msg\.path$/, ok);
  // /dev/zero never ends: the read stops one byte past the limit
  await rejects('file', { payload: 1, path: '/dev/zero' }, /the file is over the 1 MiB limit for a certificate file: "\/dev\/zero"$/, ok);
  // a (sparse) 64 MiB file is refused from its size, before reading
  const huge = path.join(dir, 'huge.pem');
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, 64 * 1024 ** 2);
  await rejects('file', { payload: 1, path: huge }, /the file is over the 1 MiB limit for a certificate file: ".*huge\.pem"$/, ok);
  // a FIFO that has a writer (this process) who never writes: refused after the node's timeout (1 s)
  const fifo = path.join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const writer = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  try {
    await rejects('file', { payload: 1, path: fifo }, /no data within 1 s \(a pipe nothing writes to\?\): ".*pipe"$/, ok);
  } finally {
    fs.closeSync(writer);
  }
  await rejects('file', { payload: 1, path: dir }, /cannot read the file ".*": it is a folder, not a file/, ok);
  await rejects('file', { payload: 1, path: { file: certFile } }, /msg\.path must be text, not an object$/, ok);
});

test('no private key or passphrase in any status, log line or error', () => {
  assert.ok(caught.length >= 20, `only ${caught.length} errors were caught`);
  const keyBodies = [good.keyBundle.key, good.ca.key, good.leaf.key, good.encrypted.key]
    .map((pem) => pem.split('\n').filter((line) => line && !line.startsWith('-----')))
    .flat();
  const texts = [];
  for (const id of flow.filter((n) => n.type.startsWith('certflow-')).map((n) => n.id)) {
    for (const status of kit.statusCalls(id)) texts.push(`status of ${id}: ${status.text || ''}`);
  }
  for (const line of kit.logLines()) texts.push(`log: ${line}`);
  for (const msg of caught) texts.push(`error: ${JSON.stringify(msg.error)}`);
  for (const text of texts) {
    assert.ok(!text.includes('PRIVATE KEY'), `a private key in: ${text.slice(0, 200)}`);
    assert.ok(
      !text.includes(PASSPHRASE) && !text.includes('right-password') && !text.includes('wrong-password') && !text.includes('not-the-Passphrase-42'),
      `a secret in: ${text.slice(0, 200)}`,
    );
    for (const body of keyBodies) assert.ok(!text.includes(body), `key material in: ${text.slice(0, 200)}`);
  }
});
