'use strict';
// Child process for the kill -9 test: installs the bundles from a JSON file into a store, round
// and round, as fast as it can, until it is killed. Prints "installed" after the first install.
const fs = require('node:fs');
const { installBundle } = require('../../dist/lib/serve/store');

const [userDir, bundlesFile] = process.argv.slice(2);
const bundles = JSON.parse(fs.readFileSync(bundlesFile, 'utf8'));

(async () => {
  for (let i = 0; ; i++) {
    await installBundle({ userDir, name: 'node-red' }, bundles[i % bundles.length], { source: 'install-loop' });
    if (i === 0) process.stdout.write('installed\n');
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
