'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const keys = require('../../dist/lib/pki/keys');
const { openssl, opensslOk, tempDir, newEcKeyReqArgs } = require('../helpers/openssl');

let tmp;
before(async () => {
  tmp = await tempDir('certflow-keys-');
});
after(() => tmp.cleanup());

/** SHA-256 of the DER public key, as openssl computes it from a key file. */
async function opensslSpkiSha256(file, passphrase) {
  const pass = passphrase ? ['-passin', `pass:${passphrase}`] : [];
  const pem = await opensslOk(['pkey', '-in', file, ...pass, '-pubout']);
  const der = crypto.createPublicKey(pem).export({ format: 'der', type: 'spki' });
  return crypto.createHash('sha256').update(der).digest('hex');
}

const EXPECTED = {
  'ec-p256': { type: 'EC', bits: 256, curve: 'P-256', label: 'EC P-256' },
  'ec-p384': { type: 'EC', bits: 384, curve: 'P-384', label: 'EC P-384' },
  'ec-p521': { type: 'EC', bits: 521, curve: 'P-521', label: 'EC P-521' },
  'rsa-2048': { type: 'RSA', bits: 2048, label: 'RSA 2048' },
  'rsa-3072': { type: 'RSA', bits: 3072, label: 'RSA 3072' },
  'rsa-4096': { type: 'RSA', bits: 4096, label: 'RSA 4096' },
  ed25519: { type: 'Ed25519', bits: 256, label: 'Ed25519' },
};

