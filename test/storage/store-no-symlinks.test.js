'use strict';
// Where the OS allows no symlinks (Windows without Developer Mode) the store keeps `current` and
// `previous` as small pointer files written atomically. Forced here on Linux with
// CERTFLOW_STORAGE_SYMLINKS=0: the whole store test file (kill -9 loop included) must pass.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

test('the store tests pass with symlinks forced off (pointer files)', { timeout: 240000 }, async () => {
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', path.join(__dirname, '..', 'https', 'store.test.js')], {
    // without NODE_TEST_CONTEXT the child reports as a test run of its own, in TAP
    env: withoutTestContext({ ...process.env, CERTFLOW_STORAGE_SYMLINKS: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /# fail 0/);
  assert.doesNotMatch(output, /# pass 0\b/);
});

function withoutTestContext(env) {
  delete env.NODE_TEST_CONTEXT;
  return env;
}
