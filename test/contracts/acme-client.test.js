'use strict';
// Contract test for acme-client's non-public parts, which lib/acme/acme-client-adapter.ts (and
// only it) uses: Client#http (HttpClient: request, getDirectory, signedRequest, getJwk,
// createSignedBody, maxBadNonceRetries) and Client#api (AcmeApi: apiRequest, createAccount,
// updateAccountKey). When acme-client is upgraded and one of them changed, a test here fails
// with a message naming the part and what it no longer does.
//
// The ACME server is a few lines of node:http on loopback that records every request: enough
// to see what acme-client sends through our transport, with no CA.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { createPublicKey, verify } = require('node:crypto');
const adapter = require('../../dist/lib/acme/acme-client-adapter');
const { createAcmeClient } = require('../../dist/lib/acme/transport');
const { generateAccountKey } = require('../../dist/lib/acme/account');

const WRITTEN_FOR = '5.4';
const upgraded = !adapter.ACME_CLIENT_VERSION.startsWith(`${WRITTEN_FOR}.`);
const context = `acme-client ${adapter.ACME_CLIENT_VERSION}${upgraded ? ` (upgraded: lib/acme/acme-client-adapter.ts was written for ${WRITTEN_FOR}.x)` : ''}`;

let server;
let base;
const seen = []; // { method, url, headers, body }
let nonceCounter = 0;
let badNonceLeft = 0;
let accountStatus = 201;

function b64json(text) {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
}

before(async () => {
  server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: body ? JSON.parse(body) : undefined });
      res.setHeader('Replay-Nonce', `nonce-${++nonceCounter}`);
      if (req.url === '/dir') {
        res.setHeader('Content-Type', 'application/json');
        return res.end(
          JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/acct`, newOrder: `${base}/order`, keyChange: `${base}/key-change` }),
        );
      }
      if (req.url === '/nonce') return res.end();
      if (badNonceLeft > 0) {
        badNonceLeft -= 1;
        res.statusCode = 400;
        res.setHeader('Content-Type', 'application/problem+json');
        return res.end(JSON.stringify({ type: 'urn:ietf:params:acme:error:badNonce', detail: 'stale' }));
      }
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/acct') {
        res.statusCode = accountStatus;
        res.setHeader('Location', `${base}/acct/1`);
        return res.end(JSON.stringify({ status: 'valid' }));
      }
      if (req.url === '/key-change') return res.end(JSON.stringify({ status: 'valid' }));
      if (req.url === '/order/1') return res.end(JSON.stringify({ status: 'pending' }));
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

async function newClient(opts = {}) {
  const accountKeyPem = opts.accountKeyPem ?? (await generateAccountKey());
  const { client, transport } = createAcmeClient({
    directoryUrl: `${base}/dir`,
    accountKeyPem,
    accountUrl: opts.accountUrl,
    transport: opts.transport,
  });
  return { client, transport, accountKeyPem };
}

/** The JWS acme-client posted, decoded. */
function jwsOf(record) {
  assert.ok(
    record.body && record.body.protected && record.body.signature !== undefined,
    `${context}: a signed request is no longer a flattened JWS {protected, payload, signature}`,
  );
  return { header: b64json(record.body.protected), payload: record.body.payload === '' ? '' : b64json(record.body.payload), raw: record.body };
}

test('the internals the adapter uses exist with the expected types', async () => {
  const { client, transport } = await newClient();
  const problems = adapter.acmeClientContractProblems(client);
  assert.deepEqual(
    problems,
    [],
    `${context}: its internals changed:\n  - ${problems.join('\n  - ')}\nUpdate lib/acme/acme-client-adapter.ts (and this test) before shipping the upgrade.`,
  );
  transport.close();
});

test('a Client missing one of them is refused with ACME_CLIENT_INCOMPATIBLE naming it', async () => {
  const client = new (require('acme-client').Client)({ directoryUrl: `${base}/dir`, accountKey: await generateAccountKey() });
  client.api.createAccount = undefined; // as if a new version had renamed it
  assert.throws(
    () => adapter.acmeApiOf(client),
    (err) => err.code === 'ACME_CLIENT_INCOMPATIBLE' && /Client#api\.createAccount is missing/.test(err.message),
  );
});

test('HttpClient#getJwk: the public JWK of the account key', async () => {
  const { client, transport, accountKeyPem } = await newClient();
  const jwk = adapter.httpClientOf(client).getJwk();
  const expected = createPublicKey(accountKeyPem).export({ format: 'jwk' });
  assert.deepEqual(
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    { kty: 'EC', crv: 'P-256', x: expected.x, y: expected.y },
    `${context}: HttpClient#getJwk no longer returns the account key's public JWK`,
  );
  assert.equal(jwk.d, undefined, `${context}: HttpClient#getJwk returns the private part`);
  transport.close();
});

