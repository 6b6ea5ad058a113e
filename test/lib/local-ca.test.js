'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const tls = require('node:tls');
const { X509Certificate } = require('node:crypto');
const localCa = require('../../dist/lib/local-ca');
const { openssl, opensslOk, tempDir } = require('./openssl');

let tmp;
before(async () => {
  tmp = await tempDir('certflow-localca-');
});
after(() => tmp.cleanup());

/** Starts a TLS server on loopback (free port) with the leaf; resolves its port and a close(). */
function startServer(leaf, host) {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({ key: leaf.keyPem, cert: leaf.fullchainPem }, (socket) => socket.end('hello'));
    server.once('error', reject);
    server.listen(0, host, () => resolve({ port: server.address().port, close: () => new Promise((done) => server.close(done)) }));
  });
}

/** Connects with only our CA trusted and Node's normal host name check; resolves what the server said. */
function fetchOverTls({ host, port, servername, ca }) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, ca, timeout: 5000 }, () => {
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
    });
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error('timeout')));
  });
}

test('the bootstrap certificate covers localhost, 127.0.0.1, ::1 and the host name, and openssl verifies it', async () => {
  const { ca, leaf } = await localCa.createLocalServerCertificate();
  const names = localCa.localHostNames();
  assert.deepEqual(names.slice(0, 3), ['localhost', '127.0.0.1', '::1']);
  const cert = new X509Certificate(leaf.certPem);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  const hostname = os.hostname().toLowerCase();
  if (names.includes(hostname)) assert.equal(cert.checkHost(hostname), hostname);
  assert.equal(cert.checkPrivateKey(leaf.key), true);
  assert.equal(leaf.fullchainPem, leaf.certPem + ca.certPem);

  const caFile = await tmp.write('ca.pem', ca.certPem);
  const leafFile = await tmp.write('leaf.pem', leaf.certPem);
  const verified = await openssl(['verify', '-CAfile', caFile, '-purpose', 'sslserver', leafFile]);
  assert.equal(verified.code, 0, verified.stderr);
  const caText = await opensslOk(['x509', '-in', caFile, '-noout', '-text']);
  assert.match(caText, /CA:TRUE, pathlen:0/);
  const keyFile = await tmp.write('leaf.key', leaf.keyPem);
  assert.equal((await openssl(['pkey', '-in', keyFile, '-check', '-noout'])).code, 0);
});

test('a TLS client that trusts only the local CA connects by name and by IP (IPv4 and IPv6)', async () => {
  const ca = await localCa.createLocalCa({ commonName: 'Test Local CA' });
  const leaf = await localCa.issueLeaf({ ca, names: localCa.localHostNames() });
  const server4 = await startServer(leaf, '127.0.0.1');
  try {
    assert.equal(await fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'localhost', ca: ca.certPem }), 'hello');
    assert.equal(await fetchOverTls({ host: '127.0.0.1', port: server4.port, ca: ca.certPem }), 'hello', 'by IP address');
    await assert.rejects(fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'other.example.com', ca: ca.certPem }), /altnames|Hostname/i);
    const stranger = await localCa.createLocalCa({ commonName: 'Another CA' });
    await assert.rejects(fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'localhost', ca: stranger.certPem }), /self[- ]signed|unable to verify|certificate/i);
  } finally {
    await server4.close();
  }
  let server6;
  try {
    server6 = await startServer(leaf, '::1');
  } catch {
    return; // no IPv6 loopback on this machine: the IPv4 checks above stand
  }
  try {
    assert.equal(await fetchOverTls({ host: '::1', port: server6.port, ca: ca.certPem }), 'hello');
  } finally {
    await server6.close();
  }
});

test('a stored local CA loads back (also encrypted) and keeps issuing; a mismatched pair is refused', async () => {
  const ca = await localCa.createLocalCa({ passphrase: 'ca-secret', algorithm: 'ec-p384', days: 30 });
  assert.match(ca.keyPem, /ENCRYPTED PRIVATE KEY/);
  const loaded = localCa.loadLocalCa({ keyPem: ca.keyPem, certPem: ca.certPem, passphrase: 'ca-secret' });
  const leaf = await localCa.issueLeaf({ ca: loaded, names: 'device.home.arpa 192.168.1.20', algorithm: 'rsa-2048', clientAuth: true, days: 7 });
  const cert = new X509Certificate(leaf.certPem);
  assert.equal(cert.subject, 'CN=device.home.arpa');
  assert.equal(cert.subjectAltName, 'DNS:device.home.arpa, IP Address:192.168.1.20');
  assert.match(cert.keyUsage.join(','), /1\.3\.6\.1\.5\.5\.7\.3\.2/);
  assert.equal(cert.verify(new X509Certificate(ca.certPem).publicKey), true);

  const other = await localCa.createLocalCa();
  assert.throws(() => localCa.loadLocalCa({ keyPem: other.keyPem, certPem: ca.certPem, passphrase: 'ca-secret' }), { code: 'CA_KEY_MISMATCH' });
  assert.throws(() => localCa.loadLocalCa({ keyPem: ca.keyPem, certPem: ca.certPem }), { code: 'KEY_PASSPHRASE_REQUIRED' });
  await assert.rejects(localCa.issueLeaf({ ca: loaded, names: [] }), { code: 'CERT_NO_NAMES' });
  await assert.rejects(localCa.issueLeaf({ ca: loaded, names: 'bad_name.example.com' }), { code: 'NAME_INVALID_DNS' });
  await assert.rejects(localCa.issueLeaf({ ca: loaded, names: ['exa mple.com'] }), { message: /^"exa mple\.com" is not a valid DNS name/ });
});