for (const algorithm of keys.KEY_ALGORITHMS) {
  test(`${algorithm}: generate -> export -> load -> describe, and openssl accepts the key`, async () => {
    const generated = await keys.generateKey(algorithm);
    const expected = EXPECTED[algorithm];
    assert.match(generated.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(generated.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(generated.description.label, expected.label);
    assert.equal(generated.description.type, expected.type);
    assert.equal(generated.description.bits, expected.bits);
    assert.equal(generated.description.curve, expected.curve);
    assert.equal(generated.description.algorithm, algorithm);

    const loaded = keys.loadPrivateKey(generated.privateKeyPem);
    const described = keys.describeKey(loaded);
    assert.equal(described.spkiSha256, generated.description.spkiSha256);
    assert.equal(described.label, expected.label);
    assert.equal(keys.describeKey(keys.loadPublicKey(generated.publicKeyPem)).spkiSha256, described.spkiSha256);

    const file = await tmp.write(`${algorithm}.pem`, generated.privateKeyPem);
    const check = await openssl(['pkey', '-in', file, '-check', '-noout']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /Key is valid/);
    assert.equal(await opensslSpkiSha256(file), described.spkiSha256, 'openssl sees the same public key');
  });
}

test('an encrypted key (passphrase) is PKCS#8 with AES-256-CBC that openssl opens with the passphrase', async () => {
  const generated = await keys.generateKey('ec-p256', { passphrase: 'correct horse' });
  assert.match(generated.privateKeyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const file = await tmp.write('encrypted.pem', generated.privateKeyPem);
  const check = await openssl(['pkey', '-in', file, '-passin', 'pass:correct horse', '-check', '-noout']);
  assert.equal(check.code, 0, check.stderr);
  const structure = await opensslOk(['asn1parse', '-in', file]);
  assert.match(structure, /PBES2/);
  assert.match(structure, /aes-256-cbc/);
  const wrong = await openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-noout']);
  assert.notEqual(wrong.code, 0, 'openssl refuses the wrong passphrase too');
  const loaded = keys.loadPrivateKey(generated.privateKeyPem, 'correct horse');
  assert.equal(keys.describeKey(loaded).spkiSha256, generated.description.spkiSha256);
  // exportPrivateKeyPem re-encrypts a loaded key
  const again = keys.exportPrivateKeyPem(loaded, 'another one');
  assert.equal(keys.describeKey(keys.loadPrivateKey(again, 'another one')).spkiSha256, generated.description.spkiSha256);
});

test('keys openssl made load in every format: PKCS#8, PKCS#1, SEC1, encrypted PKCS#8, legacy encrypted PEM, DER', async () => {
  const rsa = tmp.file('o-rsa.pem');
  const ec = tmp.file('o-ec.pem');
  const ed = tmp.file('o-ed.pem');
  await opensslOk(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsa]);
  await opensslOk(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', ec]);
  await opensslOk(['genpkey', '-algorithm', 'ED25519', '-out', ed]);
  const rsaHash = await opensslSpkiSha256(rsa);
  const ecHash = await opensslSpkiSha256(ec);
  const edHash = await opensslSpkiSha256(ed);

  const variants = [
    { name: 'RSA PKCS#8 PEM', file: rsa, hash: rsaHash },
    { name: 'EC PKCS#8 PEM', file: ec, hash: ecHash },
    { name: 'Ed25519 PKCS#8 PEM', file: ed, hash: edHash },
    { name: 'RSA PKCS#1 PEM', make: ['rsa', '-in', rsa, '-traditional'], ext: 'pem', header: 'RSA PRIVATE KEY', hash: rsaHash },
    { name: 'EC SEC1 PEM', make: ['ec', '-in', ec], ext: 'pem', header: 'EC PRIVATE KEY', hash: ecHash },
    { name: 'EC SEC1 PEM with EC PARAMETERS (ecparam -genkey)', ecparam: true, ext: 'pem' },
    {
      name: 'encrypted PKCS#8 PEM',
      make: ['pkcs8', '-topk8', '-in', ec, '-v2', 'aes-256-cbc', '-passout', 'pass:s3cret'],
      ext: 'pem',
      header: 'ENCRYPTED PRIVATE KEY',
      hash: ecHash,
      passphrase: 's3cret',
    },
    {
      name: 'legacy encrypted PKCS#1 PEM (Proc-Type)',
      make: ['rsa', '-in', rsa, '-aes256', '-traditional', '-passout', 'pass:s3cret'],
      ext: 'pem',
      header: 'RSA PRIVATE KEY',
      hash: rsaHash,
      passphrase: 's3cret',
    },
    { name: 'PKCS#8 DER', make: ['pkey', '-in', rsa, '-outform', 'DER'], ext: 'der', hash: rsaHash },
    { name: 'PKCS#1 DER', make: ['rsa', '-in', rsa, '-traditional', '-outform', 'DER'], ext: 'der', hash: rsaHash },
    { name: 'SEC1 DER', make: ['ec', '-in', ec, '-outform', 'DER'], ext: 'der', hash: ecHash },
    {
      name: 'encrypted PKCS#8 DER',
      make: ['pkcs8', '-topk8', '-in', ec, '-v2', 'aes-256-cbc', '-passout', 'pass:s3cret', '-outform', 'DER'],
      ext: 'der',
      hash: ecHash,
      passphrase: 's3cret',
    },
  ];
  for (const [i, variant] of variants.entries()) {
    let file = variant.file;
    let hash = variant.hash;
    if (variant.make) {
      file = tmp.file(`variant-${i}.${variant.ext}`);
      await opensslOk([...variant.make, '-out', file]);
    } else if (variant.ecparam) {
      file = tmp.file(`variant-${i}.pem`);
      await opensslOk(['ecparam', '-name', 'prime256v1', '-genkey', '-out', file]);
      hash = await opensslSpkiSha256(file);
    }
    const data = await tmp.read(require('node:path').basename(file), variant.ext === 'der' ? undefined : 'utf8');
    if (variant.header) assert.match(data, new RegExp(`BEGIN ${variant.header}`), variant.name);
    const key = keys.loadPrivateKey(data, variant.passphrase);
    assert.equal(keys.describeKey(key).spkiSha256, hash, variant.name);
    if (variant.ext === 'der') {
      // the same DER as base64 text (no PEM header) loads too
      assert.equal(keys.describeKey(keys.loadPrivateKey(data.toString('base64'), variant.passphrase)).spkiSha256, hash, `${variant.name} as base64`);
    }
  }
});

test('unsupported key sizes and curves are refused with a clear error', async () => {
  assert.throws(() => keys.parseKeyAlgorithm('rsa-1024'), {
    code: 'KEY_RSA_SIZE_UNSUPPORTED',
    message: 'RSA key size 1024 is not supported: choose 2048, 3072 or 4096',
  });
  assert.throws(() => keys.parseKeyAlgorithm('RSA 3000'), { message: 'RSA key size 3000 is not supported: choose 2048, 3072 or 4096' });
  await assert.rejects(keys.generateKey('rsa-1024'), { code: 'KEY_RSA_SIZE_UNSUPPORTED' });
  assert.throws(() => keys.parseKeyAlgorithm('P-192'), {
    code: 'KEY_CURVE_UNSUPPORTED',
    message: /unsupported curve "P-192": choose P-256, P-384 or P-521/,
  });
  assert.throws(() => keys.parseKeyAlgorithm('secp256k1'), { code: 'KEY_CURVE_UNSUPPORTED' });
  await assert.rejects(keys.generateKey('ec-p192'), { code: 'KEY_CURVE_UNSUPPORTED' });
  assert.throws(() => keys.parseKeyAlgorithm('dsa'), { code: 'KEY_ALGORITHM_UNSUPPORTED', message: /unknown key algorithm "dsa"/ });
});

test('the usual ways of writing an algorithm are understood', () => {
  const cases = {
    '': 'ec-p256',
    ec: 'ec-p256',
    'P-256': 'ec-p256',
    prime256v1: 'ec-p256',
    'EC P-384': 'ec-p384',
    secp521r1: 'ec-p521',
    rsa: 'rsa-2048',
    rsa4096: 'rsa-4096',
    'RSA 3072': 'rsa-3072',
    'rsa:2048': 'rsa-2048',
    Ed25519: 'ed25519',
    'ec-p521': 'ec-p521',
  };
  for (const [text, algorithm] of Object.entries(cases)) assert.equal(keys.parseKeyAlgorithm(text), algorithm, text);
});

test('an encrypted key without its passphrase, or with a wrong one, gets a clear error that reveals nothing', async () => {
  const generated = await keys.generateKey('ec-p256', { passphrase: 'topsecret-pass' });
  const legacyFile = tmp.file('legacy.pem');
  const plain = await tmp.write('plain-for-legacy.pem', (await keys.generateKey('rsa-2048')).privateKeyPem);
  await opensslOk(['rsa', '-in', plain, '-aes256', '-traditional', '-passout', 'pass:topsecret-pass', '-out', legacyFile]);
  const legacy = await tmp.read('legacy.pem', 'utf8');
  const der = Buffer.from(generated.privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  for (const [name, input] of [
    ['encrypted PKCS#8', generated.privateKeyPem],
    ['legacy encrypted PEM', legacy],
    ['encrypted DER', der],
  ]) {
    for (const missing of [undefined, '']) {
      assert.throws(
        () => keys.loadPrivateKey(input, missing),
        { code: 'KEY_PASSPHRASE_REQUIRED', message: 'the private key is encrypted: give its passphrase' },
        name,
      );
    }
    let error;
    try {
      keys.loadPrivateKey(input, 'not-the-passphrase');
    } catch (err) {
      error = err;
    }
    assert.ok(error, `${name}: a wrong passphrase throws`);
    assert.equal(error.code, 'KEY_PASSPHRASE_WRONG', name);
    assert.equal(error.message, 'wrong passphrase for the private key');
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error.details ?? {})} ${String(error.cause ?? '')}`;
    assert.doesNotMatch(everything, /not-the-passphrase|topsecret|MII|BEGIN/, 'no secret or key material in the error');
  }
});

test('things that are not a private key are refused with a clear error', async () => {
  const random = crypto.randomBytes(300);
  assert.throws(() => keys.loadPrivateKey(random), { code: 'KEY_NOT_A_KEY', message: /not a private key/ });
  assert.throws(() => keys.loadPrivateKey('hello world'), { code: 'KEY_NOT_A_KEY' });
  assert.throws(() => keys.loadPrivateKey(''), { code: 'KEY_NOT_A_KEY' });
  const certFile = tmp.file('self.pem');
  const keyFile = tmp.file('self-key.pem');
  await opensslOk(newEcKeyReqArgs({ keyFile, outFile: certFile, subject: '/CN=x' }));
  const certPem = await tmp.read('self.pem', 'utf8');
  assert.throws(() => keys.loadPrivateKey(certPem), { code: 'KEY_NOT_A_KEY', message: 'this is a certificate, not a private key' });
  const generated = await keys.generateKey();
  assert.throws(() => keys.loadPrivateKey(generated.publicKeyPem), { code: 'KEY_NOT_PRIVATE' });
  const lines = generated.privateKeyPem.split('\n');
  const truncated = [...lines.slice(0, 2), ...lines.slice(-2)].join('\n');
  let error;
  try {
    keys.loadPrivateKey(truncated);
  } catch (err) {
    error = err;
  }
  assert.equal(error?.code, 'KEY_INVALID');
  assert.match(error.message, /could not be read/);
  assert.doesNotMatch(error.message, /MI[GI]/, 'no key material in the message');
});

test('keyMatchesCertificate and loadPublicKey work from a certificate openssl made', async () => {
  const certFile = tmp.file('m.pem');
  const keyFile = tmp.file('m-key.pem');
  await opensslOk(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', '/CN=match', '-out', certFile]);
  const certPem = await tmp.read('m.pem', 'utf8');
  const key = keys.loadPrivateKey(await tmp.read('m-key.pem', 'utf8'));
  assert.equal(keys.keyMatchesCertificate(key, certPem), true);
  assert.equal(keys.keyMatchesCertificate(keys.loadPublicKey(certPem), certPem), true);
  const other = await keys.generateKey('rsa-2048');
  assert.equal(keys.keyMatchesCertificate(other.key, certPem), false);
  assert.equal(keys.describeKey(keys.loadPublicKey(certPem)).spkiSha256, keys.describeKey(key).spkiSha256);
  assert.throws(() => keys.loadPublicKey('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), {
    code: 'KEY_NOT_A_KEY',
  });
});

test('key generation does not block the event loop (a timer fires while RSA 3072 keys are made)', async () => {
  // Whatever the machine's speed: the keys are made off the loop, so a timer set before the
  // work starts fires before the work is done. Four keys take long enough on any machine.
  let timerFired = false;
  const timer = setTimeout(() => (timerFired = true), 1);
  const generation = Promise.all([1, 2, 3, 4].map(() => keys.generateKey('rsa-3072')));
  await generation;
  clearTimeout(timer);
  assert.equal(timerFired, true, 'no timer fired while four RSA-3072 keys were generated: the work ran on the event loop');
});
