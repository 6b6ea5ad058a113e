'use strict';
// Issue 10, hostile input: each reproducer the issue names answers within 1 s with our own clear
// error (or, where OpenSSL reads the file, with OpenSSL's facts). The hostile files are made
// here: node-forge's ASN.1 rewrites an openssl-made PKCS#12 with a huge iteration count.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const forge = require('node-forge');
const { inspect } = require('../../dist/lib/inspect/inspect');
const { importPkcs12, exportPkcs12 } = require('../../dist/lib/inspect/pkcs12');
const { decodeInput } = require('../../dist/lib/inspect/pem');
const { parseCsr } = require('../../dist/lib/pki/csr');
const { loadPrivateKey } = require('../../dist/lib/pki/keys');
const { INPUT_LIMITS, PKCS12_LIMITS } = require('../../dist/lib/limits');
const seeds = require('./fuzz-seeds');

const seed = (name) => Buffer.from(seeds.find((s) => s.name === name).der, 'base64');
const asn1 = forge.asn1;
const integer = (n) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());

/** The p12 with its MAC iteration count (or the key's PBKDF2 count) replaced. */
function withIterations(p12, iterations, where = 'mac') {
  const pfx = asn1.fromDer(p12.toString('binary'));
  if (where === 'mac') pfx.value[2].value[2] = integer(iterations);
  else {
    // authSafe -> [0] -> OCTET STRING (SEQUENCE OF ContentInfo) -> the data part with the shrouded key bag
    const authSafe = asn1.fromDer(pfx.value[1].value[1].value[0].value);
    for (const info of authSafe.value) {
      if (asn1.derToOid(info.value[0].value) !== forge.pki.oids.data) continue;
      const bags = asn1.fromDer(info.value[1].value[0].value);
      for (const bag of bags.value) {
        if (asn1.derToOid(bag.value[0].value) !== forge.pki.oids.pkcs8ShroudedKeyBag) continue;
        const pbkdf2Params = bag.value[1].value[0].value[0].value[1].value[0].value[1];
        pbkdf2Params.value[1] = integer(iterations);
      }
      info.value[1].value[0].value = asn1.toDer(bags).getBytes();
    }
    pfx.value[1].value[1].value[0].value = asn1.toDer(authSafe).getBytes();
    pfx.value.length = 2; // without its MAC, which no longer fits: the key's count is what gets read
  }
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

/**
 * Runs fn and reports its wall time, the longest event-loop stall meanwhile, and how many times
 * a 1 ms timer fired during it: work done on the loop in one piece lets none fire, work in
 * slices (or off the loop) lets many fire, whatever the machine's speed or load.
 */
async function timed(fn) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let ticks = 0;
  const ticker = setInterval(() => (ticks += 1), 1);
  const started = performance.now();
  let error;
  let value;
  try {
    value = await fn();
  } catch (err) {
    error = err;
  }
  const ms = performance.now() - started;
  clearInterval(ticker);
  await new Promise((resolve) => setTimeout(resolve, 10));
  loop.disable();
  return { error, value, ms, ticks, blockedMs: loop.max / 1e6 - 5 };
}

test('a PKCS#12 file whose MAC iteration count is 2^31-1 is refused at once, naming the cap', async () => {
  const hostile = withIterations(seed('ec-aes256.p12'), 2 ** 31 - 1);
  for (const call of [() => importPkcs12(hostile, 'fuzz'), () => inspect(hostile, { password: 'anything' })]) {
    const { error, ms } = await timed(call);
    assert.ok(ms < 1000, `answered in ${Math.round(ms)} ms`);
    assert.equal(error?.code, 'P12_ITERATIONS_TOO_MANY');
    assert.match(error.message, /2,147,483,647 password iterations .* more than the 1,000,000 this package allows/);
  }
});

test('a PBKDF2 iteration count above the cap in the key bag is refused too; one just under it runs off the loop', async (t) => {
  const p12 = await exportPkcs12({ key: loadPrivateKey(Buffer.from(seed('ec-pkcs8'))), cert: seed('ec-cert'), password: 'pw', iterations: 1 });
  const tooMany = withIterations(withIterations(p12, 1, 'key'), PKCS12_LIMITS.maxIterations + 1, 'key');
  await assert.rejects(importPkcs12(tooMany, 'pw'), { code: 'P12_ITERATIONS_TOO_MANY' });
  // a MAC at the cap: about a second of hashing, in slices, so the loop stays free
  const atCap = withIterations(p12, PKCS12_LIMITS.maxIterations);
  const { error, blockedMs, ticks, ms } = await timed(() => importPkcs12(atCap, 'pw'));
  assert.equal(error?.code, 'P12_WRONG_PASSWORD', 'the MAC (made for 1 iteration) no longer matches');
  // about a second of hashing in 10 ms slices: dozens of ticks; in one piece: none
  assert.ok(ticks >= 20, `a 1 ms timer fired only ${ticks} times during ${Math.round(ms)} ms of hashing: the work held the loop`);
  t.diagnostic(
    `${Math.round(ms)} ms of hashing, ${ticks} timer ticks meanwhile, longest stall ${Math.round(blockedMs)} ms (bench/ measures the 100 ms target)`,
  );
});

