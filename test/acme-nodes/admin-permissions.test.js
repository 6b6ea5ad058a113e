'use strict';
// The editor's directory lookup (GET/POST /certflow-acme-account/directory) in a real Node-RED
// process with adminAuth: a read-only user cannot make the server fetch a URL of their choice
// (the target sees no request), and a user who may change flows gets only the facts of a
// directory-shaped answer, with one error for everything else (no reflected fields, problem
// detail, HTTP status or "connection refused" that would map the server's network).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { startNodeRed, repoRoot } = require('../harness/node-red-process');

const bcrypt = require(require.resolve('bcryptjs', { paths: [path.join(repoRoot, 'node_modules', 'node-red')] }));

const PASSWORD = 'certflow-admin-test';
let nodeRed;
let target;
const seen = []; // paths the target server was asked for
const tokens = {};

/** A server inside "the network": an internal JSON service, an error with a problem document, and one real-looking ACME directory. */
function startTarget() {
  const server = http.createServer((req, res) => {
    seen.push(req.url);
    const base = `http://127.0.0.1:${server.address().port}`;
    const json = (status, body, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
    if (req.url === '/directory') {
      return json(200, {
        newNonce: `${base}/nonce`,
        newAccount: `${base}/account`,
        newOrder: `${base}/order`,
        meta: { termsOfService: 'https://ca.example.test/terms', profiles: { classic: 'the usual one' } },
      });
    }
    if (req.url === '/internal/config') {
      // fields a directory would have, and newNonce/newOrder, but not a directory's URLs
      return json(200, {
        newNonce: 'x',
        newOrder: 'y',
        meta: {
          termsOfService: 'internal-terms',
          website: 'internal-website',
          caaIdentities: ['internal-caa'],
          profiles: { secret: 'internal-profile' },
        },
      });
    }
    if (req.url === '/internal/problem') {
      return json(403, { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'internal-problem-detail' }, 'application/problem+json');
    }
    json(404, { error: 'internal-not-found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function login(username) {
  const response = await fetch(`${nodeRed.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // scope '' = the user's own permissions, as the editor asks
    body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username, password: PASSWORD }),
  });
  assert.equal(response.status, 200, `login of ${username}`);
  return (await response.json()).access_token;
}

/** GET (query) or POST (JSON body) the directory endpoint as `user` (undefined: anonymous). */
async function lookUp(user, params, method = 'POST') {
  const headers = { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${tokens[user]}` } : {}) };
  const url = `${nodeRed.url}/certflow-acme-account/directory`;
  const response =
    method === 'GET'
      ? await fetch(`${url}?${new URLSearchParams(params)}`, { headers })
      : await fetch(url, { method: 'POST', headers, body: JSON.stringify(params) });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

before(async () => {
  target = await startTarget();
  const hash = bcrypt.hashSync(PASSWORD, 8);
  nodeRed = await startNodeRed({
    extraSettings: {
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'reader', password: hash, permissions: 'read' },
          { username: 'deployer', password: hash, permissions: ['read', 'flows.write'] },
          { username: 'admin', password: hash, permissions: '*' },
        ],
        // anonymous visitors may look (the harness checks readiness without logging in)
        default: { permissions: 'read' },
      },
    },
  });
  for (const user of ['reader', 'deployer', 'admin']) tokens[user] = await login(user);
});

after(async () => {
  await nodeRed?.stop();
  await new Promise((resolve) => (target ? target.close(resolve) : resolve()));
});

const targetUrl = (p) => `http://127.0.0.1:${target.address().port}${p}`;

test('a read-only user cannot make Node-RED fetch a URL of their choice', async () => {
  const attempts = [
    ['reader', { directory: targetUrl('/internal/config') }, 'POST'],
    ['reader', { directory: targetUrl('/internal/problem') }, 'GET'],
    ['reader', { directory: targetUrl('/directory') }, 'GET'],
    // a preset with a CA certificate of the caller's choice is refused too
    ['reader', { directory: 'letsencrypt', caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }, 'POST'],
    [undefined, { directory: targetUrl('/internal/config') }, 'GET'],
  ];
  for (const [user, params, method] of attempts) {
    const result = await lookUp(user, params, method);
    assert.ok([401, 403].includes(result.status), `${user || 'anonymous'} ${method} ${params.directory}: HTTP ${result.status} ${result.text}`);
    assert.doesNotMatch(result.text, /internal-/);
    if (result.status === 403) assert.match(result.body.error, /needs permission to change flows \(flows\.write or certflow-acme-account\.write\)/);
  }
  // the refusals were answered before any fetch: the first request the target ever sees is the admin's below
  const allowed = await lookUp('admin', { directory: targetUrl('/directory') });
  assert.equal(allowed.status, 200, allowed.text);
  assert.deepEqual(seen, ['/directory']);
  // reading what needs no fetch of the caller's choosing still works
  const presets = await fetch(`${nodeRed.url}/certflow-acme-account/presets`, { headers: { authorization: `Bearer ${tokens.reader}` } });
  assert.equal(presets.status, 200);
});

test('a read-only user may look up the directory of a deployed account (chosen by someone who could deploy)', async () => {
  const logFrom = nodeRed.log().length;
  const deploy = await fetch(`${nodeRed.url}/flows`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokens.admin}`,
      'Node-RED-API-Version': 'v2',
      'Node-RED-Deployment-Type': 'full',
    },
    body: JSON.stringify({
      flows: [
        { id: 'acct', type: 'certflow-acme-account', directory: 'custom', directoryUrl: targetUrl('/directory'), contact: '', agreeTos: false },
      ],
    }),
  });
  assert.equal(deploy.status, 200, await deploy.text());
  await nodeRed.waitForLog(/Started flows/, { from: logFrom });
  const own = await lookUp('reader', { directory: targetUrl('/directory'), node: 'acct' }, 'GET');
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.termsOfService, 'https://ca.example.test/terms');
  // the same node id does not lend its permission to another URL
  const other = await lookUp('reader', { directory: targetUrl('/internal/config'), node: 'acct' });
  assert.equal(other.status, 403);
  assert.ok(!seen.includes('/internal/config'));
});

test("a user who may change flows gets a directory's facts, and one error for anything that is not a directory", async () => {
  const directory = await lookUp('deployer', { directory: targetUrl('/directory') });
  assert.equal(directory.status, 200, directory.text);
  assert.equal(directory.body.termsOfService, 'https://ca.example.test/terms');
  assert.deepEqual(directory.body.profiles, { classic: 'the usual one' });
  assert.equal(directory.body.externalAccountRequired, false);

  const closedPort = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const notDirectories = [
    targetUrl('/internal/config'),
    targetUrl('/internal/problem'),
    targetUrl('/nothing-here'),
    `http://127.0.0.1:${closedPort}/directory`,
  ];
  const errors = [];
  for (const url of notDirectories) {
    const result = await lookUp('admin', { directory: url });
    assert.equal(result.status, 400, `${url}: ${result.text}`);
    assert.deepEqual(Object.keys(result.body), ['error']);
    assert.doesNotMatch(result.text, /internal-|\b40[34]\b|refused|ECONN|unauthorized/i);
    errors.push(result.body.error.replace(url, '<url>'));
  }
  // the same words whatever the failure: the answer does not tell an open port from a closed one
  assert.deepEqual(new Set(errors).size, 1, errors.join('\n'));
  assert.match(errors[0], /^"<url>" did not answer as an ACME directory \(one with newNonce, newAccount and newOrder URLs\): check the URL/);

  // only http(s): nothing else is even tried
  for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/directory']) {
    const result = await lookUp('admin', { directory: url });
    assert.equal(result.status, 400);
    assert.match(result.body.error, /must start with https:\/\//);
  }
});
