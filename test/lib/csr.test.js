'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const keys = require('../../dist/lib/pki/keys');
const { createCsr, parseCsr } = require('../../dist/lib/pki/csr');
const { openssl, opensslOk, tempDir, newEcKeyReqArgs } = require('../helpers/openssl');

let tmp;
before(async () => {
  tmp = await tempDir('certflow-csr-');
});
after(() => tmp.cleanup());

/** Flips one bit near the end of the DER (inside the signature) and returns the PEM again. */
function tamperSignature(pem) {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  der[der.length - 5] ^= 0x01;
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)
    .join('\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}

const SIGNATURES = {
  'ec-p256': 'ecdsa-with-SHA256',
  'ec-p384': 'ecdsa-with-SHA384',
  'ec-p521': 'ecdsa-with-SHA512',
  'rsa-2048': 'sha256WithRSAEncryption',
  ed25519: 'ED25519',
};

for (const [algorithm, signatureAlgorithm] of Object.entries(SIGNATURES)) {
  test(`${algorithm}: openssl verifies our CSR and sees its subject and SANs`, async () => {
    const { key, description } = await keys.generateKey(algorithm);
    const pem = await createCsr({
      key,
      subject: { CN: 'device.example.com', O: 'Example Ltd', OU: 'Sensors', C: 'de', ST: 'Berlin', L: 'Berlin', emailAddress: 'ops@example.com' },
      altNames: ['www.example.com', '192.168.1.10', 'fd00::1', 'admin@example.com', 'spiffe://example.com/sensor/1', '*.devices.example.com'],
    });
    assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const file = await tmp.write(`${algorithm}.csr`, pem);
    const verify = await openssl(['req', '-in', file, '-verify', '-noout']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout + verify.stderr, /verify OK/);
    const text = await opensslOk(['req', '-in', file, '-noout', '-text', '-nameopt', 'RFC2253']);
    assert.match(text, /Subject: emailAddress=ops@example\.com,CN=device\.example\.com,OU=Sensors,O=Example Ltd,L=Berlin,ST=Berlin,C=DE/);
    assert.match(
      text,
      /DNS:device\.example\.com, DNS:www\.example\.com, IP Address:192\.168\.1\.10, IP Address:FD00:0:0:0:0:0:0:1, email:admin@example\.com, URI:spiffe:\/\/example\.com\/sensor\/1, DNS:\*\.devices\.example\.com/,
    );
    assert.match(text, new RegExp(`Signature Algorithm: ${signatureAlgorithm}`));

    const parsed = await parseCsr(pem);
    assert.equal(parsed.signatureValid, true);
    assert.equal(parsed.signatureAlgorithm, signatureAlgorithm);
    assert.deepEqual(parsed.subject, {
      C: 'DE',
      ST: 'Berlin',
      L: 'Berlin',
      O: 'Example Ltd',
      OU: 'Sensors',
      CN: 'device.example.com',
      emailAddress: 'ops@example.com',
    });
    assert.deepEqual(parsed.altNames, [
      { type: 'dns', value: 'device.example.com' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'ip', value: '192.168.1.10' },
      { type: 'ip', value: 'fd00::1' },
      { type: 'email', value: 'admin@example.com' },
      { type: 'uri', value: 'spiffe://example.com/sensor/1' },
      { type: 'dns', value: '*.devices.example.com' },
    ]);
    assert.equal(parsed.publicKey.spkiSha256, description.spkiSha256);
    assert.equal(parsed.publicKey.label, description.label);
    assert.match(parsed.subjectString, /CN=device\.example\.com/);
    assert.equal(parsed.pem, pem);
  });
}

test('a CSR from an encrypted key PEM with its passphrase; CN only, CN becomes the SAN', async () => {
  const generated = await keys.generateKey('ec-p256', { passphrase: 'pw-123' });
  const pem = await createCsr({ key: generated.privateKeyPem, passphrase: 'pw-123', subject: { CN: 'Only.Example.com' } });
  const parsed = await parseCsr(pem);
  assert.equal(parsed.signatureValid, true);
  assert.deepEqual(parsed.altNames, [{ type: 'dns', value: 'only.example.com' }]);
  assert.equal(parsed.subject.CN, 'Only.Example.com');
  await assert.rejects(createCsr({ key: generated.privateKeyPem, subject: { CN: 'x.example.com' } }), { code: 'KEY_PASSPHRASE_REQUIRED' });
});

test('an IP as CN goes into the SANs as an IP; a label-like CN ("Kitchen Sensor") stays in the subject only', async () => {
  const { key } = await keys.generateKey();
  const ipCsr = await parseCsr(await createCsr({ key, subject: { CN: '10.1.2.3' } }));
  assert.deepEqual(ipCsr.altNames, [{ type: 'ip', value: '10.1.2.3' }]);
  const labelCsr = await parseCsr(await createCsr({ key, subject: { CN: 'Kitchen Sensor', O: 'Home' }, altNames: 'kitchen.home.arpa' }));
  assert.deepEqual(labelCsr.altNames, [{ type: 'dns', value: 'kitchen.home.arpa' }]);
  assert.equal(labelCsr.subject.CN, 'Kitchen Sensor');
});

test('a CSR with SANs only (no subject) is valid for openssl; the SAN extension is then critical', async () => {
  const { key } = await keys.generateKey();
  const pem = await createCsr({ key, altNames: { dns: ['a.example.com'], ip: ['127.0.0.1'] } });
  const file = await tmp.write('sans-only.csr', pem);
  assert.equal((await openssl(['req', '-in', file, '-verify', '-noout'])).code, 0);
  const text = await opensslOk(['req', '-in', file, '-noout', '-text']);
  assert.match(text, /Subject Alternative Name: critical/);
  const parsed = await parseCsr(pem);
  assert.deepEqual(parsed.subject, {});
});

test('a subject given as text (RFC 4514 or OpenSSL /CN=.../O=...) is understood; UTF-8 values survive', async () => {
  const { key } = await keys.generateKey();
  const a = await parseCsr(await createCsr({ key, subject: 'CN=a.example.com, O=Müller GmbH, C=AT' }));
  assert.deepEqual(a.subject, { C: 'AT', O: 'Müller GmbH', CN: 'a.example.com' });
  const b = await parseCsr(await createCsr({ key, subject: '/C=US/O=Acme\\, Inc./CN=b.example.com' }));
  assert.deepEqual(b.subject, { C: 'US', O: 'Acme, Inc.', CN: 'b.example.com' });
});

test('parseCsr reads a CSR openssl made (PEM and DER)', async () => {
  const keyFile = tmp.file('o.key');
  const csrFile = tmp.file('o.csr');
  await opensslOk([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-subj',
    '/CN=o.example.com/O=Org',
    '-addext',
    'subjectAltName=DNS:o.example.com,IP:10.9.8.7,email:me@example.com,URI:urn:o:1',
    '-out',
    csrFile,
  ]);
  const pem = await tmp.read('o.csr', 'utf8');
  const parsed = await parseCsr(pem);
  assert.equal(parsed.signatureValid, true);
  assert.equal(parsed.signatureAlgorithm, 'sha256WithRSAEncryption');
  assert.deepEqual(parsed.subject, { O: 'Org', CN: 'o.example.com' });
  assert.deepEqual(parsed.altNames, [
    { type: 'dns', value: 'o.example.com' },
    { type: 'ip', value: '10.9.8.7' },
    { type: 'email', value: 'me@example.com' },
    { type: 'uri', value: 'urn:o:1' },
  ]);
  assert.equal(parsed.publicKey.label, 'RSA 2048');
  const derFile = tmp.file('o.der');
  await opensslOk(['req', '-in', csrFile, '-outform', 'DER', '-out', derFile]);
  const fromDer = await parseCsr(await tmp.read('o.der'));
  assert.equal(fromDer.signatureValid, true);
  assert.equal(fromDer.pem, parsed.pem);
});

test('a CSR with a tampered signature parses with signatureValid false (and openssl agrees)', async () => {
  const { key } = await keys.generateKey();
  const pem = await createCsr({ key, subject: { CN: 't.example.com' } });
  const tampered = tamperSignature(pem);
  const parsed = await parseCsr(tampered);
  assert.equal(parsed.signatureValid, false);
  const file = await tmp.write('tampered.csr', tampered);
  // openssl 3.0 exits 0 here and only says so in its output
  const verify = await openssl(['req', '-in', file, '-verify', '-noout']);
  assert.doesNotMatch(verify.stdout + verify.stderr, /verify OK/);
  assert.match(verify.stdout + verify.stderr, /verify failure|did not match/);
});

test('invalid names and subjects get clear errors', async () => {
  const { key } = await keys.generateKey();
  await assert.rejects(createCsr({ key, subject: { CN: 'exa mple.com' } }), { message: /^"exa mple\.com" is not a valid DNS name/ });
  await assert.rejects(createCsr({ key, altNames: ['ok.example.com', 'exa mple.com'] }), { message: /^"exa mple\.com" is not a valid DNS name/ });
  await assert.rejects(createCsr({ key, altNames: 'bad_host.example.com' }), { code: 'NAME_INVALID_DNS' });
  await assert.rejects(createCsr({ key, altNames: { ip: '10.0.0.300' } }), {
    code: 'NAME_INVALID_IP',
    message: /"10\.0\.0\.300" is not a valid IP address/,
  });
  await assert.rejects(createCsr({ key, altNames: { email: 'not-an-email' } }), {
    code: 'NAME_INVALID_EMAIL',
    message: /"not-an-email" is not a valid e-mail address/,
  });
  await assert.rejects(createCsr({ key, subject: { CN: 'x.example.com', emailAddress: 'nope' } }), { code: 'NAME_INVALID_EMAIL' });
  await assert.rejects(createCsr({ key, subject: { CN: 'x.example.com', C: 'Germany' } }), { code: 'SUBJECT_INVALID', message: /two-letter code/ });
  await assert.rejects(createCsr({ key, subject: { CN: 'x.example.com', XX: 'y' } }), {
    code: 'SUBJECT_INVALID',
    message: /unknown subject field "XX"/,
  });
  await assert.rejects(createCsr({ key, subject: { O: 'No Names Inc' } }), { code: 'CSR_NO_NAMES' });
  await assert.rejects(createCsr({ key: '', subject: { CN: 'x.example.com' } }), { code: 'KEY_MISSING' });
  await assert.rejects(createCsr({ key: 'garbage', subject: { CN: 'x.example.com' } }), { code: 'KEY_NOT_A_KEY' });
});

test('parseCsr refuses input that is not a CSR with a clear error', async () => {
  const certFile = tmp.file('c.pem');
  await opensslOk(newEcKeyReqArgs({ keyFile: tmp.file('c.key'), outFile: certFile, subject: '/CN=c' }));
  await assert.rejects(parseCsr(await tmp.read('c.pem', 'utf8')), {
    code: 'CSR_WRONG_KIND',
    message: /this is not a CSR: expected "CERTIFICATE REQUEST", found "CERTIFICATE"/,
  });
  await assert.rejects(parseCsr(''), { code: 'CSR_MISSING' });
  await assert.rejects(parseCsr(require('node:crypto').randomBytes(200)), { code: 'CSR_INVALID' });
  await assert.rejects(parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjAN\n-----END CERTIFICATE REQUEST-----\n'), { code: 'CSR_INVALID' });
});
