'use strict';
// lib/remote against real servers on loopback: a TLS server with a chain from lib/sign, a plain
// HTTP server, a server that accepts and says nothing, a closed port, a name that does not exist.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const tls = require('node:tls');
const { inspectRemote } = require('../../dist/lib/inspect/remote');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');

let root;
let int;
let leaf;
let leafKey;
const servers = [];
const connections = new Set();
before(async () => {
  const rootKey = await keys.generateKey('ec-p256');
  root = await sign.createCaCertificate({ key: rootKey.key, subject: { CN: 'Remote Root' } });
  const intKey = await keys.generateKey('ec-p256');
  int = await sign.createCaCertificate({ key: intKey.key, subject: { CN: 'Remote Intermediate' }, issuer: { key: rootKey.key, cert: root } });
  leafKey = await keys.generateKey('ec-p256');
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'localhost' }, altNames: ['localhost', '127.0.0.1'] });
  leaf = await sign.signCsr({ csr, caKey: intKey.key, caCert: int, days: 60 });
});
after(async () => {
  for (const socket of connections) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Starts a server on a free loopback port; it is closed after the tests. */
async function listen(server) {
  servers.push(server);
  server.on('connection', (socket) => connections.add(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

const tlsServer = (options = {}) => listen(tls.createServer({ key: leafKey.privateKeyPem, cert: leaf + int, ...options }, (socket) => socket.end()));

test('a TLS server with a chain from lib/sign: chain, protocol, cipher, and authorized against the given CA', async () => {
  const port = await tlsServer();
  const result = await inspectRemote({ host: '127.0.0.1', port, servername: 'localhost', ca: [root], timeoutMs: 5000 });
  assert.equal(result.ok, true, result.problems.join('; '));
  assert.equal(result.tls.authorized, true);
  assert.equal(result.tls.authorizationError, undefined);
  assert.equal(result.tls.protocol, 'TLSv1.3');
  assert.match(result.tls.cipher, /^TLS_/);
  assert.equal(result.tls.trustStore, 'given');
  assert.equal(result.certificates[0].subjectFields.CN, 'localhost');
  assert.equal(result.certificates[1].subjectFields.CN, 'Remote Intermediate');
  assert.equal(result.chain.trustAnchor.subject, 'CN=Remote Root');
  assert.deepEqual(result.checks.host, { name: 'localhost', matches: true });
  assert.equal(result.pem[0].replace(/\s/g, ''), leaf.replace(/\s/g, ''));
  assert.match(
    result.summary,
    new RegExp(
      `^127\\.0\\.0\\.1:${port}: CN=localhost, expires in (59|60) days \\(.*\\), issued by Remote Intermediate, chain OK, trusted via CN=Remote Root, valid for localhost, TLSv1\\.3$`,
    ),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'plain JSON');
});

test('against the system store the private chain is not authorized, and says why', async () => {
  const port = await tlsServer();
  const result = await inspectRemote({ host: '127.0.0.1', port, servername: 'localhost' });
  assert.equal(result.tls.authorized, false);
  assert.equal(result.tls.trustStore, 'system');
  assert.match(result.tls.authorizationError, /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN/);
  assert.equal(result.chain.trusted, false);
  assert.equal(result.ok, false);
});

test('the wrong host name: not authorized (ERR_TLS_CERT_ALTNAME_INVALID) and a wrong-host problem', async () => {
  const port = await tlsServer();
  const result = await inspectRemote({ host: '127.0.0.1', port, servername: 'other.example', ca: root });
  assert.equal(result.tls.authorized, false);
  assert.equal(result.tls.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
  assert.equal(result.checks.host.matches, false);
  assert.deepEqual(result.problems, ['wrong host: CN=localhost is for localhost, 127.0.0.1, not other.example']);
  // by IP, no SNI: the IP address in the certificate is what counts
  const byIp = await inspectRemote({ host: '127.0.0.1', port, ca: root });
  assert.equal(byIp.tls.authorized, true);
  assert.deepEqual(byIp.checks.host, { name: '127.0.0.1', matches: true });
});

test('TLS 1.2 is reported as such', async () => {
  const port = await tlsServer({ maxVersion: 'TLSv1.2' });
  const result = await inspectRemote({ host: '127.0.0.1', port, servername: 'localhost', ca: [root] });
  assert.equal(result.tls.protocol, 'TLSv1.2');
  assert.match(result.summary, /TLSv1\.2$/);
});

test('connection refused', async () => {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(inspectRemote({ host: '127.0.0.1', port }), {
    code: 'REMOTE_REFUSED',
    message: `could not connect to 127.0.0.1:${port}: connection refused`,
  });
});

test('a server that accepts and says nothing: a timeout error in time, and the socket is closed', async () => {
  let serverSide;
  let sawClose;
  const closed = new Promise((resolve) => {
    sawClose = resolve;
  });
  const port = await listen(
    net.createServer((socket) => {
      serverSide = socket;
      socket.resume(); // read (and drop) the ClientHello, so the end of the stream is seen
      socket.on('close', sawClose);
    }),
  );
  const started = Date.now();
  await assert.rejects(inspectRemote({ host: '127.0.0.1', port, timeoutMs: 600 }), {
    code: 'REMOTE_TIMEOUT',
    message: `no answer from 127.0.0.1:${port} within 0.6 s`,
  });
  const took = Date.now() - started;
  // the 0.6 s asked for (never earlier), not the 10 s default
  assert.ok(took >= 550 && took < 9000, `gave up after ${took} ms`);
  await closed; // our side destroyed the socket, so the server saw it close
  assert.ok(serverSide.destroyed);
});

test('a plain HTTP server on the port', async () => {
  const port = await listen(http.createServer((req, res) => res.end('hello')));
  await assert.rejects(inspectRemote({ host: '127.0.0.1', port }), {
    code: 'REMOTE_NOT_TLS',
    message: `127.0.0.1:${port} does not speak TLS (plain HTTP?)`,
  });
});

test('a host name that does not exist', async () => {
  // .invalid never resolves (RFC 2606); without any DNS at all the lookup fails the same way
  await assert.rejects(inspectRemote({ host: 'no-such-host.invalid', port: 443, timeoutMs: 5000 }), (err) => {
    assert.equal(err.code, 'REMOTE_DNS');
    assert.match(err.message, /^could not (find|look up) host "no-such-host\.invalid"/);
    return true;
  });
});

test('a server that drops the connection, and bad arguments', async () => {
  const port = await listen(net.createServer((socket) => socket.destroy()));
  await assert.rejects(inspectRemote({ host: '127.0.0.1', port }), (err) => {
    assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${port} (reset|closed) the connection during the TLS handshake`));
    return true;
  });
  await assert.rejects(inspectRemote({ host: '' }), { code: 'REMOTE_HOST_MISSING' });
  await assert.rejects(inspectRemote({ host: 'localhost', port: 70000 }), { message: '"70000" is not a valid port: use 1-65535' });
});
