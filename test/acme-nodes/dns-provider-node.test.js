'use strict';
// The "DNS provider" config node (certflow-dns) chosen in an ACME node's dns-01 settings, in the
// real Node-RED runtime, against Pebble 2.10 resolving through a real BIND 9: a wildcard plus
// its base name issued through RFC 2136 with a TSIG key held in the node's credentials; the
// editor's Test endpoint lists the zone; a wrong key gives a clear red status; the TSIG secret
// is never in a status, log, error or the flow file.
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { X509Certificate } = require('node:crypto');
const kit = require('../helpers/node-red-kit');
const { startBind } = require('../harness/bind');
const { startPebble } = require('../harness/pebble');
const { opensslVerify } = require('../harness/acme-helpers');
const { accountNode } = require('../harness/acme-flows');

const { helper } = kit;
const TYPES = ['certflow-acme-account', 'certflow-acme', 'certflow-dns'];
let bind;
let pebble;
let userDir;

before(async () => {
  bind = await startBind({ zones: { 'example.test': ['@ IN A 127.0.0.1', '* IN A 127.0.0.1'] } });
  pebble = await startPebble({ dnsServer: bind.server });
  userDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'certflow-dns-node-'));
  helper.settings({ userDir });
  await helper.startServer();
});

afterEach(async () => {
  const shown = kit.everythingShown();
  assert.ok(!shown.includes(bind.key.secret), 'the TSIG secret appeared in a status, log or error');
  assert.doesNotMatch(shown, /PRIVATE KEY/);
  await helper.unload();
});

after(async () => {
  await helper.stopServer();
  await pebble?.stop();
  await bind?.stop();
  if (userDir) await fsp.rm(userDir, { recursive: true, force: true });
});

function flow(dns = {}, acme = {}) {
  return [
    {
      id: 'dns',
      type: 'certflow-dns',
      provider: 'rfc2136',
      server: bind.server,
      keyName: bind.key.name,
      algorithm: 'hmac-sha256',
      zone: '',
      nsPort: String(bind.port),
      ...dns,
    },
    accountNode(pebble),
    {
      id: 'acme',
      type: 'certflow-acme',
      account: 'acct',
      certName: 'wild',
      identifiers: '*.node.example.test, node.example.test',
      challengeDns: 'dns-01',
      challengeWildcard: 'dns-01',
      dnsMethod: 'provider',
      dnsProvider: 'dns',
      dnsResolvers: bind.server,
      dnsTimeout: '10',
      profile: 'default',
      autoRenew: false,
      wires: [['out'], ['flowdns']],
      ...acme,
    },
    { id: 'out', type: 'helper' },
    { id: 'flowdns', type: 'helper' },
    ...kit.catchNodes,
  ];
}

test('ACME node + DNS provider (RFC 2136): a wildcard plus its base name, no flow needed', async () => {
  await kit.loadFlow(flow(), { types: TYPES, credentials: { dns: { secret: bind.key.secret } } });
  const toFlow = kit.collect('flowdns');
  const { ok, caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught', 30000);
  assert.equal(caught, undefined, caught && caught.error.message);
  assert.match(await opensslVerify(ok.payload.cert, pebble.rootPem, ok.payload.chain.join('')), /OK/);
  assert.equal(new X509Certificate(ok.payload.cert).subjectAltName, 'DNS:*.node.example.test, DNS:node.example.test');
  assert.equal(toFlow.length, 0, 'nothing went through the flow');
  assert.deepEqual(await bind.txt('_acme-challenge.node.example.test'), []);
  const dnsNode = helper.getNode('dns');
  assert.equal(dnsNode.credentials.secret, bind.key.secret);
});

test('a wrong TSIG key: red status and a Catch-able error naming the key, not its secret', async () => {
  // another certificate: the first test's one is stored and still good, so it would not be ordered again
  await kit.loadFlow(flow({ keyName: 'not-the-key' }, { certName: 'badkey', identifiers: '*.node.example.test, node.example.test' }), {
    types: TYPES,
    credentials: { dns: { secret: bind.key.secret } },
  });
  const { caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught', 30000);
  assert.match(
    caught.error.message,
    /RFC 2136 update of TXT _acme-challenge\.node\.example\.test at 127\.0\.0\.1:\d+ was refused \(NOTAUTH, TSIG BADKEY: the server does not accept the TSIG key "not-the-key"/,
  );
  const statuses = kit.statusCalls('acme');
  assert.equal(statuses.at(-1).fill, 'red');
});

test('a DNS provider without its secret: deploying logs nothing; the order then fails naming what to fill in', async () => {
  await kit.loadFlow(flow({}, { certName: 'nosecret', identifiers: 'nosecret.example.test' }), { types: TYPES });
  const { caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught', 30000);
  const fix =
    /RFC 2136: the secret of TSIG key "[^"]+" is missing - open the DNS provider \(the pencil beside it in the ACME node's dialog\) and fill it in/;
  assert.match(caught.error.message, fix);
  assert.equal(kit.statusCalls('acme').at(-1).fill, 'red');
  // the node's start-up (done before it took the message) logged nothing: the one error is the order's
  const said = (method) =>
    helper._NodePrototype[method]
      .getCalls()
      .filter((c) => c.thisValue && ['acme', 'dns'].includes(c.thisValue.id))
      .map((c) => String(c.args[0]?.message ?? c.args[0]));
  assert.deepEqual(said('warn'), []);
  assert.equal(said('error').length, 1, said('error').join('\n'));
  assert.match(said('error')[0], fix);
});

test('the Test endpoint lists the zones the credentials can edit; a bad secret is refused without echoing it', async () => {
  await kit.loadFlow(flow({ zone: 'example.test' }), { types: TYPES, credentials: { dns: { secret: bind.key.secret } } });
  const body = {
    id: 'dns',
    provider: 'rfc2136',
    server: bind.server,
    keyName: bind.key.name,
    zone: 'example.test',
    credentials: { secret: '__PWRD__' },
  };
  const okAnswer = await helper.request().post('/certflow-dns/test').send(body).expect(200);
  assert.deepEqual(okAnswer.body, { provider: 'RFC 2136', zones: ['example.test'] });
  const wrong = Buffer.from('a wrong secret typed in the editor').toString('base64');
  const bad = await helper
    .request()
    .post('/certflow-dns/test')
    .send({ ...body, credentials: { secret: wrong } })
    .expect(502);
  assert.match(bad.body.error, /TSIG BADSIG/);
  assert.ok(!bad.body.error.includes(wrong));
  const missing = await helper.request().post('/certflow-dns/test').send({ provider: 'cloudflare' }).expect(400);
  assert.match(missing.body.error, /Cloudflare: the API token is missing/);
});
