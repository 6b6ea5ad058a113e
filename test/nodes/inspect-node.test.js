'use strict';
// The inspect node: where its result goes (bundle vs bare input), the alert output of an expiry
// monitor, the file and live-server sources, and its status.
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const kit = require('./node-test-kit');
const { tempDir } = require('../harness/temp-dir');

const { helper } = kit;
let tmp;
before(() => {
  tmp = tempDir('certflow-inspect-');
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => helper.unload());

const { catchNodes } = kit;

/** A CA and a leaf for `name` (and 127.0.0.1) valid `days` days, made by the nodes themselves. */
async function makeLeaf(name, days) {
  await kit.loadFlow([
    ...kit.ownCaNodes({ caName: 'Inspect Test CA', cn: name, altNames: '127.0.0.1', days }),
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  const issued = await kit.issueWithOwnCa();
  await helper.unload();
  return issued.payload;
}

const monitor = (extra) => [
  {
    id: 'inspect',
    type: 'certflow-inspect',
    source: 'payload',
    trust: 'ca',
    trustCa: 'ca',
    trustCaType: 'msg',
    alertDays: '30',
    ...extra,
    wires: [['result'], ['alert']],
  },
  { id: 'result', type: 'helper' },
  { id: 'alert', type: 'helper' },
  ...catchNodes,
  ...kit.completeNodes('inspect'),
];

/** Sends msg and collects what arrives at result / alert / caught until the node is done with it. */
async function collect(msg) {
  const seen = { result: [], alert: [], caught: [] };
  for (const id of Object.keys(seen)) helper.getNode(id).on('input', (m) => seen[id].push(m));
  // done() feeds the complete node, done(err) the catch node: either proves the node finished,
  // and Node-RED delivers in order, so both outputs it sent before have arrived.
  await kit.firstOf('inspect', msg, { done: 'completed-inspect', caught: 'caught' });
  return seen;
}

test('a bundle keeps travelling with payload.info; a bare certificate is replaced by the inspection', async () => {
  const bundle = await makeLeaf('monitor.example.test', 90);
  await kit.loadFlow(monitor({ trustCa: 'ca' }));
  const seen = await collect({ payload: bundle, ca: bundle.ca });
  assert.equal(seen.caught.length, 0, seen.caught[0] && seen.caught[0].error.message);
  const out = seen.result[0].payload;
  assert.equal(out.cert, bundle.cert, 'the bundle is kept');
  assert.equal(out.key, bundle.key);
  assert.deepEqual(Object.keys(out.info).slice(0, 2), ['summary', 'ok']);
  assert.equal(out.info.ok, true, out.info.summary);
  assert.match(out.info.summary, /^CN=monitor\.example\.test, expires in (89|90) days \(\d{4}-\d\d-\d\d\), issued by Inspect Test CA, chain OK/);
  assert.equal(seen.alert.length, 0, '90 days left is no alert at 30');
  assert.deepEqual(kit.statusCalls('inspect').pop(), { fill: 'green', shape: 'dot', text: `expires in ${out.info.checks.daysRemaining} days` });

  const bare = await collect({ payload: Buffer.from(bundle.fullchain), ca: bundle.ca });
  const info = bare.result[0].payload;
  assert.equal(Object.keys(info)[0], 'summary');
  assert.equal(info.kind, 'chain');
  assert.equal(info.certificates.length, 2);
  assert.equal(info.chain.ok, true);
});

test('expiry monitor: fewer days left than "alert below" also sends the message on output 2', async () => {
  const bundle = await makeLeaf('soon.example.test', 10);
  await kit.loadFlow(monitor({ trustCa: 'payload.ca' }));
  const seen = await collect({ payload: bundle, topic: 'boiler' });
  assert.equal(seen.result.length, 1);
  assert.equal(seen.alert.length, 1, 'the alert output fired');
  assert.equal(seen.alert[0].topic, 'boiler');
  assert.ok(seen.alert[0].payload.info.checks.daysRemaining < 30);
  assert.notEqual(seen.alert[0], seen.result[0], 'each output gets its own copy');
  const status = kit.statusCalls('inspect').pop();
  assert.equal(status.fill, 'yellow');
  assert.match(status.text, /^expires in (9|10) days$/);
});

test('a certificate file: msg.filename and a clear error for a missing file', async () => {
  const bundle = await makeLeaf('file.example.test', 30);
  const file = path.join(tmp, 'server.pem');
  fs.writeFileSync(file, bundle.fullchain);
  await kit.loadFlow(monitor({ source: 'file', path: 'filename', pathType: 'msg', trust: 'none', alertDays: '' }));
  const seen = await collect({ payload: 'tick', filename: file });
  assert.equal(seen.caught.length, 0, seen.caught[0] && seen.caught[0].error.message);
  assert.equal(seen.result[0].filename, file);
  assert.equal(seen.result[0].payload.certificates[0].subjectFields.CN, 'file.example.test');

  const missing = await collect({ payload: 'tick', filename: path.join(tmp, 'nope.pem') });
  assert.equal(missing.result.length, 0);
  assert.match(missing.caught[0].error.message, /cannot read the file ".*nope\.pem": it does not exist/);
});

test('a lone cert.pem watched with the default trust is judged on its own; its full chain is verified', async () => {
  const bundle = await makeLeaf('lone.example.test', 60);
  const certFile = path.join(tmp, 'cert.pem');
  const chainFile = path.join(tmp, 'fullchain.pem');
  fs.writeFileSync(certFile, bundle.cert); // the leaf only, as certbot's cert.pem
  fs.writeFileSync(chainFile, bundle.fullchain);
  await kit.loadFlow(monitor({ source: 'file', path: 'filename', pathType: 'msg', trust: 'system', alertDays: '' }));

  const lone = await collect({ payload: 'tick', filename: certFile });
  assert.equal(lone.caught.length, 0, lone.caught[0] && lone.caught[0].error.message);
  assert.equal(lone.result[0].payload.ok, true, lone.result[0].payload.summary);
  assert.deepEqual(kit.statusCalls('inspect').pop(), {
    fill: 'green',
    shape: 'dot',
    text: `expires in ${lone.result[0].payload.checks.daysRemaining} days`,
  });

  // The same leaf with its private CA as a chain: the system roots do not know that CA.
  const chain = await collect({ payload: 'tick', filename: chainFile });
  assert.equal(chain.result[0].payload.ok, false);
  assert.match(chain.result[0].payload.problems.join('\n'), /ends at the root "CN=Inspect Test CA", which is not in Node's root store/);
  assert.equal(kit.statusCalls('inspect').pop().fill, 'red');
});

test('a live TLS server on loopback: its chain, host check and trust against the given CA', async () => {
  const bundle = await makeLeaf('live.example.test', 45);
  const server = tls.createServer({ key: bundle.key, cert: bundle.fullchain }, (socket) => socket.end());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await kit.loadFlow(
      monitor({
        source: 'server',
        host: '127.0.0.1',
        hostType: 'str',
        port: String(server.address().port),
        portType: 'num',
        servername: 'live.example.test',
        servernameType: 'str',
        timeout: '5',
        trustCa: 'ca',
        trustCaType: 'flow',
        alertDays: '60',
      }),
    );
    helper.getNode('inspect').context().flow.set('ca', bundle.ca);
    const seen = await collect({ payload: Date.now() });
    assert.equal(seen.caught.length, 0, seen.caught[0] && seen.caught[0].error.message);
    const info = seen.result[0].payload;
    assert.equal(info.host, '127.0.0.1');
    assert.equal(info.certificates[0].subjectFields.CN, 'live.example.test');
    assert.equal(info.certificates.length, 2, 'leaf and CA as the server sent them');
    assert.equal(info.tls.authorized, true, info.tls.authorizationError);
    assert.equal(info.checks.host.matches, true);
    assert.equal(seen.alert.length, 1, '45 days left is below 60');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the trusted CA: pasted as multi-line PEM, or a file path - and a missing file is a clear error', async () => {
  const leaf = await makeLeaf('trusted.example', 30);
  const caFile = path.join(tmp, 'my-ca.pem');
  fs.writeFileSync(caFile, leaf.ca);
  const inspectWith = (id, trust) => ({ id, type: 'certflow-inspect', source: 'payload', trust: 'ca', ...trust, wires: [['out'], []] });
  await kit.loadFlow([
    inspectWith('pasted', { trustCa: '', trustCaType: 'pasted', trustCaPem: leaf.ca }),
    inspectWith('file', { trustCa: caFile, trustCaType: 'file' }),
    inspectWith('gone', { trustCa: path.join(tmp, 'missing-ca.pem'), trustCaType: 'file' }),
    { id: 'out', type: 'helper' },
    ...catchNodes,
  ]);
  assert.ok(leaf.ca.trim().split('\n').length > 3, 'the CA is many lines of PEM');
  for (const id of ['pasted', 'file']) {
    const result = await kit.outcome(id, { payload: leaf.fullchain }, 'out', 'caught');
    assert.ok(result.ok, `${id}: ${result.caught && result.caught.error.message}`);
    assert.equal(result.ok.payload.ok, true, `${id}: ${result.ok.payload.summary}`);
    assert.match(result.ok.payload.summary, /chain OK|trusted/i);
  }
  const gone = await kit.outcome('gone', { payload: leaf.fullchain }, 'out', 'caught');
  assert.match(gone.caught.error.message, /cannot read the file ".*missing-ca\.pem": it does not exist/);
  assert.equal(kit.statusCalls('gone').pop().text, 'cannot read the file: check the path');
});
