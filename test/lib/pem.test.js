'use strict';
// lib/pem: every way a flow hands over certificates and keys is understood, and every bad input
// gets an error that says what is wrong.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes, X509Certificate } = require('node:crypto');
const { decodeInput, certificatesFrom } = require('../../dist/lib/inspect/pem');
const { tempDir, makeCa, makeLeaf, opensslOk } = require('../helpers/openssl');

let tmp;
let ca;
let leaf;
before(async () => {
  tmp = await tempDir('certflow-pem-');
  ca = await makeCa(tmp, 'Pem Test CA');
  leaf = await makeLeaf(tmp, 'pem.example', { issuer: ca, san: 'DNS:pem.example' });
});
after(() => tmp.cleanup());

const derOf = (pem) => new X509Certificate(pem).raw;
const kinds = (items) => items.map((i) => i.kind);

test('one PEM block, several blocks with text around them, and the same as a Buffer', async () => {
  assert.deepEqual(kinds(decodeInput(leaf.pem)), ['certificate']);
  // what `openssl pkcs12 -nodes` and `openssl x509 -text` print around the blocks is ignored
  const noisy = `Bag Attributes\n    localKeyID: 01 02\nsubject=CN = pem.example\n${leaf.pem}Certificate:\n    Data: ...\n${ca.pem}\n${leaf.keyPem}`;
  const items = decodeInput(noisy);
  assert.deepEqual(kinds(items), ['certificate', 'certificate', 'private-key']);
  assert.deepEqual(items[1].der, derOf(ca.pem));
  assert.deepEqual(kinds(decodeInput(Buffer.from(noisy))), ['certificate', 'certificate', 'private-key']);
  // Node-RED's JSON form of a Buffer (after a file or context store)
  assert.deepEqual(kinds(decodeInput(JSON.parse(JSON.stringify(Buffer.from(leaf.pem))))), ['certificate']);
});

test('DER, base64 DER and base64 of a PEM file are recognized by what parses them', async () => {
  const der = derOf(leaf.pem);
  const fromDer = decodeInput(der);
  assert.deepEqual(kinds(fromDer), ['certificate']);
  assert.deepEqual(fromDer[0].der, der);
  assert.equal(certificatesFrom(der)[0].replace(/\s/g, ''), leaf.pem.replace(/\s/g, ''));
  assert.deepEqual(kinds(decodeInput(der.toString('base64'))), ['certificate']);
  assert.deepEqual(kinds(decodeInput(Buffer.from(leaf.pem).toString('base64'))), ['certificate'], 'a Kubernetes secret value');
  assert.deepEqual(kinds(decodeInput(new Uint8Array(der))), ['certificate']);
  assert.deepEqual(
    decodeInput([der, derOf(ca.pem)]).map((i) => i.der),
    [der, derOf(ca.pem)],
    'a chain as a list of DER Buffers',
  );
});

