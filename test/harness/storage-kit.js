'use strict';
// Helpers for the storage tests: what a crash left behind, pids of processes that are gone,
// what a record's `current` names, and how many orders Pebble has seen.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Files holding a private key anywhere in a staging place of the storage root (.staging/, 0.1.0's .staging-* folders, temp files). */
function stagedKeys(root) {
  const found = [];
  const walk = (dir, inStaging) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const staging = inStaging || entry.name === '.staging' || entry.name.startsWith('.staging-') || entry.name.endsWith('.tmp');
      if (entry.isDirectory()) walk(full, staging);
      else if (entry.isFile() && staging && /PRIVATE KEY|privkey|key/i.test(entry.name + readIfStillThere(full).slice(0, 64))) found.push(full);
    }
  };
  if (fs.existsSync(root)) walk(root, false);
  return found;
}

/** A file's text, or '' when a running writer renamed or removed it meanwhile (a temp file's normal end). */
function readIfStillThere(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return '';
    throw err;
  }
}

/** The pid of a process that has just exited (for "a writer that died" leftovers). */
function deadPid() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(child.pid));
  });
}

module.exports = { stagedKeys, deadPid };

/** Orders Pebble has created so far (from its log). */
function pebbleOrders(pebble) {
  const text = fs.readFileSync(path.join(pebble.runDir, 'pebble.log'), 'utf8');
  return (text.match(/Added order "/g) || []).length;
}

/** The generation a record's `current` names, or null (symlink or pointer file). */
function currentGeneration(recordDir) {
  try {
    const file = path.join(recordDir, 'current');
    return fs.lstatSync(file).isSymbolicLink() ? fs.readlinkSync(file) : fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

module.exports.pebbleOrders = pebbleOrders;
module.exports.currentGeneration = currentGeneration;
