'use strict';
// Chain checks through inspect(): order, each link's signature, root, trust anchor (given, a
// bundle's ca, or Node's store), and the clear messages for a wrong order, a missing
// intermediate, an expired certificate, a forged link, a non-CA issuer and a wrong host.
// openssl verify is asked too, so our verdicts are not our own opinion only.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('../../dist/lib/inspect/inspect');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { tempDir, makeCa, makeLeaf, openssl, opensslOk } = require('../helpers/openssl');
const { rootValidNow } = require('../harness/system-roots');

let tmp;
let root;
let int;
let leaf;
before(async () => {
  tmp = await tempDir('certflow-chain-');
  root = await makeCa(tmp, 'Chain Root');
  int = await makeCa(tmp, 'Chain Intermediate', { keyType: 'rsa2048', issuer: root });
  leaf = await makeLeaf(tmp, 'chain.example', { issuer: int, san: 'DNS:chain.example,DNS:www.chain.example' });
});
after(() => tmp.cleanup());

async function opensslVerify(leafPem, { intermediates = [], roots = [root.pem] } = {}) {
  const args = ['verify', '-CAfile', await tmp.write(`roots-${Math.random()}.pem`, roots.join(''))];
  if (intermediates.length) args.push('-untrusted', await tmp.write(`int-${Math.random()}.pem`, intermediates.join('')));
  return openssl([...args, await tmp.write(`leaf-${Math.random()}.pem`, leafPem)]);
}

test('leaf + intermediate, trusted via the given root: every link verified, anchor reported', async () => {
  const result = await inspect(leaf.pem + int.pem, { trustAnchors: [root.pem] });
  const chain = result.chain;
  assert.equal(result.kind, 'chain');
  assert.equal(chain.ok, true, chain.problems.join('; '));
  assert.equal(chain.orderCorrect, true);
  assert.deepEqual(chain.links, [{ certificate: 1, issuer: 2, issuedByNext: true, signatureValid: true }]);
  assert.deepEqual(chain.path, [1, 2]);
  assert.equal(chain.endsAtRoot, false);
  assert.equal(chain.trusted, true);
  assert.equal(chain.trustAnchor.subject, 'CN=Chain Root');
  assert.equal(chain.trustAnchor.source, 'given');
  assert.equal(chain.trustAnchor.fingerprint256, result.chain.trustAnchor.fingerprint256);
  assert.match(result.summary, /^CN=chain\.example, expires in \d+ days \(.*\), issued by Chain Intermediate, chain OK, trusted via CN=Chain Root$/);
  assert.equal((await opensslVerify(leaf.pem, { intermediates: [int.pem] })).code, 0, 'openssl agrees');
});

test('a full chain that ends at a root: ends at root; trusted only when that root is an anchor', async () => {
  const untrusted = await inspect(leaf.pem + int.pem + root.pem);
  assert.equal(untrusted.chain.endsAtRoot, true);
  assert.equal(untrusted.chain.trusted, false);
  assert.equal(untrusted.chain.trustStore, 'system');
  assert.deepEqual(untrusted.problems, ['the chain ends at the root "CN=Chain Root", which is not in Node\'s root store']);
  assert.match(untrusted.summary, /chain ends at untrusted root CN=Chain Root/);

  const trusted = await inspect(leaf.pem + int.pem + root.pem, { trustAnchors: [root.pem] });
  assert.equal(trusted.ok, true, trusted.problems.join('; '));
  assert.equal(trusted.chain.trustAnchor.subject, 'CN=Chain Root');

  const unchecked = await inspect(leaf.pem + int.pem + root.pem, { trustAnchors: 'none' });
  assert.equal(unchecked.chain.trusted, null);
  assert.equal(unchecked.ok, true);
});

test('wrong order: said so, with the order that would be right', async () => {
  const result = await inspect(int.pem + leaf.pem, { trustAnchors: [root.pem] });
  assert.equal(result.chain.orderCorrect, false);
  assert.equal(result.chain.leaf, 2);
  assert.deepEqual(result.chain.links, [{ certificate: 1, issuer: null, issuedByNext: false, signatureValid: null }]);
  assert.deepEqual(result.problems, [
    'wrong order: leaf first, each certificate followed by its issuer, is 2 (CN=chain.example), then 1 (CN=Chain Intermediate)',
  ]);
  assert.match(result.summary, /^CN=chain\.example, .*, chain in wrong order$/);

  const three = await inspect(leaf.pem + root.pem + int.pem, { trustAnchors: [root.pem] });
  assert.equal(
    three.problems[0],
    'wrong order: leaf first, each certificate followed by its issuer, is 1 (CN=chain.example), then 3 (CN=Chain Intermediate), then 2 (CN=Chain Root)',
  );
});

