'use strict';
// This checkout as a user gets it: `npm pack` (dist/ must be built), then `npm install
// <tarball>` into a Node-RED userDir, offline from npm's cache when it can.
const { execFile } = require('node:child_process');
const { packInto } = require('../../scripts/pack-check');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { tempDir } = require('./temp-dir');

const run = promisify(execFile);

/** Packs the checkout into `destination` (a new temp dir by default); resolves the tarball's path. */
function packPackage(destination = tempDir('certflow-pack-')) {
  fs.mkdirSync(destination, { recursive: true });
  return packInto(destination).tarball;
}

/** Installs a tarball into userDir (made a Node-RED project if it has no package.json yet). */
async function installTarball(userDir, tarball, { npm = 'npm', env = process.env } = {}) {
  const manifest = path.join(userDir, 'package.json');
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
  const npmInstall = (mode) =>
    run(npm, ['install', '--no-audit', '--no-fund', '--omit=dev', '--ignore-scripts', mode, tarball], {
      cwd: userDir,
      timeout: 180000,
      env: { ...env, npm_config_update_notifier: 'false' },
    });
  await npmInstall('--offline').catch(() => npmInstall('--prefer-offline'));
}

/** A fresh userDir with the packed package installed. */
async function userDirWithPackage(prefix = 'certflow-e2e-') {
  const userDir = tempDir(prefix);
  await installTarball(userDir, packPackage(path.join(userDir, '.pack')));
  return userDir;
}

module.exports = { packPackage, installTarball, userDirWithPackage };
