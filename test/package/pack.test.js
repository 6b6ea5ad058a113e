'use strict';
// The package as users get it: `npm pack` holds only what they need, and the tarball installed
// into a fresh Node-RED userDir (the way `cd ~/.node-red && npm install <package>` does it)
// loads every node type with no warning or error, and offers its examples.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { packInto, checkPackedFiles } = require('../../scripts/pack-check');
const { installTarball } = require('../harness/packed-package');
const { startNodeRed, PACKAGE_NAME, repoRoot } = require('../harness/node-red-process');
const { assertPackageLoaded } = require('../helpers/package-load');
const { tempDir } = require('../harness/temp-dir');

let workDir;
let packed;

before(() => {
  workDir = tempDir('certflow-pack-test-');
  packed = packInto(workDir);
});

after(() => {
  if (workDir && !process.env.KEEP_TEST_DIRS) fs.rmSync(workDir, { recursive: true, force: true });
});

test('npm pack holds every file users need', (t) => {
  t.diagnostic(`${path.basename(packed.tarball)}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed`);
  const { missing } = checkPackedFiles(packed.files);
  assert.deepEqual(missing, [], 'files the package needs at run time (main, bin, exports, node .js/.html, examples) missing from the tarball');
});

test('npm pack holds nothing users do not need', () => {
  const { unexpected } = checkPackedFiles(packed.files);
  // Grouped by reason, so one missing "files" rule reads as one entry, not fifty.
  const byReason = {};
  for (const { file, reason } of unexpected) (byReason[reason] ||= []).push(file);
  assert.deepEqual(byReason, {}, 'files in the tarball that users do not need');
});

test('the tarball installs into a fresh Node-RED userDir and every node loads cleanly', { timeout: 180000 }, async (t) => {
  const userDir = path.join(workDir, 'userDir');
  fs.mkdirSync(userDir);
  // Everything this package depends on is normally in npm's cache; fall back to the registry.
  const started = Date.now();
  await installTarball(userDir, packed.tarball);
  t.diagnostic(`npm install took ${Date.now() - started} ms`);
  const installedDir = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  assert.ok(fs.existsSync(path.join(installedDir, 'package.json')), 'the package is not in <userDir>/node_modules');
  assert.ok(!fs.lstatSync(installedDir).isSymbolicLink(), 'the package should be a real install, not a link to the repo');

  const nodeRed = await startNodeRed({ userDir, linkPackage: false });
  try {
    // Every declared type loaded, enabled, without error, from this version, and nothing in
    // the log about us at warn or error level.
    assertPackageLoaded(await nodeRed.adminGet('/nodes'), nodeRed, 'Node-RED');

    // Import > Examples offers every file of examples/.
    const examples = await nodeRed.adminGet(`/library/examples/flows/${PACKAGE_NAME}/`);
    const offered = examples
      .filter((e) => typeof e === 'object')
      .map((e) => e.fn)
      .sort();
    const shipped = fs
      .readdirSync(path.join(repoRoot, 'examples'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
    assert.deepEqual(offered, shipped, 'examples Node-RED offers for the installed package');
  } finally {
    await nodeRed.stop();
  }
});
