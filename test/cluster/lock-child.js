'use strict';
// A second process for the lock tests: takes a lock on the Redis storage, says so, then writes
// under it when told (stdin line "write"), printing what happened. Argv: JSON settings.
const readline = require('node:readline');
const { RedisStorage, resolveRedisSettings } = require('../../dist/lib/storage');

const [settingsJson, lockName, key] = process.argv.slice(2);
const storage = new RedisStorage(resolveRedisSettings(JSON.parse(settingsJson), '/nowhere'));

(async () => {
  await storage.waitReady(5000);
  await storage.lock(lockName, { timeoutMs: 5000 });
  console.log(`locked ${storage.heldToken(lockName)}`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim() !== 'write') continue;
    try {
      await storage.store(key, 'written by the stale holder');
      console.log('written');
    } catch (err) {
      console.log(`refused ${err.code}: ${err.message}`);
    }
    await storage.close();
    process.exit(0);
  }
})().catch((err) => {
  console.log(`error ${err.code || ''} ${err.message}`);
  process.exit(1);
});