test('every kind, as PEM and as DER: CSR, PKCS#8 / PKCS#1 / SEC1 keys, encrypted keys, public key, PKCS#12', async () => {
  const csrPem = await tmp.read('pem.example.csr', 'utf8');
  const rsaKey = await opensslOk(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
  const pkcs1 = await opensslOk(['rsa', '-traditional'], { input: rsaKey });
  const sec1 = await opensslOk(['ec', '-in', leaf.key]);
  const encrypted = await opensslOk(['pkey', '-in', leaf.key, '-aes256', '-passout', 'pass:secret']);
  const legacyEncrypted = await opensslOk(['rsa', '-traditional', '-aes256', '-passout', 'pass:secret'], { input: rsaKey });
  const publicKey = await opensslOk(['pkey', '-in', leaf.key, '-pubout']);
  const p12 = tmp.file('pem.p12');
  await opensslOk(['pkcs12', '-export', '-in', leaf.cert, '-inkey', leaf.key, '-passout', 'pass:pw', '-out', p12]);

  assert.deepEqual(kinds(decodeInput(csrPem)), ['csr']);
  assert.deepEqual(kinds(decodeInput(leaf.keyPem)), ['private-key']);
  assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
  assert.deepEqual(kinds(decodeInput(pkcs1)), ['private-key']);
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  assert.deepEqual(kinds(decodeInput(sec1)), ['private-key']);
  assert.deepEqual(kinds(decodeInput(encrypted)), ['encrypted-private-key']);
  assert.match(legacyEncrypted, /Proc-Type: 4,ENCRYPTED/);
  assert.deepEqual(kinds(decodeInput(legacyEncrypted)), ['encrypted-private-key']);
  assert.deepEqual(kinds(decodeInput(publicKey)), ['public-key']);
  assert.deepEqual(kinds(decodeInput(await tmp.read('pem.p12'))), ['pkcs12']);

  const derOfOutput = async (args) => Buffer.from(await opensslOk([...args, '-outform', 'DER'], { encoding: 'buffer' }));
  assert.deepEqual(kinds(decodeInput(await derOfOutput(['req', '-in', tmp.file('pem.example.csr')]))), ['csr']);
  assert.deepEqual(kinds(decodeInput(await derOfOutput(['pkey', '-in', leaf.key]))), ['private-key']);
  assert.deepEqual(kinds(decodeInput(await derOfOutput(['pkey', '-in', leaf.key, '-pubout']))), ['public-key']);
  assert.deepEqual(kinds(decodeInput(await derOfOutput(['pkcs8', '-topk8', '-in', leaf.key, '-passout', 'pass:x']))), ['encrypted-private-key']);
});

test('a bundle object: certificate fields first, fullchain duplicates dropped, each item tagged with its field', async () => {
  const bundle = { key: leaf.keyPem, cert: leaf.pem, chain: [ca.pem], fullchain: leaf.pem + ca.pem, info: { summary: 'ignored' } };
  const items = decodeInput(bundle);
  assert.deepEqual(
    items.map((i) => `${i.kind}:${i.field}`),
    ['certificate:cert', 'certificate:chain', 'private-key:key'],
  );
  assert.deepEqual(certificatesFrom(bundle).map(derOf), [derOf(leaf.pem), derOf(ca.pem)]);
  // a bundle with only a CA: its ca is the certificate
  assert.deepEqual(certificatesFrom({ ca: ca.pem }).map(derOf), [derOf(ca.pem)]);
  // ca is not part of the presented chain when a cert is there
  assert.equal(certificatesFrom({ cert: leaf.pem, ca: ca.pem }).length, 1);
  // a root both sent in the chain and named as the ca stays in both roles
  const both = decodeInput({ cert: leaf.pem, chain: [ca.pem], ca: ca.pem });
  assert.deepEqual(
    both.map((i) => `${i.kind}:${i.field}`),
    ['certificate:cert', 'certificate:chain', 'certificate:ca'],
  );
});

test('empty input: a clear error for every empty shape', () => {
  for (const empty of ['', '   \n', Buffer.alloc(0), null, undefined, {}, { cert: '' }, { info: {} }]) {
    assert.throws(
      () => decodeInput(empty),
      (err) => {
        assert.equal(err.code, 'EMPTY_INPUT', `${JSON.stringify(empty)}: ${err.message}`);
        assert.match(err.message, /is empty|nothing to read/);
        return true;
      },
    );
  }
});

test('random bytes and plain text: not mistaken for anything', () => {
  assert.throws(() => decodeInput(randomBytes(300)), {
    code: 'UNRECOGNIZED_INPUT',
    message: /binary data \(300 bytes\) that is not a certificate, CSR, key or PKCS#12 file/,
  });
  assert.throws(() => decodeInput('hello, this is not a certificate'), { code: 'NOT_PEM', message: /text but not PEM.*"hello, this is not a cer/ });
  assert.throws(() => decodeInput(randomBytes(64).toString('base64')), { code: 'UNRECOGNIZED_INPUT', message: /base64 text \(64 bytes\)/ });
});

test('a truncated PEM: cut off at the end, cut off before another block, or cut inside the body', () => {
  const cut = leaf.pem.slice(0, Math.floor(leaf.pem.length / 2));
  assert.throws(() => decodeInput(cut), {
    code: 'PEM_TRUNCATED',
    message: 'the input: the PEM text is cut off: "-----BEGIN CERTIFICATE-----" has no matching "-----END CERTIFICATE-----" line',
  });
  assert.throws(() => decodeInput(`${cut}\n${ca.pem}`), { code: 'PEM_TRUNCATED', message: /cut off/ });
  // the END line survived but half the body did not
  const lines = leaf.pem.trim().split('\n');
  const hollow = [lines[0], ...lines.slice(1, 4), lines[lines.length - 1]].join('\n');
  assert.throws(() => certificatesFrom(hollow), {
    code: 'CERT_INVALID',
    message: 'certificate 1 could not be read: the block is damaged or incomplete',
  });
});

test('the wrong kind where a certificate is expected says what it got', async () => {
  const csrPem = await tmp.read('pem.example.csr', 'utf8');
  assert.throws(() => certificatesFrom(csrPem), { code: 'WRONG_KIND', message: 'expected a certificate but got a certificate request (CSR)' });
  assert.throws(() => certificatesFrom(leaf.keyPem), { message: 'expected a certificate but got a private key' });
  assert.throws(() => certificatesFrom({ key: leaf.keyPem, csr: csrPem }), {
    message: 'expected a certificate but got a certificate request (CSR) and a private key',
  });
  assert.throws(() => decodeInput('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'), { message: /found only "X509 CRL"/ });
});
