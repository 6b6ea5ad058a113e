'use strict';
// Issue 12 (and the crash promise): an instance killed in the middle of a dns-01 order, after
// its TXT record is in DNS. Whoever takes the certificate next continues THAT order at the CA
// (Pebble counts 1 order), removes the record the dead one left in DNS, and stores the
// certificate; the journal of the order (order.json, a secret) is gone afterwards.
// Real components: Pebble 2.10 whose VA resolves through a real BIND 9, RFC 2136 updates with
// TSIG, a real redis-server (cluster) or a real folder (one instance restarted), dig as judge.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { X509Certificate, createPrivateKey } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Redis = require('ioredis');
const { startBind } = require('../harness/bind');
const { startPebble } = require('../harness/pebble');
const { startRedis } = require('../harness/redis');
const { tempDir } = require('../harness/temp-dir');
const { opensslVerify } = require('../harness/acme-helpers');
const storageKit = require('../harness/storage-kit');
const { startWorkers } = require('./kit');

const ZONE = 'takeover.test';
let bind;
let pebble;
let redis;
let raw;

before(async () => {
  bind = await startBind({ zones: { [ZONE]: ['@ IN A 127.0.0.1', '* IN A 127.0.0.1'] } });
  pebble = await startPebble({ dnsServer: bind.server });
  redis = await startRedis();
  raw = new Redis(redis.url, { maxRetriesPerRequest: null });
});

after(async () => {
  raw?.disconnect();
  await redis?.stop({ save: false });
  await pebble?.stop();
  await bind?.stop();
});

const orders = () => storageKit.pebbleOrders(pebble);

function workerConfig(storage, freezeAt, accountId = 'takeover') {
  return {
    ...storage,
    directoryUrl: pebble.directoryUrl,
    caPem: pebble.acmeCaPem,
    accountId,
    dns01: { server: bind.server, port: bind.port, keyName: bind.key.name, keySecret: bind.key.secret },
    freezeAt,
  };
}

/**
 * Instance 1 orders `names`, sets its TXT record and is killed there; instance 2 then asks for
 * the same certificate (with another ACME account when `takerAccount` is set: the order cannot
 * be continued, the record must still go). Returns what instance 2 reported; `readJournal()`
 * gives the stored journal (or null) at each step.
 */
async function killedMidOrder(storage, record, names, readJournal, takerAccount) {
  const ordersBefore = orders();
  const [dying] = await startWorkers(1, workerConfig(storage, 'txt'));
  const said = await dying.run([{ record, names }], 1);
  assert.equal(said.name, `_acme-challenge.${names[0]}`, `the first instance set its TXT record: ${JSON.stringify(said)}`);
  const leftValues = await bind.txt(said.name);
  assert.equal(leftValues.length, 1, 'the TXT record is in DNS');
  const journal = await readJournal();
  assert.ok(journal, 'the order is journaled while it runs');
  assert.deepEqual(
    journal.txtRecords.map((r) => r.name),
    [said.name],
    'the TXT record is journaled before it is set',
  );
  await dying.kill();
  assert.equal(orders(), ordersBefore + 1, 'the dead instance placed its order');

  const [taker] = await startWorkers(1, workerConfig(storage, undefined, takerAccount));
  try {
    const result = await taker.run([{ record, names }], 1);
    assert.deepEqual(result.errors, []);
    assert.equal(result.issued, 1);
    if (takerAccount) {
      assert.equal(result.continued, 0, 'an order of another account is not continued');
      assert.equal(orders(), ordersBefore + 2);
    } else {
      assert.equal(result.continued, 1, 'the taker continued the dead instance order');
      assert.equal(orders(), ordersBefore + 1, 'no second order at Pebble');
    }
    assert.deepEqual(await bind.txt(said.name), [], `the TXT record the dead instance left (${leftValues[0]}) is removed from DNS`);
    assert.equal(await readJournal(), null, 'the journal is cleared once the certificate is stored');
    return result;
  } finally {
    await taker.exit();
  }
}

async function judge(certPem, chainPem, names) {
  const cert = new X509Certificate(certPem);
  assert.ok(names.every((n) => cert.checkHost(n)));
  assert.match(await opensslVerify(certPem, pebble.rootPem, chainPem), /: OK$/);
}

test(
  'cluster (Redis): an instance killed after setting its TXT record; another one continues that order, removes the record, 1 order',
  { timeout: 90000 },
  async () => {
    const prefix = 'takeover:';
    const record = 'dns-cluster';
    const names = [`cluster.${ZONE}`];
    const storage = { redisUrl: redis.url, secret: 'takeover-secret', prefix, lockExpiryMs: 3000 };
    const journalKey = `${prefix}v:${record}/order.json`;
    await killedMidOrder(storage, record, names, async () => {
      const sealed = await raw.hgetBuffer(journalKey, 'v');
      if (!sealed) return null;
      // sealed at rest (it holds the certificate key once made): not readable as JSON in Redis
      assert.throws(() => JSON.parse(sealed.toString('utf8')));
      // the worker's storage reads it back: the test opens it the same way
      const { RedisStorage, resolveRedisSettings } = require('../../dist/lib/storage');
      const reader = new RedisStorage(resolveRedisSettings({ redis: redis.url, secret: storage.secret, prefix }, '/nowhere'));
      try {
        await reader.waitReady(5000);
        return JSON.parse((await reader.load(`${record}/order.json`)).toString('utf8'));
      } finally {
        await reader.close();
      }
    });
    const generation = await raw.hget(`${prefix}p:${record}`, 'current');
    const files = await raw.hgetall(`${prefix}g:${record}/${generation}`);
    await judge(files['cert.pem'], files['chain.pem'], names);
  },
);

