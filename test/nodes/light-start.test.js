'use strict';
// Issue 14: Node-RED requires every node file at start, deployed or not. Loading them (and
// registering the types with a stand-in RED) must not load the heavy dependencies: those come
// on first use (nodes/common/lib.ts, docs/ARCHITECTURE.md "Loading"). A child process per
// check, so require.cache starts empty.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const nodesDir = path.join(__dirname, '..', '..', 'dist', 'nodes');
const HEAVY = ['acme-client', '@peculiar/x509', 'node-forge', 'ioredis', 'asn1js'];

/** Requires the node files and calls each one's register(RED) with a stand-in RED; prints the packages loaded. */
const probe = `
const path = require('node:path');
const noop = () => undefined;
const RED = {
  nodes: { registerType: noop, createNode: noop, getNode: noop },
  httpAdmin: { get: noop, post: noop, use: noop },
  httpNode: { get: noop, use: noop },
  auth: { needsPermission: () => (req, res, next) => next() },
  settings: { userDir: process.argv[1], credentialSecret: 'x' },
  hooks: { add: noop, remove: noop },
  events: { on: noop, removeListener: noop },
  log: { info: noop, warn: noop, error: noop, debug: noop },
  util: { generateId: () => 'id' },
  _: (key) => key,
};
for (const file of process.argv.slice(2)) require(file)(RED);
const packages = new Set();
for (const file of Object.keys(require.cache)) {
  const at = file.lastIndexOf('node_modules' + path.sep);
  if (at < 0) continue;
  const parts = file.slice(at + 13).split(path.sep);
  packages.add(parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]);
}
process.stdout.write(JSON.stringify([...packages]));
`;

function packagesLoadedBy(files) {
  const userDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'certflow-light-'));
  try {
    return JSON.parse(execFileSync(process.execPath, ['-e', probe, userDir, ...files], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

const nodeFiles = fs
  .readdirSync(nodesDir)
  .filter((f) => /^certflow-.*\.js$/.test(f))
  .map((f) => path.join(nodesDir, f));

test('the node files are built', () => {
  assert.ok(nodeFiles.length >= 8, `expected the node files in ${nodesDir}: run the build first`);
});

for (const file of nodeFiles) {
  test(`loading ${path.basename(file)} loads none of ${HEAVY.join(', ')}`, () => {
    const loaded = packagesLoadedBy([file]);
    assert.deepEqual(
      loaded.filter((p) => HEAVY.includes(p)),
      [],
    );
  });
}

test('loading every node file together stays light too', () => {
  const loaded = packagesLoadedBy(nodeFiles);
  assert.deepEqual(
    loaded.filter((p) => HEAVY.includes(p)),
    [],
  );
});

test('the check sees a heavy package when one is loaded (so it would catch a regression)', () => {
  const loaded = packagesLoadedBy([path.join(__dirname, 'fixtures', 'loads-pki.js')]);
  assert.ok(loaded.includes('@peculiar/x509'), `expected @peculiar/x509 among ${loaded.join(', ')}`);
});
