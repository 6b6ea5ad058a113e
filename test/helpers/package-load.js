'use strict';
// What a Node-RED that installed the package must show: every declared node type loaded.
const assert = require('node:assert/strict');
const { problemLines, declaredNodeTypes, PACKAGE_NAME, packageJson } = require('../harness/node-red-process');

/**
 * Asserts that every node type the package declares is among `nodes` (GET /nodes of the admin
 * API) enabled, without error and from this version, and that nodeRed.log() has no warning or
 * error about the package. `runtime` names the Node-RED in the messages ('Node-RED 5').
 */
function assertPackageLoaded(nodes, nodeRed, runtime) {
  const nodeSets = nodes.filter((set) => set.module === PACKAGE_NAME);
  const declared = declaredNodeTypes();
  assert.deepEqual(nodeSets.map((set) => set.name).sort(), [...declared].sort(), `node sets ${runtime} found for the package`);
  for (const set of nodeSets) {
    assert.equal(set.err, undefined, `${set.name} failed to load: ${JSON.stringify(set.err)}`);
    assert.equal(set.enabled, true, `${set.name} is not enabled`);
    assert.equal(set.version, packageJson.version);
  }
  const loadedTypes = nodeSets.flatMap((set) => set.types);
  assert.deepEqual(
    declared.filter((type) => !loadedTypes.includes(type)),
    [],
    `declared node types ${runtime} did not register`,
  );
  // Nothing in the log about us at warn or error level (load errors, missing files, ...).
  const ours = problemLines(nodeRed.log()).filter((line) => /certflow|node-red-certificates/i.test(line));
  assert.deepEqual(ours, [], `${runtime} logged problems with the package:\n${nodeRed.log()}`);
}

module.exports = { assertPackageLoaded };
