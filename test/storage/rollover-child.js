'use strict';
// Child process for the rollover kill loop: opens the stored account (finishing or rolling back
// a rollover a previous kill left pending), then rolls its key over and over until killed.
// Prints "ready" once the account is open, "pending" just before each rollover asks the CA.
const fs = require('node:fs');
const { openStorage } = require('../../dist/lib/storage');
const { AccountStore } = require('../../dist/lib/acme');

const [userDir, directoryUrl, caPemFile] = process.argv.slice(2);
(async () => {
  const store = new AccountStore(await openStorage(userDir), 'acct');
  const account = await store.open({ directory: directoryUrl, caPem: fs.readFileSync(caPemFile, 'utf8'), termsOfServiceAgreed: true });
  process.stdout.write('ready\n');
  for (;;) await store.rollover(account, (text) => text === 'changing account key' && process.stdout.write('pending\n'));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
