'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const tls = require('node:tls');
const { X509Certificate } = require('node:crypto');
const localCa = require('../../dist/lib/pki/local-ca');
const { openssl, opensslOk, tempDir, makeLeaf } = require('../helpers/openssl');

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
  for (const name of ['localhost', '127.0.0.1', '::1']) assert.ok(names.includes(name), name);
  const cert = new X509Certificate(leaf.certPem);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkIP('::1'), '::1');
  const hostname = os.hostname().toLowerCase();
  if (names.includes(hostname)) assert.equal(cert.checkHost(hostname), hostname);
  // every name of the machine, whatever its addresses (192.0.2.x, public ones...), is in the leaf
  for (const name of names) assert.ok(name.includes(':') || /^[\d.]+$/.test(name) ? cert.checkIP(name) : cert.checkHost(name), name);
  assert.equal(cert.checkPrivateKey(leaf.key), true);
  assert.equal(leaf.fullchainPem, leaf.certPem + ca.certPem);

  const caFile = await tmp.write('ca.pem', ca.certPem);
  const leafFile = await tmp.write('leaf.pem', leaf.certPem);
  const verified = await openssl(['verify', '-CAfile', caFile, '-purpose', 'sslserver', leafFile]);
  assert.equal(verified.code, 0, verified.stderr);
  const caText = await opensslOk(['x509', '-in', caFile, '-noout', '-text']);
  assert.match(caText, /CA:TRUE, pathlen:0/);
  assert.match(caText, /X509v3 Name Constraints: critical/);
  const keyFile = await tmp.write('leaf.key', leaf.keyPem);
  assert.equal((await openssl(['pkey', '-in', keyFile, '-check', '-noout'])).code, 0);
});

/** The bootstrap CA's files, and `verify(name, san)`: a leaf openssl signs with the CA key (as a thief would), judged by openssl verify. */
async function stolenCa(names) {
  const { ca, leaf } = await localCa.createLocalServerCertificate({ names });
  const dir = await tempDir('certflow-localca-nc-');
  const issuer = { cert: await dir.write('ca.pem', ca.certPem), key: await dir.write('ca.key', ca.keyPem) };
  let n = 0;
  const verify = async (san) => {
    const forged = await makeLeaf(dir, `forged${n++}`, { issuer, subject: '/O=forged', san });
    return openssl(['verify', '-CAfile', issuer.cert, '-purpose', 'sslserver', forged.cert]);
  };
  return { ca, leaf, dir, issuer, verify };
}

test('the bootstrap CA is name-constrained: a certificate its key signs for example.com (or a public IP) is refused', async () => {
  const { ca, dir, verify } = await stolenCa(['nodered.lan', 'localhost', '127.0.0.1', '::1', '192.0.2.7']);
  try {
    const caText = await opensslOk(['x509', '-noout', '-ext', 'nameConstraints'], { input: ca.certPem });
    for (const permitted of [
      'DNS:localhost',
      'DNS:local',
      'DNS:home.arpa',
      'DNS:nodered.lan',
      'IP:127.0.0.0/255.0.0.0',
      'IP:10.0.0.0/255.0.0.0',
      'IP:172.16.0.0/255.240.0.0',
      'IP:192.168.0.0/255.255.0.0',
      'IP:192.0.2.7/255.255.255.255',
    ]) {
      assert.ok(caText.includes(permitted), `${permitted} in\n${caText}`);
    }
    assert.match(caText, /IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/i);
    assert.match(caText, /IP:FC00:0:0:0:0:0:0:0\/FE00:0:0:0:0:0:0:0/i);

    for (const san of ['DNS:example.com', 'DNS:www.google.com', 'IP:8.8.8.8', 'IP:2001:db8::1', 'IP:192.0.2.8', 'DNS:nodered.lan.example.com']) {
      const result = await verify(san);
      assert.notEqual(result.code, 0, `${san} was accepted`);
      assert.match(result.stderr + result.stdout, /permitted subtree violation/, san);
    }
    // below an exact name of the machine is excluded too: "nodered.lan" must not stand for a whole domain
    const below = await verify('DNS:evil.nodered.lan');
    assert.notEqual(below.code, 0);
    assert.match(below.stderr + below.stdout, /excluded subtree violation/);

    for (const san of [
      'DNS:nodered.lan',
      'DNS:localhost',
      'DNS:nas.local',
      'DNS:pi.home.arpa',
      'DNS:printer.internal',
      'IP:127.0.0.1',
      'IP:192.168.1.20',
      'IP:10.1.2.3',
      'IP:172.20.0.5',
      'IP:192.0.2.7',
      'IP:::1',
      'IP:fd12:3456::1',
    ]) {
      const result = await verify(san);
      assert.equal(result.code, 0, `${san}: ${result.stderr}`);
    }
  } finally {
    await dir.cleanup();
  }
});

test('issuing from a limited CA refuses a name outside its limits with a clear error; an unlimited CA signs any name', async () => {
  const { ca } = await localCa.createLocalServerCertificate({ names: ['localhost', '127.0.0.1'] });
  await assert.rejects(localCa.issueLeaf({ ca, names: ['nas.local', 'example.com'] }), {
    code: 'CA_NAME_NOT_PERMITTED',
    message: /may only sign for local names and the names it was made for; "example\.com" is outside them$/,
  });
  assert.deepEqual(localCa.namesNotPermitted(ca, 'nas.local 8.8.8.8 *.home.arpa example.org'), [
    { type: 'ip', value: '8.8.8.8' },
    { type: 'dns', value: 'example.org' },
  ]);
  const leaf = await localCa.issueLeaf({ ca, names: 'nas.local 192.168.1.20' });
  assert.equal(new X509Certificate(leaf.certPem).subjectAltName, 'DNS:nas.local, IP Address:192.168.1.20');
  // an address-only leaf verifies too (no IP-looking CN for verifiers to hold against the DNS limits)
  const bare = await localCa.issueLeaf({ ca, names: '192.168.1.20' });
  const dir = await tempDir('certflow-localca-ip-');
  try {
    const verdict = await openssl([
      'verify',
      '-CAfile',
      await dir.write('ca.pem', ca.certPem),
      '-purpose',
      'sslserver',
      await dir.write('leaf.pem', bare.certPem),
    ]);
    assert.equal(verdict.code, 0, verdict.stderr);
  } finally {
    await dir.cleanup();
  }

  const unlimited = await localCa.createLocalCa();
  assert.deepEqual(localCa.namesNotPermitted(unlimited, 'example.com'), []);
  assert.doesNotMatch(await opensslOk(['x509', '-noout', '-text'], { input: unlimited.certPem }), /Name Constraints/);
});

test('a TLS client that trusts only the local CA connects by name and by IP (IPv4 and IPv6)', async () => {
  const ca = await localCa.createLocalCa({ commonName: 'Test Local CA' });
  const leaf = await localCa.issueLeaf({ ca, names: localCa.localHostNames() });
  const server4 = await startServer(leaf, '127.0.0.1');
  try {
    assert.equal(await fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'localhost', ca: ca.certPem }), 'hello');
    assert.equal(await fetchOverTls({ host: '127.0.0.1', port: server4.port, ca: ca.certPem }), 'hello', 'by IP address');
    await assert.rejects(
      fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'other.example.com', ca: ca.certPem }),
      /altnames|Hostname/i,
    );
    const stranger = await localCa.createLocalCa({ commonName: 'Another CA' });
    await assert.rejects(
      fetchOverTls({ host: '127.0.0.1', port: server4.port, servername: 'localhost', ca: stranger.certPem }),
      /self[- ]signed|unable to verify|certificate/i,
    );
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
