'use strict';
// dns-01 through the flow, against a real Pebble: the node's 2nd output asks for a TXT
// record, a change node + an http request node set it on challtestsrv's management API (the
// stand-in for a DNS provider's API), and the http request's output goes back into the node.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { opensslVerify } = require('../harness/acme-helpers');
const { lookupTxt } = require('../../dist/lib/acme');
const kit = require('./kit');

const { state, remember } = kit.setUpAcmeNodeTests();

/** acme -> (2nd output) change: build the provider request -> http request -> back into acme. */
function flow(acme = {}, apiPath = null) {
  const { pebble } = state;
  const api = apiPath ? `'${pebble.ctsMgmtUrl}${apiPath}'` : `'${pebble.ctsMgmtUrl}/' & (payload.action = 'set' ? 'set-txt' : 'clear-txt')`;
  return [
    kit.accountNode(pebble),
    {
      id: 'acme',
      type: 'certflow-acme',
      account: 'acct',
      certName: 'wild',
      identifiers: '*.wild.example.test, wild.example.test',
      challengeDns: 'dns-01',
      dnsResolvers: pebble.dnsResolver,
      profile: 'default',
      autoRenew: false,
      wires: [['out'], ['dnsapi', 'dnsseen']],
      ...acme,
    },
    {
      id: 'dnsapi',
      type: 'change',
      wires: [['http']],
      rules: [
        { t: 'set', p: 'url', pt: 'msg', to: api, tot: 'jsonata' },
        { t: 'set', p: 'payload', pt: 'msg', to: '{"host": payload.name & ".", "value": payload.value}', tot: 'jsonata' },
      ],
    },
    { id: 'http', type: 'http request', method: 'POST', ret: 'txt', url: '', wires: [['acme']] },
    { id: 'out', type: 'helper' },
    { id: 'dnsseen', type: 'helper' },
    ...kit.catchNodes,
  ];
}

test('a wildcard plus its base name, both by dns-01 through the flow; the TXT records are removed afterwards', async () => {
  await kit.loadFlow(flow());
  const requests = kit.collect('dnsseen');
  const { ok, caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught');
  assert.equal(caught, undefined, caught && caught.error.message);
  remember(ok.payload.key);
  assert.equal(ok.topic, 'wild');
  assert.match(await opensslVerify(ok.payload.cert, state.pebble.rootPem, ok.payload.chain.join('')), /OK/);
  const cert = new X509Certificate(ok.payload.cert);
  assert.ok(cert.checkHost('x.wild.example.test') && cert.checkHost('wild.example.test'));

  // two values on one name, set then removed, each message naming what it proves
  const sets = requests.filter((m) => m.payload.action === 'set');
  const removes = requests.filter((m) => m.payload.action === 'remove');
  assert.equal(sets.length, 2);
  assert.equal(removes.length, 2);
  for (const m of requests) {
    assert.equal(m.topic, 'dns-01');
    assert.equal(m.payload.name, '_acme-challenge.wild.example.test');
    assert.match(m.payload.value, /^[A-Za-z0-9_-]{43}$/);
  }
  assert.deepEqual(sets.map((m) => m.payload.identifier).sort(), ['*.wild.example.test', 'wild.example.test']);
  assert.deepEqual(await lookupTxt('_acme-challenge.wild.example.test', [state.pebble.dnsResolver]), []);
  assert.ok(kit.statusCalls('acme').some((s) => /^dns-01/.test(s.text)));
});

test("the flow's DNS API answering an error gives a clear error naming the record", async () => {
  await kit.loadFlow(flow({ certName: 'apierr', identifiers: 'apierr.example.test' }, '/no-such-endpoint'));
  const { caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught');
  assert.match(caught.error.message, /_acme-challenge\.apierr\.example\.test/);
  assert.match(caught.error.message, /HTTP 404/);
});

test('a flow that never sends the message back gives a clear error within the configured time', async () => {
  const nodes = flow({ certName: 'noflow', identifiers: 'noflow.example.test', dnsFlowTimeout: 1 }).filter(
    (n) => n.id !== 'dnsapi' && n.id !== 'http',
  );
  await kit.loadFlow(nodes);
  const started = Date.now();
  const { caught } = await kit.outcome('acme', { payload: 'go' }, 'out', 'caught');
  assert.match(caught.error.message, /did not send the dns-01 "set" message for _acme-challenge\.noflow\.example\.test back/);
  assert.ok(Date.now() - started < 60000, 'the configured 1 s, not the 120 s default');
});