/** The journal of a folder's record as stored (null when there is none): 0600 whenever it exists. */
function fileJournal(root, record) {
  const file = path.join(root, record, 'order.json');
  if (!fs.existsSync(file)) return null;
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the journal (it holds the key once made) is 0600');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The certificate a folder's record holds, judged: names, openssl verify, its key 0600 and matching. */
async function judgeFolder(root, record, names) {
  const current = path.join(root, record, 'current');
  const certPem = fs.readFileSync(path.join(current, 'cert.pem'), 'utf8');
  await judge(certPem, fs.readFileSync(path.join(current, 'chain.pem'), 'utf8'), names);
  assert.equal(fs.statSync(path.join(current, 'privkey.pem')).mode & 0o777, 0o600);
  assert.ok(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(current, 'privkey.pem')))));
}

test(
  'one instance (files): the process killed after setting its TXT record and started again continues that order, 1 order',
  { timeout: 90000 },
  async () => {
    const root = tempDir('certflow-takeover-');
    const names = [`files.${ZONE}`];
    await killedMidOrder({ fileRoot: root }, 'dns-files', names, async () => fileJournal(root, 'dns-files'));
    await judgeFolder(root, 'dns-files', names);
  },
);

test(
  'an order the taker cannot continue (another ACME account): it places its own, and still removes the TXT record the dead one left',
  { timeout: 90000 },
  async () => {
    const root = tempDir('certflow-takeover-');
    const names = [`other.${ZONE}`];
    await killedMidOrder({ fileRoot: root }, 'dns-other', names, async () => fileJournal(root, 'dns-other'), 'another-account');
    await judgeFolder(root, 'dns-other', names);
  },
);

test(
  'killed after the CA issued the certificate, before it was stored: the restarted process downloads it from that order, no second order',
  { timeout: 90000 },
  async () => {
    const root = tempDir('certflow-takeover-');
    const record = 'dns-issued';
    const names = [`issued.${ZONE}`];
    const ordersBefore = orders();
    const [dying] = await startWorkers(1, workerConfig({ fileRoot: root }, 'store'));
    assert.deepEqual(await dying.run([{ record, names }], 1), { frozen: 'store' });
    const journal = fileJournal(root, record);
    assert.ok(journal.keyPem && journal.csrPem, 'the key the order was finalized with is journaled');
    await dying.kill();
    assert.equal(fs.existsSync(path.join(root, record, 'current')), false, 'nothing was stored');

    const [restarted] = await startWorkers(1, workerConfig({ fileRoot: root }));
    try {
      const result = await restarted.run([{ record, names }], 1);
      assert.deepEqual(result.errors, []);
      assert.equal(result.continued, 1);
      assert.equal(orders(), ordersBefore + 1, 'the issued certificate was fetched from the order, none ordered again');
    } finally {
      await restarted.exit();
    }
    await judgeFolder(root, record, names);
    assert.equal(fileJournal(root, record), null);
  },
);

test(
  'a renewal asked for and cut short by a crash: the plain check after the restart finishes that order (the stored certificate was still current), 1 order',
  { timeout: 90000 },
  async () => {
    const root = tempDir('certflow-takeover-');
    const record = 'dns-renewal';
    const names = [`renewal.${ZONE}`];
    const [first] = await startWorkers(1, workerConfig({ fileRoot: root }));
    try {
      assert.equal((await first.run([{ record, names }], 1)).issued, 1);
    } finally {
      await first.exit();
    }
    const before = new X509Certificate(fs.readFileSync(path.join(root, record, 'current', 'cert.pem')));
    const ordersBefore = orders();
    const [dying] = await startWorkers(1, workerConfig({ fileRoot: root }, 'txt'));
    assert.equal((await dying.run([{ record, names }], 1, { force: true })).frozen, 'txt');
    await dying.kill();

    const [restarted] = await startWorkers(1, workerConfig({ fileRoot: root }));
    try {
      const result = await restarted.run([{ record, names }], 1); // the start-up check: not forced
      assert.deepEqual(result.errors, []);
      assert.equal(result.continued, 1);
      assert.equal(result.issued, 1, 'the renewal asked for before the crash is done');
      assert.equal(orders(), ordersBefore + 1, 'with the order placed before the crash');
      assert.deepEqual(await bind.txt(`_acme-challenge.${names[0]}`), []);
      // the next check finds nothing left to finish
      assert.equal((await restarted.run([{ record, names }], 1)).current, 1);
    } finally {
      await restarted.exit();
    }
    await judgeFolder(root, record, names);
    assert.notEqual(new X509Certificate(fs.readFileSync(path.join(root, record, 'current', 'cert.pem'))).serialNumber, before.serialNumber);
    assert.equal(fileJournal(root, record), null);
  },
);
