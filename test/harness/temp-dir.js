'use strict';
// Temp folders for tests: made under os.tmpdir(), removed when the test process exits (set
// KEEP_TEST_DIRS=1 to keep them for a look after a failure).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const made = new Set();
process.once('exit', () => {
  if (process.env.KEEP_TEST_DIRS) return;
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder; returns its path. */
function tempDir(prefix = 'certflow-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

module.exports = { tempDir };