test('an iteration count of 0, and damaged PKCS#12 structures, are our errors', async () => {
  await assert.rejects(importPkcs12(withIterations(seed('ec-aes256.p12'), 0), 'fuzz'), {
    code: 'P12_INVALID',
    message: /iteration count of 0, which must be at least 1/,
  });
  const p12 = seed('rsa-3des.p12');
  for (const cut of [10, 100, 400, p12.length - 30]) {
    await assert.rejects(importPkcs12(p12.subarray(0, cut), 'fuzz'), (err) => err.name === 'CertflowError' && /^P12_/.test(err.code));
  }
});

test('many BEGIN lines with no END are refused in linear time', async () => {
  const text = '-----BEGIN CERTIFICATE-----\nAAAA\n'.repeat(15000); // ~500 KB
  for (const call of [
    () => decodeInput(text),
    () => inspect(text),
    () => loadPrivateKey(text.replace(/CERTIFICATE/g, 'PRIVATE KEY')),
    () => parseCsr(text.replace(/CERTIFICATE/g, 'CERTIFICATE REQUEST')),
  ]) {
    const { error, ms } = await timed(call);
    assert.equal(error?.name, 'CertflowError', String(error));
    assert.ok(ms < 500, `answered in ${Math.round(ms)} ms`);
  }
});

test('inputs over the size limits are refused with the limit in the error, fast', async () => {
  const big = Buffer.alloc(10 * 1024 * 1024, 0x41);
  for (const input of [big, big.toString('latin1'), { cert: big.toString('latin1') }, require('node:crypto').randomBytes(10 * 1024 * 1024)]) {
    const { error, ms } = await timed(() => inspect(input));
    assert.equal(error?.code, 'INPUT_TOO_LARGE');
    assert.match(error.message, /is 10 MB, more than the 2 MB this package reads/);
    assert.ok(ms < 1000);
  }
  assert.equal(INPUT_LIMITS.totalBytes, 2 * 1024 * 1024);
  // a 300 KB DER blob is larger than any certificate, CSR or key
  await assert.rejects(inspect(Buffer.concat([Buffer.from([0x30, 0x83, 0x04, 0x93, 0xe0]), Buffer.alloc(300000)])), {
    code: 'INPUT_TOO_LARGE',
    message: /64 KB/,
  });
});

test('a CA bundle of the largest size allowed is read without holding the loop for long', async () => {
  const pem = `-----BEGIN CERTIFICATE-----\n${seed('ec-cert').toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  const bundle = pem.repeat(Math.floor((1.5 * 1024 * 1024) / pem.length));
  const { error, value, blockedMs, ms } = await timed(() => inspect(bundle, { trustAnchors: 'none' }));
  assert.equal(error, undefined);
  assert.ok(value.certificates.length > 1000);
  assert.ok(blockedMs < 1000, `loop held ${Math.round(blockedMs)} ms at most (took ${Math.round(ms)} ms)`);
});

test('the lone CSR and PKCS#12 reproducers: our errors or OpenSSL facts, never raw ones', async () => {
  // an EC point prefixed 05 (not a valid point encoding) in a CSR
  const csr = Buffer.from(seed('ec-csr'));
  const point = csr.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04]));
  csr[point + 3] = 0x05;
  await assert.rejects(parseCsr(csr), { code: 'CSR_INVALID', message: 'the CSR could not be read: its public key is malformed' });
  await assert.rejects(inspect(csr), (err) => err.name === 'CertflowError');
  // NEW CERTIFICATE REQUEST (BEGIN and END) is read as a CSR
  const legacy = `-----BEGIN NEW CERTIFICATE REQUEST-----\n${seed('ec-csr').toString('base64')}\n-----END NEW CERTIFICATE REQUEST-----\n`;
  assert.equal((await parseCsr(legacy)).subject.CN, 'csr.example');
  // a damaged key block before a good one: the good one is read, as OpenSSL does
  const good = `-----BEGIN PRIVATE KEY-----\n${seed('ec-pkcs8').toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const bogus = '-----BEGIN PRIVATE KEY-----\nMIIB!!notbase64\n-----END PRIVATE KEY-----\n';
  assert.equal(loadPrivateKey(bogus + good).asymmetricKeyType, 'ec');
  assert.equal((await inspect(bogus + good)).key.label, 'EC P-256');
});