test('HttpClient#createSignedBody: a JWS with the nonce and kid given, or the jwk without kid, signed by the account key', async () => {
  const { client, transport, accountKeyPem } = await newClient();
  const httpClient = adapter.httpClientOf(client);
  const withKid = httpClient.createSignedBody('https://ca.example/x', { hello: 1 }, { nonce: 'n1', kid: 'https://ca.example/acct/9' });
  const header = b64json(withKid.protected);
  assert.deepEqual(
    { alg: header.alg, kid: header.kid, nonce: header.nonce, url: header.url, jwk: header.jwk },
    { alg: 'ES256', kid: 'https://ca.example/acct/9', nonce: 'n1', url: 'https://ca.example/x', jwk: undefined },
    `${context}: HttpClient#createSignedBody's protected header changed`,
  );
  assert.deepEqual(b64json(withKid.payload), { hello: 1 });
  const signed = Buffer.from(`${withKid.protected}.${withKid.payload}`);
  assert.ok(
    verify('sha256', signed, { key: createPublicKey(accountKeyPem), dsaEncoding: 'ieee-p1363' }, Buffer.from(withKid.signature, 'base64url')),
    `${context}: HttpClient#createSignedBody's signature does not verify with the account key`,
  );
  // the key-rollover inner JWS: no nonce, no kid, the new key as jwk
  const inner = b64json(httpClient.createSignedBody('https://ca.example/key-change', { account: 'a' }).protected);
  assert.equal(inner.kid, undefined, `${context}: createSignedBody without kid now sets a kid`);
  assert.equal(inner.nonce, undefined, `${context}: createSignedBody without nonce now sets one (RFC 8555 7.3.5: the inner JWS has none)`);
  assert.equal(inner.jwk?.x, httpClient.getJwk().x, `${context}: createSignedBody without kid no longer carries the jwk`);
  transport.close();
});

test('our transport carries every request (request and getDirectory replaced, signedRequest wrapped)', async () => {
  const { client, transport } = await newClient();
  seen.length = 0;
  accountStatus = 201;
  const resp = await adapter.acmeApiOf(client).createAccount({ termsOfServiceAgreed: true });
  assert.equal(resp.status, 201, `${context}: AcmeApi#createAccount no longer resolves the HTTP answer (status) of newAccount`);
  assert.equal(client.getAccountUrl(), `${base}/acct/1`, `${context}: AcmeApi#createAccount no longer records the account URL from Location`);
  const paths = seen.map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(
    paths,
    ['GET /dir', 'HEAD /nonce', 'POST /acct'],
    `${context}: createAccount made other requests than directory, nonce, newAccount: ${paths.join(', ')}`,
  );
  for (const r of seen)
    assert.match(
      String(r.headers['user-agent']),
      /node-red-certificates/,
      `${context}: ${r.method} ${r.url} did not go through our transport (HttpClient#request is no longer the one place that sends)`,
    );
  const post = seen[2];
  assert.equal(post.headers['content-type'], 'application/jose+json');
  const jws = jwsOf(post);
  assert.equal(jws.header.nonce, 'nonce-2', `${context}: signedRequest no longer signs with the nonce from HEAD newNonce`);
  assert.ok(jws.header.jwk && !jws.header.kid, `${context}: createAccount no longer signs with the jwk`);
  // the directory is fetched once per transport, for every client on it (getDirectory replaced)
  const second = (await newClient({ transport })).client;
  seen.length = 0;
  await adapter.acmeApiOf(second).createAccount({ onlyReturnExisting: true });
  assert.deepEqual(
    seen.map((r) => r.url),
    ['/nonce', '/acct'],
    `${context}: HttpClient#getDirectory replacement no longer used (directory fetched again)`,
  );
  transport.close();
});

test('AcmeApi#apiRequest: POST-as-GET with the kid and the accepted status codes', async () => {
  const { client, transport } = await newClient({ accountUrl: 'http://127.0.0.1/acct/1' });
  seen.length = 0;
  const resp = await adapter.acmeApiOf(client).apiRequest(`${base}/order/1`, null, [200]);
  assert.equal(resp.data.status, 'pending');
  const jws = jwsOf(seen.at(-1));
  assert.equal(jws.header.kid, 'http://127.0.0.1/acct/1', `${context}: AcmeApi#apiRequest no longer signs with the account URL as kid`);
  assert.equal(jws.payload, '', `${context}: AcmeApi#apiRequest(url, null) is no longer POST-as-GET (empty payload)`);
  await assert.rejects(
    adapter.acmeApiOf(client).apiRequest(`${base}/order/1`, null, [201]),
    `${context}: AcmeApi#apiRequest no longer rejects a status outside validStatusCodes`,
  );
  transport.close();
});

test('AcmeApi#updateAccountKey posts the given body to the directory keyChange URL', async () => {
  const { client, transport } = await newClient({ accountUrl: 'http://127.0.0.1/acct/1' });
  seen.length = 0;
  await adapter.acmeApiOf(client).updateAccountKey({ marker: 'inner-jws' });
  const record = seen.find((r) => r.url === '/key-change');
  assert.ok(record, `${context}: AcmeApi#updateAccountKey no longer posts to the directory's keyChange`);
  assert.deepEqual(jwsOf(record).payload, { marker: 'inner-jws' }, `${context}: AcmeApi#updateAccountKey no longer sends the body as given`);
  transport.close();
});

test("badNonce: acme-client's own loop retries with the answer's replay-nonce, up to maxBadNonceRetries", async () => {
  const { client, transport } = await newClient({ accountUrl: 'http://127.0.0.1/acct/1' });
  const httpClient = adapter.httpClientOf(client);
  assert.ok(httpClient.maxBadNonceRetries >= 10, `${context}: HttpClient#maxBadNonceRetries is no longer what the transport set`);
  seen.length = 0;
  badNonceLeft = 2;
  const resp = await adapter.acmeApiOf(client).apiRequest(`${base}/order/1`, null, [200]);
  assert.equal(resp.status, 200);
  const posts = seen.filter((r) => r.method === 'POST');
  assert.equal(posts.length, 3);
  // the retries reuse the replay-nonce of the badNonce answers: no extra HEAD newNonce
  assert.equal(
    seen.filter((r) => r.method === 'HEAD').length,
    1,
    `${context}: HttpClient#signedRequest's badNonce loop no longer uses the replay-nonce of the error answer`,
  );
  const nonces = posts.map((r) => jwsOf(r).header.nonce);
  assert.equal(new Set(nonces).size, 3, `${context}: a badNonce retry resent a spent nonce`);
  transport.close();
});
