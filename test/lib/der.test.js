'use strict';
// lib/pki/der (our DER reader, in place of asn1js), judged by `openssl asn1parse`: the same
// values at the same offsets, depths and lengths, over certificates, CSRs and keys of every kind
// this package handles; then its value readers and its refusals of malformed input.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const der = require('../../dist/lib/pki/der');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { opensslOk, tempDir } = require('../helpers/openssl');

let tmp;
before(async () => {
  tmp = await tempDir('certflow-der-');
});
after(() => tmp.cleanup());

function headerLength(bytes) {
  let n = 1;
  if ((bytes[0] & 0x1f) === 0x1f) while (bytes[n++] & 0x80);
  const first = bytes[n++];
  return first & 0x80 && first !== 0x80 ? n + (first & 0x7f) : n;
}

/** "offset:depth:hl:l:cons|prim" for every value, as openssl asn1parse lists them. */
function ourListing(root) {
  const lines = [];
  const base = root.valueBeforeDecodeView.byteOffset;
  const walk = (node, depth) => {
    const whole = node.valueBeforeDecodeView;
    const hl = headerLength(whole);
    lines.push(`${whole.byteOffset - base}:${depth}:${hl}:${whole.length - hl}:${node.idBlock.isConstructed ? 'cons' : 'prim'}`);
    for (const child of node.valueBlock.value ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return lines;
}

async function opensslListing(bytes) {
  const out = await opensslOk(['asn1parse', '-inform', 'DER', '-in', await tmp.write(`v-${Math.random()}.der`, bytes)]);
  return out
    .split('\n')
    .map((line) => /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(cons|prim)/.exec(line))
    .filter(Boolean)
    .map((m) => `${m[1]}:${m[2]}:${m[3]}:${m[4]}:${m[5]}`);
}

const pemToDer = (pem) => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

test('the tree matches openssl asn1parse for certificates, CSRs and keys', async () => {
  const ca = await keys.generateKey('ec-p384');
  const caPem = await sign.createCaCertificate({
    key: ca.key,
    subject: { CN: 'DER Test CA', O: 'Grüße' },
    pathLength: 0,
    nameConstraints: { permitted: { dns: ['example.com'], ip: ['10.0.0.0/8'] } },
  });
  const samples = { ca: pemToDer(caPem) };
  for (const type of ['ec-p256', 'rsa-2048', 'ed25519']) {
    const k = await keys.generateKey(type);
    const csrPem = await createCsr({
      key: k.key,
      subject: { CN: `${type}.example` },
      altNames: ['10.0.0.1', 'mail@example.com', 'https://example.com/x'],
    });
    samples[`csr-${type}`] = pemToDer(csrPem);
    samples[`leaf-${type}`] = pemToDer(await sign.signCsr({ csr: csrPem, caKey: ca.key, caCert: caPem, clientAuth: true }));
    samples[`spki-${type}`] = k.key.export ? require('node:crypto').createPublicKey(k.key).export({ format: 'der', type: 'spki' }) : undefined;
    samples[`pkcs8-${type}`] = k.key.export({ format: 'der', type: 'pkcs8' });
  }
  for (const [name, bytes] of Object.entries(samples)) {
    const root = der.decodeDerStrict(new Uint8Array(bytes));
    assert.deepEqual(ourListing(root), await opensslListing(bytes), `${name}: the tree differs from openssl asn1parse`);
  }
});

test('values: OIDs, strings, times, BIT STRING content', () => {
  for (const oid of ['1.2.840.10045.2.1', '2.5.29.17', '0.9.2342.19200300.100.1.25', '2.999.18446744073709551617', '1.3.6.1.4.1.311.60.2.1.3']) {
    assert.equal(der.oidValue(der.decodeDerStrict(der.encodeOid(oid))), oid);
  }
  const str = (tag, bytes) => der.stringValue(der.decodeDerStrict(der.encodeDer(tag, Buffer.from(bytes))));
  assert.equal(str(0x0c, Buffer.from('Grüße ✓', 'utf8')), 'Grüße ✓');
  assert.equal(str(0x13, 'Example Ltd'), 'Example Ltd');
  assert.equal(str(0x14, Buffer.from([0x47, 0xfc])), 'Gü'); // TeletexString: octets as Latin-1 (as asn1js, and OpenSSL's T61 display)
  assert.equal(str(0x1e, Buffer.from([0x00, 0x47, 0x00, 0xfc])), 'Gü'); // BMPString
  assert.equal(str(0x1c, Buffer.from([0, 0, 0, 0x47, 0, 0, 0, 0xfc])), 'Gü'); // UniversalString
  assert.equal(der.stringValue(der.decodeDerStrict(der.encodeDer(0x02, Buffer.from([1])))), undefined);
  const time = (tag, text) => der.timeValue(der.decodeDerStrict(der.encodeDer(tag, Buffer.from(text))));
  assert.equal(time(0x17, '491231235959Z').toISOString(), '2049-12-31T23:59:59.000Z');
  assert.equal(time(0x17, '500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z');
  assert.equal(time(0x18, '99991231235959Z').toISOString(), '9999-12-31T23:59:59.000Z');
  assert.equal(time(0x18, '00010101000000Z').toISOString(), '0001-01-01T00:00:00.000Z');
  assert.equal(time(0x17, '4912312359Z'), undefined);
  const bits = der.decodeDerStrict(der.encodeDer(0x03, Buffer.from([0x04, 0xf0])));
  assert.equal(bits.valueBlock.unusedBits, 4);
  assert.deepEqual([...bits.valueBlock.valueHexView], [0xf0]);
});

test('malformed input is refused with a DerError', () => {
  const refused = (bytes, why) => assert.throws(() => der.decodeDerStrict(new Uint8Array(bytes)), der.DerError, why);
  refused([], 'empty');
  refused([0x30, 0x03, 0x02, 0x01], 'cut off');
  refused([0x02, 0x01, 0x01, 0x00], 'trailing bytes');
  refused([0x04, 0x80, 0x00, 0x00], 'indefinite length for a primitive');
  refused([0x22, 0x03, 0x02, 0x01, 0x01], 'constructed INTEGER');
  refused([0x10, 0x00], 'primitive SEQUENCE');
  refused([0x1f, 0x25, 0x00], 'reserved universal tag 37');
  refused([0x30, 0x85, 0, 0, 0, 0, 1], 'five length octets');
  refused([0x30, 0x04, 0x02, 0x03, 0x01, 0x02], 'a child running past its parent');
  refused([0x03, 0x00], 'BIT STRING without the unused-bits octet');
  let deep = Buffer.from([0x05, 0x00]);
  for (let i = 0; i < 120; i++) deep = der.encodeDer(0x30, deep);
  refused(deep, 'nesting deeper than 100');
  const many = der.encodeDer(0x30, Buffer.alloc(2 * 10001, Buffer.from([0x05, 0x00])));
  refused(many, 'more than 10,000 values');
  // BER indefinite length for a constructed value is read (as asn1js reads it)
  const indefinite = der.decodeDerStrict(new Uint8Array([0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]));
  assert.equal(indefinite.valueBlock.value.length, 1);
});
