'use strict';
// Contract test for @peculiar/x509's non-public parts, which lib/pki/x509.ts (and only it)
// uses: Name#asn (private) and Pkcs10CertificateRequest#asn.certificationRequestInfo
// (protected). When @peculiar/x509 is upgraded and one changed, a test here fails naming the
// field and what it no longer holds (the code would still work, through its fallback, only
// slower: a silent slow-down is what this catches).
//
// Then every fallback is run (setX509PrivateFieldsUsed(false): as if the fields were absent)
// and what it makes is judged by openssl: the same certificates, chains that verify.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { AsnConvert } = require('@peculiar/asn1-schema');
const { Name: AsnName, SubjectPublicKeyInfo, Extensions } = require('@peculiar/asn1-x509');
const adapter = require('../../dist/lib/pki/x509');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { openssl, opensslOk, tempDir } = require('../helpers/openssl');

const { x509 } = adapter;
const version = JSON.parse(fs.readFileSync(require.resolve('@peculiar/x509/package.json'), 'utf8')).version;
const context = `@peculiar/x509 ${version}`;
const hex = (bytes) => Buffer.from(bytes).toString('hex');

let tmp;
let caKey;
let leafKey;
let rsaKey;
before(async () => {
  tmp = await tempDir('certflow-x509-contract-');
  caKey = (await keys.generateKey('ec-p256')).key;
  leafKey = (await keys.generateKey('ec-p256')).key;
  rsaKey = (await keys.generateKey('rsa-2048')).key;
});
after(() => {
  adapter.setX509PrivateFieldsUsed(true);
  return tmp.cleanup();
});

// ---- the contract ----------------------------------------------------------------------------

test('Name#asn: the parsed ASN.1 Name, of the same @peculiar/asn1-x509 class we use, encoding to the same bytes', () => {
  const name = new x509.Name([{ '2.5.4.3': [{ utf8String: 'Grüße CA' }] }, { '2.5.4.10': [{ printableString: 'Certflow' }] }]);
  const inner = name.asn;
  assert.ok(inner !== undefined, `${context}: x509.Name has no "asn" field any more (lib/pki/x509.ts asnNameOf falls back to a re-parse)`);
  assert.ok(
    inner instanceof AsnName,
    `${context}: x509.Name#asn is no longer an instance of our @peculiar/asn1-x509 Name (${inner?.constructor?.name}): a second copy of @peculiar/asn1-x509 in the tree? (npm ls @peculiar/asn1-x509)`,
  );
  assert.equal(hex(AsnConvert.serialize(inner)), hex(name.toArrayBuffer()), `${context}: x509.Name#asn no longer encodes to the name's own bytes`);
  assert.equal(adapter.privateAsnOfName(name), inner);
});

test('Pkcs10CertificateRequest#asn.certificationRequestInfo: the SPKI and the attributes, as the request encodes them', async () => {
  const pem = await createCsr({ key: leafKey, subject: { CN: 'contract.example' }, altNames: ['www.contract.example', '10.1.2.3'] });
  const csr = new x509.Pkcs10CertificateRequest(pem);
  const info = csr.asn?.certificationRequestInfo;
  assert.ok(info, `${context}: Pkcs10CertificateRequest has no asn.certificationRequestInfo any more (sign.ts falls back to the public getters)`);
  assert.ok(
    info.subjectPKInfo instanceof SubjectPublicKeyInfo,
    `${context}: certificationRequestInfo.subjectPKInfo is no longer our @peculiar/asn1-x509 SubjectPublicKeyInfo (${info.subjectPKInfo?.constructor?.name})`,
  );
  assert.equal(
    hex(AsnConvert.serialize(info.subjectPKInfo)),
    hex(csr.publicKey.rawData),
    `${context}: certificationRequestInfo.subjectPKInfo is not the request's public key`,
  );
  assert.ok(Array.isArray(info.attributes), `${context}: certificationRequestInfo.attributes is no longer an array`);
  const request = info.attributes.find((a) => a.type === '1.2.840.113549.1.9.14');
  assert.ok(
    request && request.values[0] instanceof ArrayBuffer,
    `${context}: the extensionRequest attribute is no longer { type, values: ArrayBuffer[] }`,
  );
  const extensions = AsnConvert.parse(request.values[0], Extensions);
  const san = extensions.find((e) => e.extnID === '2.5.29.17');
  assert.equal(
    hex(AsnConvert.serialize(san)),
    hex(csr.getExtension('2.5.29.17').rawData),
    `${context}: the extensionRequest attribute no longer holds the request's SAN extension`,
  );
  assert.ok(adapter.privateRequestInfoOf(csr), 'lib/pki/x509.ts privateRequestInfoOf does not recognise the field');
});

test('the public API the package relies on: cryptoProvider is Node WebCrypto, AlgorithmProvider names our signature algorithms', () => {
  assert.equal(x509.cryptoProvider.get(), require('node:crypto').webcrypto, `${context}: cryptoProvider.set/get no longer keeps the provider`);
  const provider = new x509.AlgorithmProvider();
  const cases = [
    [{ name: 'ECDSA', hash: 'SHA-256' }, '1.2.840.10045.4.3.2'],
    [{ name: 'ECDSA', hash: 'SHA-384' }, '1.2.840.10045.4.3.3'],
    [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, '1.2.840.113549.1.1.11'],
    [{ name: 'Ed25519' }, '1.3.101.112'],
  ];
  for (const [algorithm, oid] of cases) {
    assert.equal(
      provider.toAsnAlgorithm(algorithm).algorithm,
      oid,
      `${context}: AlgorithmProvider#toAsnAlgorithm(${JSON.stringify(algorithm)}) no longer gives ${oid}`,
    );
  }
});

