'use strict';
// lib/pkcs12: files we write are read by OpenSSL 3 without -legacy (RSA, EC, Ed25519; AES-256
// and 3DES), files openssl writes are read by us, and a wrong password is a clear error.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate, createPrivateKey } = require('node:crypto');
const { exportPkcs12, importPkcs12 } = require('../../dist/lib/inspect/pkcs12');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { tempDir, makeCa, makeLeaf, openssl, opensslOk, exportPkcs12WithOpenssl } = require('../helpers/openssl');

let tmp;
let ca; // lib/sign root (EC P-256)
before(async () => {
  tmp = await tempDir('certflow-p12-');
  const key = await keys.generateKey('ec-p256');
  ca = { key, pem: await sign.createCaCertificate({ key: key.key, subject: { CN: 'P12 Test CA' } }) };
});
after(() => tmp.cleanup());

async function leafFor(algorithm, cn) {
  const key = await keys.generateKey(algorithm);
  const csr = await createCsr({ key: key.key, subject: { CN: cn } });
  return { key, pem: await sign.signCsr({ csr, caKey: ca.key.key, caCert: ca.pem }) };
}

const der = (pem) => new X509Certificate(pem).raw;
const spkiOf = (pem) => keys.describeKey(keys.loadPublicKey(pem)).spkiSha256;

/** openssl's view of a .p12: `-info -nokeys` text, and the key + certificates from `-nodes`. */
async function opensslReads(file, password) {
  const info = await openssl(['pkcs12', '-in', file, '-info', '-nokeys', '-passin', `pass:${password}`]);
  assert.equal(info.code, 0, `openssl pkcs12 -info: ${info.stderr}`);
  const all = await opensslOk(['pkcs12', '-in', file, '-nodes', '-passin', `pass:${password}`]);
  const certificates = all.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const privateKey = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(all)?.[0];
  return { info: info.stdout + info.stderr, certificates, privateKey };
}

