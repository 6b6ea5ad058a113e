'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { openssl, opensslOk, tempDir, newEcKeyReqArgs } = require('../helpers/openssl');

let tmp;
let root; // { key, pem } EC P-256 root CA, pathlen 1
before(async () => {
  tmp = await tempDir('certflow-sign-');
  const key = await keys.generateKey('ec-p256');
  root = { key, pem: await sign.createCaCertificate({ key: key.key, subject: { CN: 'Certflow Test Root', O: 'Certflow' }, pathLength: 1 }) };
});
after(() => tmp.cleanup());

async function x509Text(pem, name) {
  const file = await tmp.write(name, pem);
  return opensslOk(['x509', '-in', file, '-noout', '-text']);
}

async function verifyChain(leafPem, { rootPem = root.pem, intermediates = [], purpose } = {}) {
  const rootFile = await tmp.write(`root-${Math.random()}.pem`, rootPem);
  const leafFile = await tmp.write(`leaf-${Math.random()}.pem`, leafPem);
  const args = ['verify', '-CAfile', rootFile];
  if (intermediates.length) args.push('-untrusted', await tmp.write(`int-${Math.random()}.pem`, intermediates.join('')));
  if (purpose) args.push('-purpose', purpose);
  return openssl([...args, leafFile]);
}

