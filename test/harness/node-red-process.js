'use strict';
// A real Node-RED 4 process for end-to-end tests: `node node_modules/node-red/red.js` with a
// throw-away userDir, a settings file written here, and this package loadable the way a user
// installs it (a dependency in <userDir>/package.json, the module under <userDir>/node_modules).
// It listens on 127.0.0.1 port 0 (the OS picks a free port; we read it from the log), and is
// stopped by its PID: SIGTERM, then SIGKILL if it does not exit.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const PACKAGE_NAME = packageJson.name;
const NODE_RED_MAIN = path.join(repoRoot, 'node_modules', 'node-red', 'red.js');

// Settings that keep the editor quiet and offline: no welcome tour, no telemetry consent or
// update prompt, no palette catalogue download, no auto-install of missing modules.
function settingsSource({ userDir, extraSettings = {} }) {
  const settings = {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'certflow-test-secret',
    userDir,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    externalModules: {
      autoInstall: false,
      palette: { allowInstall: false, allowUpdate: false, allowUpload: false },
      modules: { allowInstall: false },
    },
    functionExternalModules: false,
    editorTheme: {
      tours: false,
      projects: { enabled: false },
      palette: { catalogues: [] },
      multiplayer: { enabled: false },
    },
    ...extraSettings,
  };
  return `// written by test/harness/node-red-process.js\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/**
 * Makes <userDir> hold this package the way `npm install` would from Node-RED's point of view:
 * a dependency entry in package.json and <userDir>/node_modules/<name> (a symlink to the repo).
 */
function linkPackageInto(userDir, packageRoot = repoRoot) {
  const target = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(packageRoot, target, 'dir');
  writeUserDirPackageJson(userDir, { [PACKAGE_NAME]: `file:${packageRoot}` });
}

function writeUserDirPackageJson(userDir, dependencies) {
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'test userDir', version: '0.0.1', private: true, dependencies }, null, 2),
  );
}

function makeUserDir(prefix = 'certflow-nr-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function httpGetJson(url, timeoutMs = 5000) {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json', 'Node-RED-API-Version': 'v2' } });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} -> ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Node-RED. Options:
 *   userDir        an existing userDir (else a fresh temp dir, removed on stop)
 *   linkPackage    symlink this repo into the userDir (default true; false when the caller
 *                  installed the package itself, e.g. from the npm pack tarball)
 *   extraSettings  merged over the settings above
 *   timeoutMs      how long to wait for "Server now running" + a working admin API
 * Returns { url, port, pid, userDir, log(), logLines(), adminGet(path), adminPost(path, body), stop() }.
 */
async function startNodeRed(options = {}) {
  const { linkPackage = true, extraSettings, timeoutMs = 45000, env = {} } = options;
  if (!fs.existsSync(NODE_RED_MAIN)) throw new Error(`Node-RED not found at ${NODE_RED_MAIN}: run npm install`);
  const ownUserDir = !options.userDir;
  const userDir = options.userDir || makeUserDir();
  if (linkPackage) linkPackageInto(userDir);
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, settingsSource({ userDir, extraSettings }));

  const chunks = [];
  const child = spawn(process.execPath, [NODE_RED_MAIN, '-u', userDir, '-s', settingsFile, '-p', '0'], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_HOME: userDir, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => chunks.push(chunk));
  child.stderr.on('data', (chunk) => chunks.push(chunk));
  let exited = null;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const log = () => Buffer.concat(chunks).toString('utf8');
  // If the test process dies first, do not leave Node-RED running.
  const killOnExit = () => { if (exited === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);

  async function stop() {
    if (exited === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exitPromise, sleep(8000).then(() => null)]);
      if (done === null && exited === null) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    }
    process.removeListener('exit', killOnExit);
    if (ownUserDir && !process.env.KEEP_TEST_DIRS) fs.rmSync(userDir, { recursive: true, force: true });
  }

  // Ready = the HTTP server announced its (OS-chosen) port and the admin API answers.
  const deadline = Date.now() + timeoutMs;
  let port = null;
  try {
    while (Date.now() < deadline) {
      if (exited) throw new Error(`Node-RED exited early (${JSON.stringify(exited)}). Log:\n${log()}`);
      if (port === null) {
        const match = /Server now running at http:\/\/127\.0\.0\.1:(\d+)\//.exec(log());
        if (match) port = Number(match[1]);
      }
      if (port !== null) {
        try {
          await httpGetJson(`http://127.0.0.1:${port}/settings`, 2000);
          await httpGetJson(`http://127.0.0.1:${port}/flows`, 2000);
          break;
        } catch { /* not yet */ }
      }
      await sleep(150);
    }
    if (port === null || Date.now() >= deadline) throw new Error(`Node-RED did not become ready within ${timeoutMs} ms. Log:\n${log()}`);
  } catch (err) {
    await stop();
    throw err;
  }

  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    pid: child.pid,
    userDir,
    log,
    logLines: () => log().split('\n'),
    adminGet: (p) => httpGetJson(url + p),
    async adminPost(p, body) {
      const response = await fetch(url + p, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${p} -> ${response.status}: ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : null;
    },
    stop,
  };
}

/** Log lines at [warn] or [error] level, and uncaught exceptions. */
function problemLines(logText) {
  return logText.split('\n').filter((line) => /\[(warn|error)\]|Uncaught Exception/i.test(line));
}

/** The node types this package declares, from package.json `node-red.nodes`. */
function declaredNodeTypes() {
  return Object.keys(packageJson['node-red']?.nodes || {});
}

module.exports = {
  startNodeRed,
  makeUserDir,
  linkPackageInto,
  writeUserDirPackageJson,
  problemLines,
  declaredNodeTypes,
  repoRoot,
  PACKAGE_NAME,
  packageJson,
};
