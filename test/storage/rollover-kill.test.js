'use strict';
// Account key rollover is crash-safe: the new key is stored as pending before the CA is asked,
// and a restart finishes or rolls back the rollover. A child process rolls the key over and
// over against a real Pebble and is killed -9 at random moments, 10 times; after each kill the
// account opens again and the CA accepts its stored key for the same account URL.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startPebble } = require('../harness/pebble');
const { tempDir, serveRegistry, close } = require('../harness/acme-helpers');
const { FileStorage } = require('../../dist/lib/storage');
const acme = require('../../dist/lib/acme');

const ROUNDS = Number(process.env.CERTFLOW_ROLLOVER_KILL_ROUNDS || 10);
let pebble;
let userDir;
let server;

before(async () => {
  pebble = await startPebble();
  server = await serveRegistry(pebble.httpPort, acme.http01Registry);
  userDir = await tempDir();
});

after(async () => {
  if (server) await close(server);
  await pebble?.stop();
  if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
});

test(`kill -9 during key rollover, ${ROUNDS} rounds: the account still works after each restart`, { timeout: 120000 }, async () => {
  const caFile = path.join(userDir, 'pebble-ca.pem');
  fs.writeFileSync(caFile, pebble.acmeCaPem);
  // a fresh storage object per "restart", as a new process would open it
  const storage = () => new FileStorage(path.join(userDir, 'certificates'));
  const options = { directory: pebble.directoryUrl, caPem: pebble.acmeCaPem, termsOfServiceAgreed: true };
  const first = await new acme.AccountStore(storage(), 'acct').open(options);
  const accountUrl = first.accountUrl;
  first.transport.close();
  const accountFile = path.join(userDir, 'certificates', '_accounts', 'acct', 'account.json');
  let foundPending = 0;
  const keys = new Set();

  for (let round = 0; round < ROUNDS; round++) {
    const child = spawn(process.execPath, [path.join(__dirname, 'rollover-child.js'), userDir, pebble.directoryUrl, caFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (d) => (errors += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // kill after the n-th "pending" (n random), at a random moment of that rollover's round trip
    const wanted = 1 + Math.floor(Math.random() * 3);
    await new Promise((resolve, reject) => {
      let seen = 0;
      child.stdout.on('data', (d) => {
        seen += (String(d).match(/pending/g) || []).length;
        if (seen >= wanted) resolve();
      });
      child.once('exit', () => reject(new Error(`the rollover child exited: ${errors}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 25));
    child.kill('SIGKILL');
    await exited;
    assert.equal(errors, '', errors);

    if (JSON.parse(fs.readFileSync(accountFile, 'utf8')).pendingKeyPem) foundPending++;
    // the restart: open the stored account; the CA must know its key for the same account
    const account = await new acme.AccountStore(storage(), 'acct').open(options);
    try {
      assert.equal(account.accountUrl, accountUrl, `round ${round}: same account`);
      assert.equal(await acme.accountUrlForKey(account, account.accountKeyPem), accountUrl, `round ${round}: the CA accepts the stored key`);
      const stored = JSON.parse(fs.readFileSync(accountFile, 'utf8'));
      assert.equal(stored.pendingKeyPem, undefined, `round ${round}: the rollover was settled`);
      assert.equal(stored.accountKeyPem, account.accountKeyPem);
      assert.equal(fs.statSync(accountFile).mode & 0o777, 0o600);
      keys.add(account.accountKeyPem);
    } finally {
      account.transport.close();
    }
  }
  assert.ok(foundPending >= 1, `at least one kill landed between "pending stored" and "CA answered" (${foundPending} of ${ROUNDS})`);
  assert.ok(keys.size >= 2, 'the key did change over the rounds');

  // and the account still orders
  const account = await new acme.AccountStore(storage(), 'acct').open(options);
  try {
    const issued = await acme.issueCertificate({ account, identifiers: ['rollover.example.com'] });
    assert.ok(issued.certPem.includes('BEGIN CERTIFICATE'));
  } finally {
    account.transport.close();
  }
});