function tamperSignature(pem) {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  der[der.length - 5] ^= 0x01;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    .join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

test('root -> intermediate -> leaf: openssl verifies the chain and sees CA flags, pathlen, EKU, SANs, SKI/AKI', async () => {
  const intKey = await keys.generateKey('rsa-2048');
  const intPem = await sign.createCaCertificate({
    key: intKey.privateKeyPem,
    subject: { CN: 'Certflow Test Intermediate' },
    issuer: { key: root.key.privateKeyPem, cert: root.pem },
  });
  const leafKey = await keys.generateKey('ec-p256');
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'svc.example.com' }, altNames: ['10.0.0.5', 'fd00::5'] });
  const leafPem = await sign.signCsr({ csr, caKey: intKey.privateKeyPem, caCert: intPem, clientAuth: true });

  const verified = await verifyChain(leafPem, { intermediates: [intPem], purpose: 'sslserver' });
  assert.equal(verified.code, 0, verified.stderr + verified.stdout);
  assert.match(verified.stdout, /: OK/);
  assert.equal((await verifyChain(leafPem, { intermediates: [intPem], purpose: 'sslclient' })).code, 0, 'clientAuth was asked for');
  assert.notEqual((await verifyChain(leafPem)).code, 0, 'without the intermediate the chain does not verify');

  const rootText = await x509Text(root.pem, 'root.pem');
  assert.match(rootText, /Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
  assert.match(rootText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  const intText = await x509Text(intPem, 'int.pem');
  assert.match(intText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/, 'pathlen below a pathlen-1 root is 0');
  assert.match(intText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(intText, /Signature Algorithm: ecdsa-with-SHA256/);
  const leafText = await x509Text(leafPem, 'leaf.pem');
  assert.match(leafText, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(leafText, /Key Usage: critical\s+Digital Signature\n/);
  assert.match(leafText, /Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(leafText, /Subject Alternative Name: \s+DNS:svc\.example\.com, IP Address:10\.0\.0\.5, IP Address:FD00:0:0:0:0:0:0:5/);
  assert.match(leafText, /Signature Algorithm: sha256WithRSAEncryption/);
  const intSki = /Subject Key Identifier: \s+([0-9A-F:]+)/.exec(intText)[1];
  assert.match(leafText, new RegExp(`Authority Key Identifier: \\s+(keyid:)?${intSki}`));

  // issuer is exactly the CA's subject
  const leafIssuer = await opensslOk(['x509', '-in', tmp.file('leaf.pem'), '-noout', '-issuer', '-nameopt', 'RFC2253']);
  const intSubject = await opensslOk(['x509', '-in', tmp.file('int.pem'), '-noout', '-subject', '-nameopt', 'RFC2253']);
  assert.equal(leafIssuer.replace('issuer=', ''), intSubject.replace('subject=', ''));
});

test('every key type can be a CA and sign leaves that openssl verifies', async () => {
  const cases = { 'ec-p384': 'ecdsa-with-SHA384', 'ec-p521': 'ecdsa-with-SHA512', 'rsa-2048': 'sha256WithRSAEncryption', ed25519: 'ED25519' };
  for (const [algorithm, signatureAlgorithm] of Object.entries(cases)) {
    const caKey = await keys.generateKey(algorithm);
    const caPem = await sign.createCaCertificate({ key: caKey.key, subject: { CN: `CA ${algorithm}` } });
    const leafKey = await keys.generateKey(algorithm === 'rsa-2048' ? 'rsa-2048' : 'ec-p256');
    const csr = await createCsr({ key: leafKey.key, subject: { CN: `${algorithm}.example.com` } });
    const leafPem = await sign.signCsr({ csr, caKey: caKey.key, caCert: caPem });
    const verified = await verifyChain(leafPem, { rootPem: caPem });
    assert.equal(verified.code, 0, `${algorithm}: ${verified.stderr}`);
    const text = await x509Text(leafPem, `leaf-${algorithm}.pem`);
    assert.match(text, new RegExp(`Signature Algorithm: ${signatureAlgorithm}`), algorithm);
    if (algorithm === 'rsa-2048') assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/, 'RSA leaves can encipher keys');
  }
});

test('leaf details: random positive 128-bit serial, notBefore a minute back, validity in days, CA-capped', async () => {
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'v.example.com' } });
  const before = Date.now();
  const defaultLeaf = new X509Certificate(await sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem }));
  const notBefore = new Date(defaultLeaf.validFrom).getTime();
  const notAfter = new Date(defaultLeaf.validTo).getTime();
  assert.ok(notBefore <= before - 50_000 && notBefore >= before - 75_000, `notBefore is about a minute in the past: ${defaultLeaf.validFrom}`);
  const days = (notAfter - notBefore - 60_000) / 86_400_000;
  assert.ok(Math.abs(days - 365) < 0.01, `default validity 365 days, got ${days}`);
  const short = new X509Certificate(await sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem, days: 30 }));
  assert.ok(Math.abs((new Date(short.validTo) - new Date(short.validFrom) - 60_000) / 86_400_000 - 30) < 0.01);

  const serials = new Set();
  let sawHighBit = false;
  for (let i = 0; i < 20 || !sawHighBit; i++) {
    const pem = await sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem });
    const serial = new X509Certificate(pem).serialNumber; // the magnitude, without a sign octet
    assert.equal(serial.length, 32, `128 bits: ${serial}`);
    serials.add(serial);
    if (parseInt(serial.slice(0, 2), 16) >= 0x80 && !sawHighBit) {
      // top bit set: the DER INTEGER needs a 0x00 in front to stay positive (17 octets)
      sawHighBit = true;
      const der = await opensslOk(['asn1parse', '-in', await tmp.write('high-serial.pem', pem)]);
      const serialLine = der.split('\n').find((line) => /d=2 .*prim: INTEGER/.test(line));
      assert.match(serialLine, /l= +17 prim: INTEGER +:[0-9A-F]{32}$/, serialLine);
    }
  }
  assert.ok(serials.size >= 20, 'serials are random');
  for (let i = 0; i < 200; i++) {
    const hex = sign.randomSerialNumber();
    const first = parseInt(hex.slice(0, 2), 16);
    if (hex.length === 34) assert.ok(first === 0 && parseInt(hex.slice(2, 4), 16) >= 0x80, `00 only in front of a high bit: ${hex}`);
    else assert.ok(hex.length === 32 && first > 0 && first < 0x80, hex);
  }

  const shortCaKey = await keys.generateKey();
  const shortCa = await sign.createCaCertificate({ key: shortCaKey.key, subject: { CN: 'Short-lived CA' }, days: 10 });
  const capped = new X509Certificate(await sign.signCsr({ csr, caKey: shortCaKey.key, caCert: shortCa, days: 365 }));
  assert.equal(capped.validTo, new X509Certificate(shortCa).validTo, 'a leaf does not outlive its CA');
});

