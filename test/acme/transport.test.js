'use strict';
// The transport's own rules that need no CA: timeouts against a server that never answers,
// the rate-limit message, Retry-After parsing, identifier parsing and challenge choice.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const acme = require('../../dist/lib/acme');
const { parseRetryAfter } = require('../../dist/lib/acme/transport');

test('a server that accepts but never answers: a timeout error naming the server, after the configured retries', async () => {
  const sockets = new Set();
  const silent = net.createServer((s) => sockets.add(s)); // reads nothing, answers nothing
  await new Promise((r) => silent.listen(0, '127.0.0.1', r));
  const { port } = silent.address();
  const retries = [];
  try {
    const started = Date.now();
    const err = await acme
      .fetchDirectoryMeta(`http://127.0.0.1:${port}/dir`, undefined, {
        timeoutMs: 300,
        maxRetries: 1,
        retryBaseDelayMs: 50,
        onRetry: (r) => retries.push(r),
      })
      .catch((e) => e);
    const took = Date.now() - started;
    assert.equal(err.code, 'ACME_UNREACHABLE');
    assert.equal(err.message, `cannot reach the ACME server 127.0.0.1:${port}: no answer within 300 ms`);
    // two attempts of 300 ms each (never earlier); far below the 30 s default timeout
    assert.ok(took >= 600 && took < 20000, `took ${took} ms`);
    assert.deepEqual(
      retries.map((r) => [r.reason, r.attempt]),
      [['network', 1]],
    );
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('rateLimited is reported with the time the CA allows a retry', () => {
  const transport = new acme.AcmeTransport('https://acme.example/dir');
  const before = Date.now();
  const err = transport.problemError(
    {
      status: 429,
      headers: { 'retry-after': '3600' },
      data: { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many certificates (5) already issued for this exact set of identifiers' },
    },
    'https://acme.example/new-order',
  );
  transport.close();
  assert.equal(err.code, 'ACME_RATE_LIMITED');
  const at = Date.parse(err.details.retryAfter);
  assert.ok(at >= before + 3600000 && at < before + 3610000);
  assert.equal(
    err.message,
    `the CA's rate limit was reached: too many certificates (5) already issued for this exact set of identifiers - a retry may happen after ${err.details.retryAfter}`,
  );
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('120', 0), 120000);
  assert.equal(parseRetryAfter(new Date(10000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

test('problem documents with subproblems name every identifier', () => {
  const problem = acme.parseAcmeProblem({
    type: 'urn:ietf:params:acme:error:rejectedIdentifier',
    detail: 'Some identifiers were rejected',
    subproblems: [{ type: 'urn:ietf:params:acme:error:caa', detail: 'CAA forbids issuance', identifier: { type: 'dns', value: 'b.example.com' } }],
  });
  assert.equal(
    acme.describeAcmeProblem(problem),
    'rejectedIdentifier: Some identifiers were rejected (the CA will not issue certificates for this name); b.example.com: caa - CAA forbids issuance',
  );
});

test('identifiers: names, wildcards and IP addresses; the default challenge per kind; impossible choices refused', () => {
  assert.deepEqual(acme.parseIdentifiers('A.Example.com, *.example.com\n127.0.0.1; [2001:DB8::1], a.example.com'), [
    { type: 'dns', value: 'a.example.com' },
    { type: 'dns', value: '*.example.com' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '2001:db8::1' },
  ]);
  assert.throws(() => acme.parseIdentifiers(['exa mple.com']), /"exa mple.com" is not a valid DNS name/);
  assert.throws(() => acme.parseIdentifiers(''), /no DNS name or IP address given/);
  const [name, wildcard, ip] = acme.parseIdentifiers('a.example.com,*.example.com,10.0.0.1');
  assert.equal(acme.challengeTypeFor(name), 'http-01');
  assert.equal(acme.challengeTypeFor(wildcard), 'dns-01');
  assert.equal(acme.challengeTypeFor(ip), 'http-01');
  assert.equal(acme.challengeTypeFor(name, { perIdentifier: { 'a.example.com': 'tls-alpn-01' } }), 'tls-alpn-01');
  assert.throws(() => acme.challengeTypeFor(ip, { defaults: { ip: 'dns-01' } }), /10\.0\.0\.1 is an IP address: use http-01 or tls-alpn-01/);
  assert.throws(() => acme.challengeTypeFor(name, { defaults: { dns: 'http-02' } }), /"http-02" is not a challenge type/);
  assert.equal(acme.dns01RecordName(wildcard), '_acme-challenge.example.com');
});

test("directory presets resolve to the CAs' URLs; bad input gets a clear error", () => {
  assert.equal(acme.resolveDirectoryUrl('letsencrypt'), 'https://acme-v02.api.letsencrypt.org/directory');
  assert.equal(acme.resolveDirectoryUrl('letsencrypt-staging'), 'https://acme-staging-v02.api.letsencrypt.org/directory');
  assert.ok(acme.CA_PRESETS.find((p) => p.id === 'zerossl').eabRequired);
  assert.throws(() => acme.resolveDirectoryUrl('lets encrypt'), /"lets encrypt" is neither an ACME directory URL nor a known CA/);
  assert.throws(() => acme.resolveDirectoryUrl('ftp://x/dir'), /must start with https:\/\//);
});
