'use strict';
// The order journal (lib/acme/order-journal.ts) on a real file storage: what a later run may
// continue, what it must clean up, and what it ignores (another CA, account or key choice, a
// day old, damaged). The end-to-end takeovers (killed processes, Pebble, BIND, Redis) are in
// test/cluster/order-takeover.test.js.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir } = require('../harness/temp-dir');
const { OrderJournal, orderMayContinue, digestOf } = require('../../dist/lib/acme/order-journal');
const { FileStorage } = require('../../dist/lib/storage');
const { CertflowError } = require('../../dist/lib/errors');

const CONTEXT = { directoryUrl: 'https://ca.test/dir', accountUrl: 'https://ca.test/acct/1', keySource: 'generated' };
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms) => () => new Date(T0.getTime() + ms);
const TXT = { name: '_acme-challenge.a.test', value: 'v1', identifier: 'a.test' };

async function journalWithOrder(storage) {
  const journal = await OrderJournal.open(storage, 'rec', CONTEXT, at(0));
  assert.equal(journal.previous, undefined);
  await journal.placed('https://ca.test/order/1', { identifiers: [{ type: 'dns', value: 'a.test' }], profile: 'default' });
  await journal.settingTxt(TXT);
  await journal.settingTxt(TXT); // the same record twice is listed once
  await journal.keyReady('-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n', 'csr');
  return journal;
}

test('what a run journals is what the next run may continue; the file is 0600 from its first write', async () => {
  const root = tempDir();
  const storage = new FileStorage(root);
  await journalWithOrder(storage);
  assert.equal(fs.statSync(path.join(root, 'rec', 'order.json')).mode & 0o777, 0o600);
  const next = await OrderJournal.open(storage, 'rec', CONTEXT, at(60_000));
  assert.equal(next.previous.orderUrl, 'https://ca.test/order/1');
  assert.equal(next.previous.startedAt, T0.toISOString());
  assert.match(next.previous.keyPem, /secret/);
  assert.equal(next.previous.csrPem, 'csr');
  assert.deepEqual(next.leftoverTxtRecords, [TXT]);
  // continuing keeps the order's age (never continued past a day) and its key
  await next.placed('https://ca.test/order/1', { identifiers: [{ type: 'dns', value: 'a.test' }] });
  const again = await OrderJournal.open(storage, 'rec', CONTEXT, at(120_000));
  assert.equal(again.previous.startedAt, T0.toISOString());
  assert.match(again.previous.keyPem, /secret/);
});

test('another CA, account or key choice, a day old, or damaged: not continued; its TXT records are still cleaned up', async () => {
  const storage = new FileStorage(tempDir());
  await journalWithOrder(storage);
  const others = [
    [{ ...CONTEXT, directoryUrl: 'https://other.test/dir' }, at(0)],
    [{ ...CONTEXT, accountUrl: 'https://ca.test/acct/2' }, at(0)],
    [{ ...CONTEXT, keySource: 'given', inputDigest: digestOf('a key') }, at(0)],
    [CONTEXT, at(24 * 3600_000 + 1)],
    [CONTEXT, at(-1)],
  ];
  for (const [context, now] of others) {
    const journal = await OrderJournal.open(storage, 'rec', context, now);
    assert.equal(journal.previous, undefined, JSON.stringify(context));
    assert.deepEqual(journal.leftoverTxtRecords, [TXT]);
  }
  for (const damaged of ['{', '[]', '{"version":2}', JSON.stringify({ version: 1, orderUrl: 5 }), 'x'.repeat(2 * 1024 * 1024)]) {
    await storage.store('rec/order.json', damaged, { secret: true });
    const journal = await OrderJournal.open(storage, 'rec', CONTEXT, at(0));
    assert.equal(journal.previous, undefined);
    assert.deepEqual(journal.leftoverTxtRecords, []);
  }
});

test('a failed order: the journal stays while a TXT record may be left, and goes once they are removed', async () => {
  const root = tempDir();
  const storage = new FileStorage(root);
  const journal = await journalWithOrder(storage);
  await journal.abandon();
  assert.ok(fs.existsSync(path.join(root, 'rec', 'order.json')), 'kept: a TXT record may still be in DNS');
  await journal.txtRemoved();
  await journal.abandon();
  assert.equal(fs.existsSync(path.join(root, 'rec', 'order.json')), false);
  // a run that failed before placing its order leaves the previous journal and its leftovers
  await journalWithOrder(storage);
  const unplaced = await OrderJournal.open(storage, 'rec', { ...CONTEXT, accountUrl: 'https://ca.test/acct/9' }, at(0));
  await unplaced.abandon();
  assert.ok(fs.existsSync(path.join(root, 'rec', 'order.json')));
});

test('which failures leave the order to continue', () => {
  const err = (code) => new CertflowError(code, 'x');
  for (const code of [
    'ACME_UNREACHABLE',
    'ACME_HTTP_ERROR',
    'ACME_POLL_TIMEOUT',
    'ACME_DNS_NOT_PROPAGATED',
    'storage-unavailable',
    'storage-fenced',
  ]) {
    assert.equal(orderMayContinue(err(code)), true, code);
  }
  for (const code of ['ACME_CHALLENGE_FAILED', 'ACME_ORDER_INVALID', 'ACME_AUTHZ_INVALID', 'ACME_REJECTED_IDENTIFIER', 'ACME_KEY_MISMATCH']) {
    assert.equal(orderMayContinue(err(code)), false, code);
  }
});

test('an interrupted order is one started after the stored certificate was issued, under a day ago', async () => {
  const storage = new FileStorage(tempDir());
  assert.equal(await OrderJournal.interrupted(storage, 'rec', undefined, T0), false, 'no journal');
  await journalWithOrder(storage); // started at T0
  assert.equal(await OrderJournal.interrupted(storage, 'rec', undefined, at(1000)()), true);
  assert.equal(await OrderJournal.interrupted(storage, 'rec', new Date(T0.getTime() - 1), at(1000)()), true);
  assert.equal(await OrderJournal.interrupted(storage, 'rec', T0, at(1000)()), false, 'the order that gave the stored certificate');
  assert.equal(await OrderJournal.interrupted(storage, 'rec', undefined, at(24 * 3600_000 + 1)()), false, 'a day old');
});