test('SANs and subject from the CSR, or replaced by the ones given; clientAuth-only leaves', async () => {
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'orig.example.com', O: 'Orig' }, altNames: 'alt.example.com' });
  const replaced = await sign.signCsr({
    csr,
    caKey: root.key.key,
    caCert: root.pem,
    altNames: 'new.example.com 192.0.2.7',
    subject: { CN: 'new.example.com', O: 'New' },
  });
  const text = await x509Text(replaced, 'replaced.pem');
  assert.match(text, /Subject: O ?= ?New, CN ?= ?new\.example\.com/);
  assert.match(text, /Subject Alternative Name: \s+DNS:new\.example\.com, IP Address:192\.0\.2\.7\n/);
  const kept = await x509Text(await sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem }), 'kept.pem');
  assert.match(kept, /DNS:orig\.example\.com, DNS:alt\.example\.com/);
  assert.match(kept, /Extended Key Usage: \s+TLS Web Server Authentication\n/);

  const clientCsr = await createCsr({ key: leafKey.key, subject: { CN: 'Alice Example', emailAddress: 'alice@example.com' } });
  const clientPem = await sign.signCsr({ csr: clientCsr, caKey: root.key.key, caCert: root.pem, serverAuth: false, clientAuth: true });
  const clientText = await x509Text(clientPem, 'client.pem');
  assert.match(clientText, /Extended Key Usage: \s+TLS Web Client Authentication\n/);
  assert.equal((await verifyChain(clientPem, { purpose: 'sslclient' })).code, 0);
});

test('a self-signed certificate verifies against itself and is not a CA', async () => {
  for (const algorithm of ['ec-p256', 'rsa-2048', 'ed25519']) {
    const { key } = await keys.generateKey(algorithm);
    const pem = await sign.createSelfSigned({ key, subject: { CN: 'self.example.com' }, altNames: ['127.0.0.1'], days: 90 });
    const verified = await verifyChain(pem, { rootPem: pem });
    assert.equal(verified.code, 0, `${algorithm}: ${verified.stderr}`);
    const text = await x509Text(pem, `self-${algorithm}.pem`);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /DNS:self\.example\.com, IP Address:127\.0\.0\.1/);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, cert.issuer);
    assert.equal(cert.checkPrivateKey(key), true);
  }
  const { key } = await keys.generateKey();
  const sansOnly = new X509Certificate(await sign.createSelfSigned({ key, altNames: 'only.example.com' }));
  assert.equal(sansOnly.issuer, 'CN=only.example.com', 'an issuer is never empty');
});

test('a CA openssl made (UTF-8 subject) signs our CSR; the leaf issuer equals its subject', async () => {
  const caKeyFile = tmp.file('ossl-ca.key');
  const caFile = tmp.file('ossl-ca.pem');
  await opensslOk(
    newEcKeyReqArgs({
      keyFile: caKeyFile,
      outFile: caFile,
      utf8: true,
      subject: '/C=DE/O=Müller Ünterprise/CN=Müller Root',
      addext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
      days: 30,
    }),
  );
  const caPem = await tmp.read('ossl-ca.pem', 'utf8');
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'm.example.com' } });
  const leafPem = await sign.signCsr({ csr, caKey: await tmp.read('ossl-ca.key', 'utf8'), caCert: caPem });
  assert.equal((await verifyChain(leafPem, { rootPem: caPem })).code, 0);
  assert.equal(new X509Certificate(leafPem).issuer, new X509Certificate(caPem).subject);
  const leafFile = await tmp.write('m-leaf.pem', leafPem);
  assert.equal(
    await opensslOk(['x509', '-in', leafFile, '-noout', '-issuer_hash']),
    await opensslOk(['x509', '-in', caFile, '-noout', '-subject_hash']),
  );
});

test('refuses a CSR whose signature does not verify', async () => {
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'tampered.example.com' } });
  await assert.rejects(sign.signCsr({ csr: tamperSignature(csr), caKey: root.key.key, caCert: root.pem }), {
    code: 'CSR_SIGNATURE_INVALID',
    message: /the CSR's signature does not verify/,
  });
});

test('refuses a "CA" certificate that is not a CA', async () => {
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'x.example.com' } });
  const leafPem = await sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem });
  await assert.rejects(sign.signCsr({ csr, caKey: leafKey.key, caCert: leafPem }), {
    code: 'CA_NOT_A_CA',
    message: /the certificate "CN=x\.example\.com" is not a CA certificate \(its basicConstraints do not say CA:TRUE\)/,
  });
  // a certificate with no basicConstraints at all, as `openssl x509 -req` makes by default
  const keyFile = tmp.file('plain.key');
  const csrFile = tmp.file('plain.csr');
  const certFile = tmp.file('plain.pem');
  await opensslOk(newEcKeyReqArgs({ keyFile, outFile: csrFile, subject: '/CN=Not A CA', csr: true }));
  await opensslOk(['x509', '-req', '-in', csrFile, '-signkey', keyFile, '-days', '5', '-out', certFile]);
  await assert.rejects(sign.signCsr({ csr, caKey: await tmp.read('plain.key', 'utf8'), caCert: await tmp.read('plain.pem', 'utf8') }), {
    code: 'CA_NOT_A_CA',
  });
  // an intermediate cannot be made under a leaf either
  const intKey = await keys.generateKey();
  await assert.rejects(sign.createCaCertificate({ key: intKey.key, subject: { CN: 'Sub' }, issuer: { key: leafKey.key, cert: leafPem } }), {
    code: 'CA_NOT_A_CA',
  });
});