// ---- the fallbacks, judged by openssl --------------------------------------------------------

async function text(pem, name) {
  return opensslOk([
    'x509',
    '-in',
    await tmp.write(name, pem),
    '-noout',
    '-subject',
    '-issuer',
    '-ext',
    'subjectAltName,basicConstraints,keyUsage,extendedKeyUsage',
    '-nameopt',
    'RFC2253',
  ]);
}

async function verifies(leafPem, rootPem, intermediates = []) {
  const args = ['verify', '-CAfile', await tmp.write(`root-${Math.random()}.pem`, rootPem)];
  if (intermediates.length) args.push('-untrusted', await tmp.write(`int-${Math.random()}.pem`, intermediates.join('')));
  const result = await openssl([...args, await tmp.write(`leaf-${Math.random()}.pem`, leafPem)]);
  return result.code === 0 ? 'OK' : result.stderr || result.stdout;
}

/** Everything this package makes with @peculiar/x509 in the loop, with the private fields used or not. */
async function makeAll(usePrivate) {
  const previous = adapter.setX509PrivateFieldsUsed(usePrivate);
  try {
    const root = await sign.createCaCertificate({ key: caKey, subject: { CN: 'Contract Root', O: 'Certflow' }, pathLength: 1 });
    const intermediateKey = (await keys.generateKey('ec-p384')).key;
    const intermediate = await sign.createCaCertificate({
      key: intermediateKey,
      subject: { CN: 'Contract Intermediate' },
      issuer: { key: caKey, cert: root },
    });
    const csr = await createCsr({
      key: leafKey,
      subject: { CN: 'leaf.example', O: 'Grüße GmbH' },
      altNames: ['www.leaf.example', '10.9.8.7', 'ops@leaf.example'],
    });
    const fromCsr = await sign.signCsr({ csr, caKey: intermediateKey, caCert: intermediate, clientAuth: true });
    const rsaCsr = await createCsr({ key: rsaKey, altNames: ['rsa.example'] }); // empty subject: SAN critical
    const fromRsaCsr = await sign.signCsr({ csr: rsaCsr, caKey, caCert: root });
    const replaced = await sign.signCsr({ csr, caKey, caCert: root, altNames: ['other.example'], subject: 'CN=other.example' });
    const issued = await sign.issueCertificate({
      publicKey: leafKey,
      subject: { CN: 'issued.example' },
      altNames: [{ type: 'dns', value: 'issued.example' }],
      ca: { key: caKey, cert: root },
    });
    const selfSigned = await sign.createSelfSigned({ key: leafKey, subject: { CN: 'self.example' } });
    return { root, intermediate, fromCsr, fromRsaCsr, replaced, issued, selfSigned };
  } finally {
    adapter.setX509PrivateFieldsUsed(previous);
  }
}

test('the fallbacks (private fields absent) make the same certificates, and openssl verifies them', async () => {
  // the forced fallback really takes the other path
  const name = new x509.Name('CN=fallback');
  adapter.setX509PrivateFieldsUsed(false);
  try {
    assert.notEqual(adapter.asnNameOf(name), name.asn, 'asnNameOf did not fall back');
    assert.equal(hex(AsnConvert.serialize(adapter.asnNameOf(name))), hex(name.toArrayBuffer()));
    assert.equal(
      adapter.requestInfoOf(new x509.Pkcs10CertificateRequest(await createCsr({ key: leafKey, subject: { CN: 'a.example' } }))),
      undefined,
      'requestInfoOf did not fall back',
    );
  } finally {
    adapter.setX509PrivateFieldsUsed(true);
  }

  const fast = await makeAll(true);
  const fallback = await makeAll(false);
  for (const what of Object.keys(fast)) {
    assert.equal(
      await text(fallback[what], `${what}-fallback.pem`),
      await text(fast[what], `${what}-fast.pem`),
      `${what}: the fallback path made a different certificate than the private-field path`,
    );
  }
  for (const made of [fast, fallback]) {
    assert.equal(await verifies(made.root, made.root), 'OK');
    assert.equal(await verifies(made.intermediate, made.root), 'OK');
    assert.equal(await verifies(made.fromCsr, made.root, [made.intermediate]), 'OK');
    assert.equal(await verifies(made.fromRsaCsr, made.root), 'OK');
    assert.equal(await verifies(made.replaced, made.root), 'OK');
    assert.equal(await verifies(made.issued, made.root), 'OK');
    assert.equal(await verifies(made.selfSigned, made.selfSigned), 'OK');
  }
  const leafText = await text(fallback.fromCsr, 'leaf-fallback-check.pem');
  assert.match(leafText, /subject=O=Grüße GmbH,CN=leaf\.example|subject=CN=leaf\.example,O=Gr/);
  assert.match(leafText, /DNS:leaf\.example, DNS:www\.leaf\.example, IP Address:10\.9\.8\.7, email:ops@leaf\.example/);
  assert.match(leafText, /TLS Web Server Authentication, TLS Web Client Authentication/);
  const rsaText = await text(fallback.fromRsaCsr, 'rsa-fallback-check.pem');
  assert.match(rsaText, /X509v3 Subject Alternative Name: critical\s+DNS:rsa\.example/);
});
