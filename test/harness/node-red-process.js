'use strict';
// A real Node-RED process for end-to-end tests: `node node_modules/node-red/red.js` with a
// throw-away userDir, a settings file written here, and this package loadable the way a user
// installs it (a dependency in <userDir>/package.json, the module under <userDir>/node_modules).
// It listens on 127.0.0.1 port 0 (the OS picks a free port; we read it from the log), and is
// stopped by its PID: SIGTERM, then SIGKILL if it does not exit.
const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir } = require('./temp-dir');

const repoRoot = path.resolve(__dirname, '..', '..');
const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const PACKAGE_NAME = packageJson.name;
const NODE_RED_MAIN = path.join(repoRoot, 'node_modules', 'node-red', 'red.js');
const MESSAGE_TRACKER_DIR = path.join(__dirname, 'message-tracker');

// Settings that keep the editor quiet and offline: no welcome tour, no telemetry consent or
// update prompt, no palette catalogue download, no auto-install of missing modules.
const QUIET_SETTINGS = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
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
};

function settingsSource({ userDir, extraSettings = {} }) {
  const settings = { ...QUIET_SETTINGS, credentialSecret: 'certflow-test-secret', userDir, ...extraSettings };
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
  return tempDir(prefix);
}

async function httpGetJson(url, timeoutMs = 5000) {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json', 'Node-RED-API-Version': 'v2' },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url} -> ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Node-RED: the one launcher for every test that needs a real Node-RED process.
 * Options:
 *   userDir        an existing userDir (else a fresh temp dir, removed on stop)
 *   linkPackage    symlink this repo into the userDir (default true; false when the caller
 *                  installed the package itself, e.g. from the npm pack tarball)
 *   settingsFile   keep this settings file (e.g. one that uses the HTTPS helper) instead of
 *                  writing the test settings below
 *   extraSettings  merged over the test settings
 *   trackMessages  load test/harness/message-tracker, for settledAfter() below
 *   waitFor        'ready' (default: listening, flows started, and on HTTP the admin API
 *                  answers) or 'spawned' (return at once, for crash rounds)
 *   nodeBinary / nodeRedMain   another Node.js or Node-RED (e.g. Node-RED 5 on Node 22)
 *   timeoutMs, env
 * Returns { url, port, protocol, pid, child, userDir, exited, log(), logLines(), waitForLog(re),
 * adminGet(path), adminPost(path, body), messageCounts(), settledAfter(n), stop(), kill() }.
 */
async function startNodeRed(options = {}) {
  const { linkPackage = true, timeoutMs = 45000, env = {}, waitFor = 'ready' } = options;
  const extraSettings = options.trackMessages ? { ...options.extraSettings, nodesDir: [MESSAGE_TRACKER_DIR] } : options.extraSettings;
  const nodeRedMain = options.nodeRedMain || NODE_RED_MAIN;
  if (!fs.existsSync(nodeRedMain)) throw new Error(`Node-RED not found at ${nodeRedMain}: run npm install`);
  const ownUserDir = !options.userDir;
  const userDir = options.userDir || makeUserDir();
  if (linkPackage) linkPackageInto(userDir);
  const settingsFile = options.settingsFile || path.join(userDir, 'settings.js');
  if (!options.settingsFile) fs.writeFileSync(settingsFile, settingsSource({ userDir, extraSettings }));

  const chunks = [];
  const child = spawn(options.nodeBinary || process.execPath, [nodeRedMain, '-u', userDir, '-s', settingsFile, '-p', '0'], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_HOME: userDir, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new EventEmitter();
  const onData = (chunk) => {
    chunks.push(chunk);
    output.emit('data');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitedWith = null;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exitedWith = { code, signal };
      output.emit('data');
      resolve(exitedWith);
    }),
  );
  const log = () => Buffer.concat(chunks).toString('utf8');
  // If the test process dies first, do not leave Node-RED running.
  const killOnExit = () => {
    if (exitedWith === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  /** Resolves the first match of `pattern` in the log after character `from`; rejects on exit or timeout. */
  function waitForLog(pattern, { from = 0, timeoutMs: limit = timeoutMs } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(log().slice(from));
        if (match) return done(null, match);
        if (exitedWith) done(new Error(`Node-RED exited (${JSON.stringify(exitedWith)}) before ${pattern} appeared. Log:\n${log()}`));
      };
      const timer = setTimeout(() => done(new Error(`${pattern} did not appear in Node-RED's log within ${limit} ms. Log:\n${log()}`)), limit);
      function done(err, match) {
        clearTimeout(timer);
        output.removeListener('data', check);
        if (err) reject(err);
        else resolve(match);
      }
      output.on('data', check);
      check();
    });
  }

  async function stop() {
    if (exitedWith === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000, null).unref())]); // unref: a stopped Node-RED must not hold the test process 8 s
      if (done === null && exitedWith === null) child.kill('SIGKILL');
    }
    await exited;
    process.removeListener('exit', killOnExit);
    if (ownUserDir && !process.env.KEEP_TEST_DIRS) fs.rmSync(userDir, { recursive: true, force: true });
  }

  async function kill() {
    if (exitedWith === null) child.kill('SIGKILL');
    await exited;
    process.removeListener('exit', killOnExit);
  }

  const handle = {
    url: undefined,
    port: undefined,
    protocol: undefined,
    pid: child.pid,
    child,
    userDir,
    exited,
    log,
    logLines: () => log().split('\n'),
    waitForLog,
    stop,
    kill,
  };
  if (waitFor === 'spawned') return handle;

  // Ready = the server announced its (OS-chosen) port, flows started, and (on HTTP) the admin API answers.
  try {
    const [, protocol, port] = await waitForLog(/Server now running at (https?):\/\/127\.0\.0\.1:(\d+)\//);
    await waitForLog(/Started flows/);
    Object.assign(handle, { protocol, port: Number(port), url: `${protocol}://127.0.0.1:${port}` });
    if (protocol === 'http') {
      await httpGetJson(`${handle.url}/settings`, timeoutMs);
      await httpGetJson(`${handle.url}/flows`, timeoutMs);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const url = handle.url;
  return Object.assign(handle, {
    adminGet: (p) => httpGetJson(url + p),
    /** POSTs to the admin API; a POST /flows resolves once the flows have started (Node-RED answers it before they have). */
    async adminPost(p, body) {
      const logFrom = log().length;
      const response = await fetch(url + p, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${p} -> ${response.status}: ${text.slice(0, 300)}`);
      if (p === '/flows') await waitForLog(/Started flows/, { from: logFrom });
      return text ? JSON.parse(text) : null;
    },
    /** { received, completed, byNode: { id: received }, open: { id: not completed } }: the messages nodes have received and completed so far (needs trackMessages). */
    messageCounts: () => httpGetJson(`${url}/certflow-test/messages`),
    /** Resolves once more than `count` messages were received and all are completed: the flows started since are done (needs trackMessages). */
    async settledAfter(count, limit = 60000) {
      try {
        return await httpGetJson(`${url}/certflow-test/settled?after=${count}`, limit);
      } catch (err) {
        if (err.name !== 'TimeoutError') throw err;
        const now = await handle.messageCounts();
        throw new Error(
          `the flows did not settle within ${limit} ms: ${now.received - count} messages received since, ${now.received - now.completed} not completed (by node: ${JSON.stringify(now.open)})`,
          { cause: err },
        );
      }
    },
  });
}

/**
 * settings.js as the README tells users to write it: Node-RED on HTTPS through the helper, refreshed
 * every hour. `credentialSecret` and `https` (the options of the helper's https()) are JavaScript
 * source, for settings that take them from the environment (test/cluster/kit.js).
 */
function httpsSettingsSource(
  packageName = PACKAGE_NAME,
  { credentialSecret = "'certflow-test-secret'", https = "{ name: 'node-red', userDir: __dirname }" } = {},
) {
  return [
    '// written by test/harness/node-red-process.js',
    `module.exports = Object.assign(${JSON.stringify(QUIET_SETTINGS, null, 2)}, {`,
    `  credentialSecret: ${credentialSecret},`,
    `  https: require('${packageName}/settings').https(${https}),`,
    '  httpsRefreshInterval: 1,',
    '});',
    '',
  ].join('\n');
}

/** A userDir with this package (linked, unless `linkPackage` is false) and the HTTPS settings.js. */
function httpsUserDir({ userDir = makeUserDir('certflow-https-nr-'), linkPackage = true } = {}) {
  if (linkPackage) linkPackageInto(userDir);
  fs.writeFileSync(path.join(userDir, 'settings.js'), httpsSettingsSource());
  return userDir;
}

/** Starts Node-RED on an httpsUserDir() and checks that it came up on HTTPS. */
async function startHttpsNodeRed(userDir, options = {}) {
  const nodeRed = await startNodeRed({ userDir, linkPackage: false, settingsFile: path.join(userDir, 'settings.js'), timeoutMs: 120000, ...options });
  if (nodeRed.protocol !== 'https') {
    await nodeRed.stop();
    throw new Error(`Node-RED started on plain HTTP: the settings helper gave no certificate. Log:\n${nodeRed.log()}`);
  }
  return nodeRed;
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
  startHttpsNodeRed,
  httpsUserDir,
  httpsSettingsSource,
  sleep,
  makeUserDir,
  linkPackageInto,
  writeUserDirPackageJson,
  problemLines,
  declaredNodeTypes,
  repoRoot,
  PACKAGE_NAME,
  packageJson,
};