test('refuses a CA certificate that does not match the CA key', async () => {
  const otherKey = await keys.generateKey();
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'x.example.com' } });
  await assert.rejects(sign.signCsr({ csr, caKey: otherKey.privateKeyPem, caCert: root.pem }), {
    code: 'CA_KEY_MISMATCH',
    message:
      /the CA key does not match the CA certificate "CN=Certflow Test Root, O=Certflow"|the CA key does not match the CA certificate "O=Certflow, CN=Certflow Test Root"/,
  });
});

test('other bad inputs get clear errors', async () => {
  const leafKey = await keys.generateKey();
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'x.example.com' } });
  // pathlen 0 CA cannot have a sub-CA; a longer pathlen than the parent allows is refused
  const zeroKey = await keys.generateKey();
  const zeroCa = await sign.createCaCertificate({ key: zeroKey.key, subject: { CN: 'Zero' }, pathLength: 0 });
  await assert.rejects(sign.createCaCertificate({ key: leafKey.key, subject: { CN: 'Sub' }, issuer: { key: zeroKey.key, cert: zeroCa } }), {
    code: 'CA_PATHLEN_EXCEEDED',
  });
  await assert.rejects(
    sign.createCaCertificate({ key: leafKey.key, subject: { CN: 'Sub' }, pathLength: 1, issuer: { key: root.key.key, cert: root.pem } }),
    { code: 'CA_PATHLEN_EXCEEDED', message: /use at most 0/ },
  );
  await assert.rejects(sign.createCaCertificate({ key: leafKey.key, subject: { CN: 'X' }, pathLength: -1 }), { code: 'CA_PATHLEN_INVALID' });
  await assert.rejects(sign.createCaCertificate({ key: leafKey.key, subject: { OU: 'only' } }), { code: 'CA_SUBJECT_MISSING' });
  for (const days of [0, -5, 'soon', 99999]) {
    await assert.rejects(sign.signCsr({ csr, caKey: root.key.key, caCert: root.pem, days }), { code: 'CERT_DAYS_INVALID' }, String(days));
  }
  await assert.rejects(sign.signCsr({ csr, caKey: root.key.key, caCert: csr }), { code: 'CERT_WRONG_KIND', message: /found "CERTIFICATE REQUEST"/ });
  await assert.rejects(sign.signCsr({ csr, caKey: root.key.key, caCert: '' }), { code: 'CERT_MISSING' });
  await assert.rejects(sign.signCsr({ csr: root.pem, caKey: root.key.key, caCert: root.pem }), { code: 'CSR_WRONG_KIND' });
  const encrypted = keys.exportPrivateKeyPem(root.key.key, 'ca-pass');
  await assert.rejects(sign.signCsr({ csr, caKey: encrypted, caCert: root.pem }), { code: 'KEY_PASSPHRASE_REQUIRED' });
  await assert.rejects(sign.signCsr({ csr, caKey: encrypted, caKeyPassphrase: 'nope', caCert: root.pem }), { code: 'KEY_PASSPHRASE_WRONG' });
  assert.ok(await sign.signCsr({ csr, caKey: encrypted, caKeyPassphrase: 'ca-pass', caCert: root.pem }));
  const noNames = await createCsr({ key: leafKey.key, subject: { CN: 'Kitchen Sensor' }, altNames: [] }).catch(() => null);
  if (noNames) await assert.rejects(sign.signCsr({ csr: noNames, caKey: root.key.key, caCert: root.pem }), { code: 'CERT_NO_NAMES' });
  await assert.rejects(sign.createSelfSigned({ key: leafKey.key, subject: { O: 'Nameless' } }), { code: 'CERT_NO_NAMES' });
});
