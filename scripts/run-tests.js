'use strict';
// Runs every test file under test/ with Node's own test runner. Files run in parallel
// processes; each one that needs Pebble or Node-RED starts its own on free loopback ports.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function collect(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...collect(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found;
}
const only = process.argv.slice(2);
const files = only.length ? only.map((f) => path.resolve(f)) : collect(path.join(root, 'test')).sort();
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY || '3';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(result.status === null ? 1 : result.status);