for (const algorithm of ['rsa-2048', 'ec-p256', 'ed25519']) {
  test(`${algorithm}: key + certificate + chain exported; openssl pkcs12 reads it without -legacy`, async () => {
    const leaf = await leafFor(algorithm, `${algorithm}.example`);
    const p12 = await exportPkcs12({
      key: leaf.key.privateKeyPem,
      cert: leaf.pem,
      chain: [ca.pem],
      password: 'correct horse',
      friendlyName: `My ${algorithm} cert`,
    });
    const file = await tmp.write(`${algorithm}.p12`, p12);
    const read = await opensslReads(file, 'correct horse');
    assert.match(read.info, /MAC: sha256, Iteration 2048/);
    assert.match(read.info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
    assert.match(read.info, new RegExp(`friendlyName: My ${algorithm} cert`));
    assert.match(read.info, /localKeyID: /);
    assert.deepEqual(read.certificates.map(der), [der(leaf.pem), der(ca.pem)]);
    assert.equal(spkiOf(read.privateKey), leaf.key.description.spkiSha256, 'the key openssl decrypted is ours');
    assert.ok(new X509Certificate(leaf.pem).checkPrivateKey(createPrivateKey(read.privateKey)));

    // and back through importPkcs12
    const back = await importPkcs12(p12, 'correct horse');
    assert.deepEqual(back.certificates.map(der), [der(leaf.pem), der(ca.pem)]);
    assert.equal(spkiOf(back.privateKeyPem), leaf.key.description.spkiSha256);
    assert.equal(back.friendlyName, `My ${algorithm} cert`);
  });
}

test('3DES for old readers: SHA-1 MAC, 3DES key bag, still read by OpenSSL 3 without -legacy', async () => {
  const leaf = await leafFor('ec-p256', 'legacy.example');
  const p12 = await exportPkcs12({ key: leaf.key.key, cert: leaf.pem, password: 'pw', encryption: '3des' });
  const read = await opensslReads(await tmp.write('3des.p12', p12), 'pw');
  assert.match(read.info, /MAC: sha1/);
  assert.match(read.info, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
  assert.equal(spkiOf(read.privateKey), leaf.key.description.spkiSha256);
});

test('a bundle, an encrypted key with its passphrase, and a non-ASCII password all work', async () => {
  const leaf = await leafFor('ec-p384', 'bundle.example');
  const encryptedKey = keys.exportPrivateKeyPem(leaf.key.key, 'key pass');
  const p12 = await exportPkcs12({ key: encryptedKey, passphrase: 'key pass', cert: { cert: leaf.pem, chain: [ca.pem] }, password: 'pässwörd' });
  const read = await opensslReads(await tmp.write('bundle.p12', p12), 'pässwörd');
  assert.deepEqual(read.certificates.map(der), [der(leaf.pem), der(ca.pem)], 'the bundle chain was taken');
  assert.equal(spkiOf(read.privateKey), leaf.key.description.spkiSha256);
});

test('files openssl writes (OpenSSL 3 default AES-256, and -legacy RC2/3DES) are read, RSA and EC', async () => {
  const opensslCa = await makeCa(tmp, 'P12 OpenSSL CA');
  for (const keyType of ['rsa2048', 'ec']) {
    const leaf = await makeLeaf(tmp, `ossl-${keyType}.example`, { issuer: opensslCa, keyType });
    for (const legacy of [false, true]) {
      const file = tmp.file(`ossl-${keyType}-${legacy}.p12`);
      await exportPkcs12WithOpenssl({
        cert: leaf.cert,
        key: leaf.key,
        certfile: opensslCa.cert,
        name: 'from openssl',
        password: 's3cret',
        out: file,
        extra: legacy ? ['-legacy'] : [],
      });
      const content = await importPkcs12(await tmp.read(`ossl-${keyType}-${legacy}.p12`), 's3cret');
      assert.deepEqual(
        content.certificates.map(der).sort(Buffer.compare),
        [der(leaf.pem), der(opensslCa.pem)].sort(Buffer.compare),
        `${keyType} legacy=${legacy}`,
      );
      assert.equal(spkiOf(content.privateKeyPem), spkiOf(leaf.pem), `${keyType} legacy=${legacy}: the key of the certificate`);
      assert.equal(content.friendlyName, 'from openssl');
    }
  }
  // a cipher forge lacks: the error names it and says how to export a readable file
  const leaf = await makeLeaf(tmp, 'ossl-camellia.example', { issuer: opensslCa });
  const file = tmp.file('camellia.p12');
  await exportPkcs12WithOpenssl({
    cert: leaf.cert,
    key: leaf.key,
    password: 'pw',
    out: file,
    extra: ['-keypbe', 'CAMELLIA-256-CBC', '-certpbe', 'CAMELLIA-256-CBC'],
  });
  await assert.rejects(importPkcs12(require('node:fs').readFileSync(file), 'pw'), {
    code: 'P12_UNSUPPORTED',
    message: /^this PKCS#12 file is encrypted with PBES2 with Camellia-256-CBC, which this package cannot decrypt: export it again with AES-256/,
  });
});

test('a wrong password, a missing one, a key that does not match, and not-a-PKCS#12 are clear errors', async () => {
  const leaf = await leafFor('ec-p256', 'errors.example');
  const p12 = await exportPkcs12({ key: leaf.key.key, cert: leaf.pem, password: 'right one' });
  await assert.rejects(importPkcs12(p12, 'wrong one'), (err) => {
    assert.equal(err.code, 'P12_WRONG_PASSWORD');
    assert.equal(err.message, 'wrong password for the PKCS#12 file');
    return true;
  });
  await assert.rejects(importPkcs12(p12, ''), {
    code: 'P12_PASSWORD_REQUIRED',
    message: 'the PKCS#12 file is protected by a password: give its password',
  });
  // openssl agrees the password is wrong
  const check = await openssl(['pkcs12', '-in', await tmp.write('errors.p12', p12), '-info', '-nokeys', '-passin', 'pass:wrong one']);
  assert.notEqual(check.code, 0);
  assert.match(check.stderr, /mac verify (failure|error)/i);

  const other = await keys.generateKey('ec-p256');
  await assert.rejects(exportPkcs12({ key: other.key, cert: leaf.pem, password: 'x' }), {
    code: 'P12_KEY_MISMATCH',
    message: /does not match the certificate/,
  });
  await assert.rejects(exportPkcs12({ key: leaf.key.key, cert: leaf.pem }), { code: 'P12_PASSWORD_MISSING' });
  await assert.rejects(exportPkcs12({ key: leaf.key.key, cert: await createCsr({ key: leaf.key.key, subject: { CN: 'x' } }), password: 'x' }), {
    message: 'expected a certificate but got a certificate request (CSR)',
  });
  await assert.rejects(importPkcs12(Buffer.from('definitely not a pfx'), 'x'), { code: 'P12_INVALID' });
  await assert.rejects(importPkcs12(Buffer.alloc(0), 'x'), { code: 'EMPTY_INPUT' });
});
