'use strict';
// Every way of answering a challenge, against a real Pebble: http-01 through the token
// registry (as the Node-RED route serves it), through our own listener, through a webroot;
// tls-alpn-01; an IP-address certificate; RSA and EC keys; a given key; a given CSR.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { X509Certificate, createPrivateKey, createPublicKey } = require('node:crypto');
const fsp = require('node:fs/promises');
const net = require('node:net');
const path = require('node:path');
const { startPebble } = require('../harness/pebble');
const {
  tempDir,
  serveRegistry,
  serveStatic,
  opensslVerify,
  SecretWatch,
  close,
  openWatchedAccount,
  closeAccountAndPebble,
} = require('../harness/acme-helpers');
const acme = require('../../dist/lib/acme');
const { newEcKeyReqArgs } = require('../helpers/openssl');

let pebble;
let account;
const watch = new SecretWatch();
const dirs = [];

before(async () => {
  pebble = await startPebble();
  account = await openWatchedAccount(pebble, watch, { contact: ['admin@example.com'] });
});

after(async () => {
  await closeAccountAndPebble(account, pebble);
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

async function verified(issued) {
  watch.secret(issued.keyPem);
  const out = await opensslVerify(issued.certPem, pebble.rootPem, issued.chainPem);
  assert.match(out, /: OK$/);
  return new X509Certificate(issued.certPem);
}

function portIsClosed(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('http-01 through the token registry, as the Node-RED route answers it', async () => {
  const server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  const progress = [];
  try {
    const issued = await acme.issueCertificate({
      account,
      identifiers: 'a.example.com, b.example.com',
      challenges: { http01: { method: 'route' } },
      profile: 'default',
      onProgress: watch.progress(progress),
    });
    const cert = await verified(issued);
    assert.equal(cert.subjectAltName, 'DNS:a.example.com, DNS:b.example.com');
    assert.ok(progress.includes('ordering'));
    assert.ok(progress.includes('http-01 for a.example.com'));
    assert.ok(progress.includes('finalizing'));
    assert.equal(acme.http01Registry.size, 0, 'tokens are answered only while the order runs');
    assert.equal(acme.http01Registry.lookup('/.well-known/acme-challenge/unknown-token'), undefined);
    assert.equal(createPrivateKey(issued.keyPem).asymmetricKeyDetails.namedCurve, 'prime256v1', 'default key is EC P-256');
  } finally {
    await close(server);
  }
});

test('http-01 through our own listener, open only while the order runs', async () => {
  assert.ok(await portIsClosed(pebble.httpPort));
  const issued = await acme.issueCertificate({
    account,
    identifiers: ['standalone.example.com'],
    challenges: { http01: { method: 'standalone', host: '127.0.0.1', port: pebble.httpPort } },
    profile: 'default',
    onProgress: watch.progress(),
  });
  await verified(issued);
  assert.ok(await portIsClosed(pebble.httpPort), 'the listener is closed after the order');
});

test('http-01 through token files in a webroot served by another web server', async () => {
  const webroot = await tempDir('certflow-webroot-');
  dirs.push(webroot);
  const server = await serveStatic(pebble.httpPort, webroot);
  try {
    const issued = await acme.issueCertificate({
      account,
      identifiers: ['webroot.example.com'],
      challenges: { http01: { method: 'webroot', webroot } },
      profile: 'default',
      onProgress: watch.progress(),
    });
    await verified(issued);
    assert.deepEqual(await fsp.readdir(webroot), [], 'token files and the folders we made are removed');
  } finally {
    await close(server);
  }
});

test('tls-alpn-01 through our acme-tls/1 listener', async () => {
  const issued = await acme.issueCertificate({
    account,
    identifiers: ['alpn.example.com'],
    challenges: { defaults: { dns: 'tls-alpn-01' }, tlsAlpn01: { host: '127.0.0.1', port: pebble.tlsPort } },
    profile: 'default',
    onProgress: watch.progress(),
  });
  const cert = await verified(issued);
  assert.equal(cert.subjectAltName, 'DNS:alpn.example.com');
  assert.ok(await portIsClosed(pebble.tlsPort));
});

test('the tls-alpn-01 challenge certificate carries the critical acmeIdentifier extension (openssl reads it)', async () => {
  const { certPem } = await acme.createTlsAlpnCertificate({ type: 'dns', value: 'x.example.com' }, 'token.thumbprint');
  const dir = await tempDir();
  dirs.push(dir);
  await fsp.writeFile(path.join(dir, 'c.pem'), certPem);
  const text = await new Promise((resolve, reject) =>
    execFile('openssl', ['x509', '-in', path.join(dir, 'c.pem'), '-noout', '-text'], (err, out) => (err ? reject(err) : resolve(out))),
  );
  assert.match(text, /1\.3\.6\.1\.5\.5\.7\.1\.31: critical/);
  const digest = require('node:crypto').createHash('sha256').update('token.thumbprint').digest('hex');
  // DER: OID 1.3.6.1.5.5.7.1.31, critical TRUE, extnValue OCTET STRING { OCTET STRING (32 bytes) }
  const der = new X509Certificate(certPem).raw.toString('hex');
  assert.ok(der.includes(`06082b0601050507011f0101ff04220420${digest}`), 'extension value is OCTET STRING(SHA-256(keyAuthorization))');
});

test('an IP-address certificate (RFC 8738) for 127.0.0.1', async () => {
  const server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  try {
    const issued = await acme.issueCertificate({ account, identifiers: ['127.0.0.1'], profile: 'default', onProgress: watch.progress() });
    const cert = await verified(issued);
    assert.equal(cert.subjectAltName, 'IP Address:127.0.0.1');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  } finally {
    await close(server);
  }
});

test('an IP-address certificate through tls-alpn-01 (reverse-DNS SNI name)', async () => {
  const issued = await acme.issueCertificate({
    account,
    identifiers: ['127.0.0.1'],
    challenges: { defaults: { ip: 'tls-alpn-01' }, tlsAlpn01: { host: '127.0.0.1', port: pebble.tlsPort } },
    profile: 'default',
    onProgress: watch.progress(),
  });
  const cert = await verified(issued);
  assert.equal(cert.subjectAltName, 'IP Address:127.0.0.1');
});

test('RSA 2048 key, and a key given by the caller', async () => {
  const server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  try {
    const rsa = await acme.issueCertificate({
      account,
      identifiers: ['rsa.example.com'],
      key: { kind: 'generate', algorithm: 'rsa-2048' },
      profile: 'default',
      onProgress: watch.progress(),
    });
    await verified(rsa);
    const rsaKey = createPrivateKey(rsa.keyPem);
    assert.equal(rsaKey.asymmetricKeyType, 'rsa');
    assert.equal(rsaKey.asymmetricKeyDetails.modulusLength, 2048);
    assert.ok(new X509Certificate(rsa.certPem).checkPrivateKey(rsaKey));

    const ec384 = await acme.issueCertificate({
      account,
      identifiers: ['ec.example.com'],
      key: { kind: 'generate', algorithm: 'ec-p384' },
      profile: 'default',
      onProgress: watch.progress(),
    });
    await verified(ec384);
    assert.equal(createPrivateKey(ec384.keyPem).asymmetricKeyDetails.namedCurve, 'secp384r1');

    const given = await acme.issueCertificate({
      account,
      identifiers: ['given.example.com'],
      key: { kind: 'key', keyPem: ec384.keyPem },
      profile: 'default',
      onProgress: watch.progress(),
    });
    await verified(given);
    assert.ok(new X509Certificate(given.certPem).checkPrivateKey(createPrivateKey(ec384.keyPem)), 'certificate is for the given key');
  } finally {
    await close(server);
  }
});

test('a CSR made by openssl: names come from the CSR, no key is returned', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  const keyFile = path.join(dir, 'k.pem');
  const csrFile = path.join(dir, 'r.csr');
  await new Promise((resolve, reject) =>
    execFile(
      'openssl',
      newEcKeyReqArgs({
        keyFile,
        outFile: csrFile,
        csr: true,
        subject: '/CN=csr.example.com',
        addext: ['subjectAltName=DNS:csr.example.com,DNS:www.csr.example.com'],
      }),
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  const csrPem = await fsp.readFile(csrFile, 'utf8');
  const keyPem = await fsp.readFile(keyFile, 'utf8');
  watch.secret(keyPem);
  const server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  try {
    const issued = await acme.issueCertificate({ account, key: { kind: 'csr', csrPem }, profile: 'default', onProgress: watch.progress() });
    const cert = await verified(issued);
    assert.equal(issued.keyPem, undefined);
    assert.equal(cert.subjectAltName, 'DNS:csr.example.com, DNS:www.csr.example.com');
    assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
    assert.equal(
      cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
      createPublicKey(keyPem).export({ type: 'spki', format: 'der' }).toString('hex'),
    );

    const mismatch = await acme
      .issueCertificate({ account, identifiers: ['other.example.com'], key: { kind: 'csr', csrPem } })
      .catch((e) => watch.error(e));
    assert.equal(mismatch.code, 'ACME_CSR_MISMATCH');
    assert.match(mismatch.message, /the CSR is for csr\.example\.com, www\.csr\.example\.com but the certificate should be for other\.example\.com/);
  } finally {
    await close(server);
  }
});

test('impossible challenge choices are refused before ordering', async () => {
  const wildcardHttp = await acme
    .issueCertificate({ account, identifiers: ['*.example.com'], challenges: { defaults: { wildcard: 'http-01' } } })
    .catch((e) => watch.error(e));
  assert.match(wildcardHttp.message, /\*\.example\.com is a wildcard: CAs accept only dns-01/);
  const noHook = await acme.issueCertificate({ account, identifiers: ['*.example.com'] }).catch((e) => watch.error(e));
  assert.equal(noHook.code, 'ACME_NO_DNS_HOOK');
  assert.match(noHook.message, /dns-01 is needed for \*\.example\.com/);
  const badName = await acme.issueCertificate({ account, identifiers: ['exa mple.com'] }).catch((e) => watch.error(e));
  assert.match(badName.message, /"exa mple.com" is not a valid DNS name/);
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  const port = busy.address().port;
  try {
    const inUse = await acme
      .issueCertificate({
        account,
        identifiers: ['busy.example.com'],
        challenges: { http01: { method: 'standalone', host: '127.0.0.1', port } },
        profile: 'default',
      })
      .catch((e) => watch.error(e));
    assert.match(
      inUse.message,
      new RegExp(`http-01 for busy\\.example\\.com failed: cannot open the http-01 listener on 127\\.0\\.0\\.1:${port}: the port is in use`),
    );
  } finally {
    await close(busy);
  }
});

test('no private key, account key or secret appears in any progress text or error', () => {
  assert.ok(watch.check() > 20);
});