test('missing intermediate: "issuer X not found in the chain", and openssl agrees it does not verify', async () => {
  const result = await inspect(leaf.pem + root.pem, { trustAnchors: [root.pem] });
  assert.equal(result.ok, false);
  assert.ok(
    result.problems.includes(
      'issuer "CN=Chain Intermediate" not found in the chain (needed by certificate 1 (CN=chain.example)): add the intermediate certificate or trust its root',
    ),
    result.problems.join('\n'),
  );
  assert.ok(result.problems.includes('certificate 2 (CN=Chain Root) is not part of the chain of certificate 1 (CN=chain.example)'));
  assert.match(result.summary, /issuer "CN=Chain Intermediate" not found in the chain/);
  assert.notEqual((await opensslVerify(leaf.pem)).code, 0);

  // a leaf alone, checked against anchors, misses its issuer the same way
  const alone = await inspect(leaf.pem, { trustAnchors: [root.pem] });
  assert.match(alone.problems[0], /^issuer "CN=Chain Intermediate" not found in the chain/);
});

test('expired certificates are named: the leaf, and an intermediate further up', async () => {
  const old = await makeLeaf(tmp, 'old.example', { issuer: int, startdate: '20200101000000Z', enddate: '20210101000000Z' });
  const result = await inspect(old.pem + int.pem, { trustAnchors: [root.pem] });
  assert.equal(result.certificates[0].expired, true);
  assert.deepEqual(result.problems, ['certificate 1 (CN=old.example) expired on 2021-01-01']);
  assert.match(
    result.summary,
    /^CN=old\.example, EXPIRED \d+ days ago \(2021-01-01\), issued by Chain Intermediate, certificate 1 \(CN=old\.example\) expired$/,
  );
  assert.match(
    (await opensslVerify(old.pem, { intermediates: [int.pem] })).stdout + (await opensslVerify(old.pem, { intermediates: [int.pem] })).stderr,
    /certificate has expired/,
  );

  const oldInt = await makeLeaf(tmp, 'Old Intermediate', {
    issuer: root,
    isCa: true,
    keyType: 'rsa2048',
    startdate: '20190101000000Z',
    enddate: '20220101000000Z',
  });
  const underOld = await makeLeaf(tmp, 'under-old.example', { issuer: oldInt });
  const chain = await inspect(underOld.pem + oldInt.pem, { trustAnchors: [root.pem] });
  assert.deepEqual(chain.problems, ['certificate 2 (CN=Old Intermediate) expired on 2022-01-01']);

  const future = await makeLeaf(tmp, 'future.example', { issuer: int, startdate: '20990101000000Z', enddate: '20991231000000Z' });
  const notYet = await inspect(future.pem + int.pem, { trustAnchors: [root.pem] });
  assert.deepEqual(notYet.problems, ['certificate 1 (CN=future.example) is not valid before 2099-01-01']);
});

test('wrong host on an otherwise good chain', async () => {
  const result = await inspect(leaf.pem + int.pem, { trustAnchors: [root.pem], host: 'mail.chain.example' });
  assert.equal(result.chain.ok, true);
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems, ['wrong host: CN=chain.example is for chain.example, www.chain.example, not mail.chain.example']);
  assert.equal((await inspect(leaf.pem + int.pem, { trustAnchors: [root.pem], host: 'www.chain.example' })).ok, true);
});

test('a forged link (same issuer name, other key) and a non-CA issuer are caught', async () => {
  const impostor = await makeCa(tmp, 'Chain Intermediate impostor', { subject: '/CN=Chain Intermediate', keyType: 'rsa2048', issuer: root });
  const forged = await inspect(leaf.pem + impostor.pem, { trustAnchors: [root.pem] });
  assert.equal(forged.chain.signaturesValid, false);
  assert.deepEqual(forged.chain.links, [{ certificate: 1, issuer: 2, issuedByNext: false, signatureValid: false }]);
  assert.ok(
    forged.problems.includes(
      "the signature of certificate 1 (CN=chain.example) does not verify with the key of certificate 2 (CN=Chain Intermediate), which has its issuer's name",
    ),
    forged.problems.join('\n'),
  );
  assert.notEqual((await opensslVerify(leaf.pem, { intermediates: [impostor.pem] })).code, 0);

  const byLeaf = await makeLeaf(tmp, 'signed-by-a-leaf.example', { issuer: leaf });
  const notCa = await inspect(byLeaf.pem + leaf.pem + int.pem, { trustAnchors: [root.pem] });
  assert.ok(
    notCa.problems.includes('certificate 2 (CN=chain.example) signed certificate 1 but is not a CA (basicConstraints CA:FALSE or missing)'),
    notCa.problems.join('\n'),
  );
  assert.notEqual((await opensslVerify(byLeaf.pem, { intermediates: [leaf.pem, int.pem] })).code, 0);
});

