'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const names = require('../../dist/lib/pki/names');

test('DNS names: valid ones are normalized (lower case, trailing dot, IDN to punycode)', () => {
  assert.equal(names.validateDnsName('Example.COM'), 'example.com');
  assert.equal(names.validateDnsName('example.com.'), 'example.com');
  assert.equal(names.validateDnsName('localhost'), 'localhost');
  assert.equal(names.validateDnsName('a-b.c1.example'), 'a-b.c1.example');
  assert.equal(names.validateDnsName('*.example.com'), '*.example.com');
  assert.equal(names.validateDnsName('bücher.de'), 'xn--bcher-kva.de');
  assert.equal(names.validateDnsName('xn--bcher-kva.de'), 'xn--bcher-kva.de');
  assert.equal(names.validateDnsName(`${'a'.repeat(63)}.example.com`), `${'a'.repeat(63)}.example.com`);
});

test('DNS names: invalid ones get a clear error naming the value', () => {
  const bad = {
    'exa mple.com': /^"exa mple\.com" is not a valid DNS name: it contains a space$/,
    'foo_bar.example.com': /"_" is not allowed/,
    '-lead.example.com': /cannot start or end with "-"/,
    'a..b.com': /empty label/,
    'a.*.example.com': /only allowed as the whole left-most label/,
    '*foo.example.com': /only allowed as the whole left-most label/,
    '*.com': /at least two labels after/,
    'host:1880': /a port/,
    'exa!mple.com': /only letters, digits/,
    [`${'a'.repeat(64)}.com`]: /longer than 63/,
    [`${'abcdefghi.'.repeat(26)}com`]: /longer than 253/,
    '1.2.3.4.5': /last label cannot be all digits/,
  };
  for (const [name, message] of Object.entries(bad)) {
    assert.throws(() => names.validateDnsName(name), { code: 'NAME_INVALID_DNS', message }, name);
    assert.throws(() => names.validateDnsName(name), { message: new RegExp(`^"${name.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }, name);
  }
  assert.throws(() => names.validateDnsName('*.example.com', { allowWildcard: false }), { message: /wildcard is not allowed/ });
  assert.throws(() => names.validateDnsName(''), { code: 'NAME_INVALID_DNS' });
});

test('IP addresses: IPv4 and IPv6 (normalized); invalid ones get a clear error', () => {
  assert.equal(names.validateIpAddress('192.168.1.10'), '192.168.1.10');
  assert.equal(names.validateIpAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(names.validateIpAddress('[::1]'), '::1');
  assert.equal(names.validateIpAddress('fd00:0::10'), 'fd00::10');
  for (const bad of ['300.1.1.1', '1.2.3', 'fe80::1%eth0', '2001:db8::g', 'localhost', '01.2.3.4']) {
    assert.throws(() => names.validateIpAddress(bad), { code: 'NAME_INVALID_IP', message: new RegExp(`is not a valid IP address`) }, bad);
  }
  assert.throws(() => names.validateIpAddress('300.1.1.1'), { message: /^"300\.1\.1\.1" is not a valid IP address/ });
});

test('e-mail addresses: local part kept, domain validated; invalid ones get a clear error', () => {
  assert.equal(names.validateEmail('Alice.Smith+tag@Example.COM'), 'Alice.Smith+tag@example.com');
  for (const bad of ['alice', '@example.com', 'alice@', 'al ice@example.com', 'alice@exa mple.com', 'a..b@example.com', 'ä@example.com']) {
    assert.throws(() => names.validateEmail(bad), { code: 'NAME_INVALID_EMAIL', message: /is not a valid e-mail address/ }, bad);
  }
});

test('URIs: absolute, ASCII; invalid ones get a clear error', () => {
  assert.equal(names.validateUri('https://example.com/device/1'), 'https://example.com/device/1');
  assert.equal(names.validateUri('spiffe://home.lan/ns/sensors'), 'spiffe://home.lan/ns/sensors');
  assert.equal(names.validateUri('urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66'), 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66');
  for (const bad of ['example.com/path', 'https://exa mple.com', '//no-scheme']) {
    assert.throws(() => names.validateUri(bad), { code: 'NAME_INVALID_URI', message: /is not a valid URI/ }, bad);
  }
});

test('classifyAltName tells IP, e-mail, URI and DNS apart, and honours OpenSSL-style prefixes', () => {
  assert.deepEqual(names.classifyAltName('10.0.0.1'), { type: 'ip', value: '10.0.0.1' });
  assert.deepEqual(names.classifyAltName('[fd00::1]'), { type: 'ip', value: 'fd00::1' });
  assert.deepEqual(names.classifyAltName('fd00::1'), { type: 'ip', value: 'fd00::1' });
  assert.deepEqual(names.classifyAltName('admin@example.com'), { type: 'email', value: 'admin@example.com' });
  assert.deepEqual(names.classifyAltName('https://example.com/x'), { type: 'uri', value: 'https://example.com/x' });
  assert.deepEqual(names.classifyAltName('urn:example:device'), { type: 'uri', value: 'urn:example:device' });
  assert.deepEqual(names.classifyAltName('*.Example.com'), { type: 'dns', value: '*.example.com' });
  assert.deepEqual(names.classifyAltName('DNS:www.example.com'), { type: 'dns', value: 'www.example.com' });
  assert.deepEqual(names.classifyAltName('IP:::1'), { type: 'ip', value: '::1' });
  assert.deepEqual(names.classifyAltName('email:a@example.com'), { type: 'email', value: 'a@example.com' });
  assert.deepEqual(names.classifyAltName('URI:urn:x:y'), { type: 'uri', value: 'urn:x:y' });
  // something that looks like an address but is not one says "IP address", not "DNS name"
  assert.throws(() => names.classifyAltName('192.168.1.300'), { message: /not a valid IP address/ });
  assert.throws(() => names.classifyAltName('exa mple.com'), { message: /^"exa mple\.com" is not a valid DNS name/ });
});

test('parseAltNames accepts text, lists, {type, value} and {dns, ip, email, uri}; removes duplicates', () => {
  assert.deepEqual(names.parseAltNames('a.example.com, b.example.com\n10.0.0.1;  ::1 a.example.com'), [
    { type: 'dns', value: 'a.example.com' },
    { type: 'dns', value: 'b.example.com' },
    { type: 'ip', value: '10.0.0.1' },
    { type: 'ip', value: '::1' },
  ]);
  assert.deepEqual(names.parseAltNames(['a.example.com', { type: 'email', value: 'x@example.com' }, 'urn:x:y']), [
    { type: 'dns', value: 'a.example.com' },
    { type: 'email', value: 'x@example.com' },
    { type: 'uri', value: 'urn:x:y' },
  ]);
  assert.deepEqual(names.parseAltNames({ dns: ['a.example.com', 'A.example.com'], ip: '127.0.0.1', uri: 'spiffe://x/y' }), [
    { type: 'dns', value: 'a.example.com' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'uri', value: 'spiffe://x/y' },
  ]);
  assert.deepEqual(names.parseAltNames(undefined), []);
  assert.deepEqual(names.parseAltNames(''), []);
  assert.throws(() => names.parseAltNames({ ip: 'not-an-ip' }), { code: 'NAME_INVALID_IP' });
  assert.throws(() => names.parseAltNames([{ type: 'x400', value: 'x' }]), { code: 'NAME_INVALID_TYPE' });
  assert.throws(() => names.parseAltNames(['ok.example.com', 'bad_name.example.com']), {
    message: /"bad_name\.example\.com" is not a valid DNS name/,
  });
});
