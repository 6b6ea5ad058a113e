'use strict';
// Helpers for the storage tests: what a crash left behind, and pids of processes that are gone.
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
      else if (entry.isFile() && staging && /PRIVATE KEY|privkey|key/i.test(entry.name + fs.readFileSync(full, 'utf8').slice(0, 64))) found.push(full);
    }
  };
  if (fs.existsSync(root)) walk(root, false);
  return found;
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

// ---------------------------------------------------------------------------------------------
// A real Node-RED serving HTTPS through the settings helper, for the storage kill loops. Kept
// here (not in node-red-process.js, which is being merged with test/e2e/https-node-red.js).

const { execFile } = require('node:child_process');
const https = require('node:https');
const tls = require('node:tls');
const { linkPackageInto, makeUserDir, PACKAGE_NAME, repoRoot } = require('./node-red-process');

const NODE_RED_MAIN = path.join(repoRoot, 'node_modules', 'node-red', 'red.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A userDir with this package linked and a settings.js whose `https` is the certflow helper. */
function httpsUserDir(prefix = 'certflow-storage-nr-') {
  const userDir = makeUserDir(prefix);
  linkPackageInto(userDir);
  fs.writeFileSync(path.join(userDir, 'settings.js'), `// written by test/harness/storage-kit.js
module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: 'certflow-storage-secret',
  https: require('${PACKAGE_NAME}/settings').https({ name: 'node-red', userDir: __dirname }),
  httpsRefreshInterval: 1,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  externalModules: { autoInstall: false },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
};
`);
  return userDir;
}

/** Starts Node-RED on userDir and resolves once it listens on HTTPS and has started its flows. */
async function startHttpsNodeRed(userDir, { timeoutMs = 30000 } = {}) {
  const chunks = [];
  const child = spawn(process.execPath, [NODE_RED_MAIN, '-u', userDir, '-s', path.join(userDir, 'settings.js'), '-p', '0'], {
    cwd: userDir,
    env: { ...process.env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => chunks.push(c));
  child.stderr.on('data', (c) => chunks.push(c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const killOnExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const log = () => Buffer.concat(chunks).toString('utf8');
  const handle = {
    pid: child.pid,
    port: undefined,
    log,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      process.removeListener('exit', killOnExit);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await Promise.race([exited, sleep(8000).then(() => null)]))) child.kill('SIGKILL');
      }
      await exited;
      process.removeListener('exit', killOnExit);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /Server now running at (https?):\/\/127\.0\.0\.1:(\d+)\//.exec(log());
    if (match && /Started flows/.test(log())) {
      if (match[1] !== 'https') {
        await handle.stop();
        throw new Error(`Node-RED started on plain HTTP. Log:\n${log()}`);
      }
      handle.port = Number(match[2]);
      return handle;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Node-RED exited early. Log:\n${log()}`);
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`Node-RED did not start within ${timeoutMs} ms. Log:\n${log()}`);
    }
    await sleep(25);
  }
}

/** Admin API over HTTPS (the test looks at certificates itself; it trusts none here). */
function adminHttps(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1', port, method, path: urlPath, rejectUnauthorized: false, timeout: 10000,
        headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode >= 300) reject(Object.assign(new Error(`${method} ${urlPath} -> ${res.statusCode}: ${text.slice(0, 200)}`), { status: res.statusCode }));
          else resolve(text);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Fingerprint of the certificate a NEW TLS connection is given. */
function servedFingerprint(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const fp = socket.getPeerX509Certificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.once('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** The served certificate as openssl s_client sees it (PEM), the independent judge. */
function opensslServedPem(port, servername) {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername], { encoding: 'utf8', timeout: 10000 }, (err, stdout) => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout || '');
      if (pem) resolve(`${pem[0]}\n`);
      else reject(err || new Error('openssl s_client showed no certificate'));
    });
    child.stdin.end('Q\n');
  });
}

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

module.exports.httpsUserDir = httpsUserDir;
module.exports.startHttpsNodeRed = startHttpsNodeRed;
module.exports.adminHttps = adminHttps;
module.exports.servedFingerprint = servedFingerprint;
module.exports.opensslServedPem = opensslServedPem;
module.exports.pebbleOrders = pebbleOrders;
module.exports.currentGeneration = currentGeneration;
module.exports.sleep = sleep;