test('a chain lib/sign made; a bundle trusts its own ca; a real root is trusted by the system store', async () => {
  const rootKey = await keys.generateKey('ec-p256');
  const libRoot = await sign.createCaCertificate({ key: rootKey.key, subject: { CN: 'Lib Chain Root' } });
  const intKey = await keys.generateKey('ec-p256');
  const libInt = await sign.createCaCertificate({
    key: intKey.key,
    subject: { CN: 'Lib Chain Intermediate' },
    issuer: { key: rootKey.key, cert: libRoot },
  });
  const leafKey = await keys.generateKey('ec-p256');
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'lib.example' } });
  const libLeaf = await sign.signCsr({ csr, caKey: intKey.key, caCert: libInt });

  const bundle = { key: leafKey.privateKeyPem, cert: libLeaf, chain: [libInt], ca: libRoot };
  const result = await inspect(bundle, { host: 'lib.example' });
  assert.equal(result.ok, true, result.problems.join('; '));
  assert.equal(result.chain.trustAnchor.source, 'bundle');
  assert.equal(result.checks.keyMatchesCertificate, true);
  assert.equal((await opensslVerify(libLeaf, { intermediates: [libInt], roots: [libRoot] })).code, 0);

  // what the sign node hands on for a leaf of a root CA: { key, cert, ca }, and the chain may carry the root too
  const direct = await makeLeaf(tmp, 'direct.example', { issuer: root });
  for (const bundle of [
    { key: direct.keyPem, cert: direct.pem, ca: root.pem },
    { key: direct.keyPem, cert: direct.pem, chain: [root.pem], ca: root.pem },
  ]) {
    const signed = await inspect(bundle);
    assert.equal(signed.ok, true, signed.problems.join('; '));
    assert.match(signed.summary, /issued by Chain Root, chain OK, trusted via CN=Chain Root, key matches$/);
  }

  const wrongOrder = await inspect({ cert: libInt, chain: [libLeaf], ca: libRoot });
  assert.match(wrongOrder.problems[0], /^wrong order/);

  // Node's bundled root store changes with Node's version and its roots expire (Entrust's did on
  // 2026-11-27): take one that is valid at run time, and name it.
  const realRoot = rootValidNow();
  const system = await inspect(realRoot.pem, { trustAnchors: 'system' });
  assert.equal(system.ok, true, `${realRoot.subject}: ${system.problems.join('; ')}`);
  assert.equal(system.chain.endsAtRoot, true);
  assert.equal(system.chain.trustAnchor.source, 'system');
});

test('a bundle of unrelated certificates is reported in a few lines, not one per certificate', async () => {
  const others = [];
  for (let i = 0; i < 6; i++) others.push((await makeLeaf(tmp, `host${i}.example`, { issuer: int })).pem);
  const result = await inspect(others.join(''), { trustAnchors: 'none' });
  assert.deepEqual(result.problems, [
    'issuer "CN=Chain Intermediate" not found in the chain (needed by certificates 1, 2, 3 and 3 more): add the intermediate certificate',
    'certificates 2, 3, 4 and 2 more are not part of the chain of certificate 1 (CN=host0.example)',
  ]);
  assert.equal(result.certificates.length, 6);
});

test('openssl-made expired chain: openssl verify and inspect name the same certificate', async () => {
  // a cross-check that our "expired" is openssl's "expired", on the certificate openssl names
  const old = await makeLeaf(tmp, 'cross-old.example', { issuer: int, startdate: '20200101000000Z', enddate: '20200601000000Z' });
  const verdict = await opensslVerify(old.pem, { intermediates: [int.pem] });
  assert.match(verdict.stderr + verdict.stdout, /CN = cross-old\.example[\s\S]*certificate has expired/);
  const result = await inspect(old.pem + int.pem, { trustAnchors: [root.pem] });
  assert.match(result.problems[0], /^certificate 1 \(CN=cross-old\.example\) expired on 2020-06-01$/);
  await opensslOk(['version']);
});
