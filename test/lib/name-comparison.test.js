'use strict';
// RFC 5280 section 7.1 name comparison (lib/inspect/distinguished-name.ts), which chain building
// uses to link a certificate's issuer to its CA's subject: string attributes compare after
// case folding and space squeezing whatever string type each side used; RDNs in order; the
// attributes inside one RDN as a set; other values byte for byte.
const test = require('node:test');
const assert = require('node:assert/strict');
const { AsnConvert } = require('@peculiar/asn1-schema');
const { Name, RelativeDistinguishedName, AttributeTypeAndValue, DirectoryString } = require('@peculiar/asn1-x509');
const { readName } = require('../../dist/lib/inspect/distinguished-name');
const { decodeDer } = require('../../dist/lib/inspect/asn1-tree');

const CN = '2.5.4.3';
const O = '2.5.4.10';
const C = '2.5.4.6';

/** A Name from RDNs given as lists of [oid, { utf8String | printableString | ... }]. */
function nameKey(rdns) {
  const name = new Name(
    rdns.map(
      (attributes) =>
        new RelativeDistinguishedName(attributes.map(([type, value]) => new AttributeTypeAndValue({ type, value: new DirectoryString(value) }))),
    ),
  );
  return readName(decodeDer(Buffer.from(AsnConvert.serialize(name)))).key;
}

test('case, string type and runs of spaces do not make two names differ', () => {
  const caSubject = nameKey([[[C, { printableString: 'US' }]], [[O, { utf8String: 'Example  Corp' }]], [[CN, { utf8String: 'Example Root CA' }]]]);
  const leafIssuer = nameKey([
    [[C, { printableString: 'us' }]],
    [[O, { printableString: ' example corp ' }]],
    [[CN, { bmpString: 'EXAMPLE ROOT CA' }]],
  ]);
  assert.equal(leafIssuer, caSubject);
});

test('the attributes of one RDN are a set: their order does not matter', () => {
  const one = nameKey([
    [
      [O, { utf8String: 'Example' }],
      [CN, { utf8String: 'ca' }],
    ],
  ]);
  const other = nameKey([
    [
      [CN, { utf8String: 'CA' }],
      [O, { utf8String: 'example' }],
    ],
  ]);
  assert.equal(one, other);
});

test('the RDNs are a sequence: their order does matter, and so does how they are grouped', () => {
  const forward = nameKey([[[O, { utf8String: 'Example' }]], [[CN, { utf8String: 'CA' }]]]);
  const reversed = nameKey([[[CN, { utf8String: 'CA' }]], [[O, { utf8String: 'Example' }]]]);
  const grouped = nameKey([
    [
      [O, { utf8String: 'Example' }],
      [CN, { utf8String: 'CA' }],
    ],
  ]);
  assert.notEqual(forward, reversed);
  assert.notEqual(forward, grouped);
});

test('different words stay different (the display text is not what is compared)', () => {
  assert.notEqual(nameKey([[[CN, { utf8String: 'Example CA 1' }]]]), nameKey([[[CN, { utf8String: 'Example CA 2' }]]]));
  // a comma inside a value and two RDNs read the same as display text, never as names
  assert.notEqual(nameKey([[[O, { utf8String: 'A, CN=B' }]]]), nameKey([[[O, { utf8String: 'A' }]], [[CN, { utf8String: 'B' }]]]));
});
