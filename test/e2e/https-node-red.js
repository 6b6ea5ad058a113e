'use strict';
// Real Node-RED 4 processes serving HTTPS through this package, installed the way a user
// installs it: `npm pack` of this checkout, `npm install <tarball>` in a fresh userDir (offline,
// from npm's cache; online only if the cache lacks something). settings.js uses the helper:
//   https: require('@certflow/node-red-certificates/settings').https({ name: 'node-red', userDir: __dirname })
// Node-RED is started with `-p 0` (the OS picks a free port, read back from its log) on
// 127.0.0.1, and stopped by its PID: SIGTERM for a clean stop, SIGKILL for the crash tests.
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { promisify } = require('node:util');

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..');
const NODE_RED_MAIN = path.join(repoRoot, 'node_modules', 'node-red', 'red.js');
const PACKAGE_NAME = require(path.join(repoRoot, 'package.json')).name;

/** Packs this checkout (dist/ must be built) and installs the tarball into a new userDir. */
async function userDirWithPackage() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-e2e-'));
  const packDir = path.join(userDir, '.pack');
  fs.mkdirSync(packDir);
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: repoRoot });
  const tarball = path.join(packDir, stdout.trim().split('\n').pop());
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
  const npmInstall = (mode) => run('npm', ['install', '--no-audit', '--no-fund', mode, tarball], { cwd: userDir, timeout: 120000 });
  await npmInstall('--offline').catch(() => npmInstall('--prefer-offline'));
  fs.writeFileSync(path.join(userDir, 'settings.js'), settingsSource());
  return userDir;
}

function settingsSource() {
  return `// written by test/e2e/https-node-red.js
const certflow = require('${PACKAGE_NAME}/settings');
module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: 'certflow-e2e-secret',
  https: certflow.https({ name: 'node-red', userDir: __dirname }),
  httpsRefreshInterval: 1,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  telemetry: { enabled: false, updateNotification: false },
  diagnostics: { enabled: false, ui: false },
  externalModules: { autoInstall: false },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
};
`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Node-RED on userDir. waitFor: 'listening' (HTTPS port known) or 'spawned' (return at
 * once, for the crash rounds). Resolves { child, pid, port, log(), stop(), kill() }.
 */
async function startNodeRed(userDir, { waitFor = 'listening', timeoutMs = 30000 } = {}) {
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
    child,
    pid: child.pid,
    port: undefined,
    log,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const done = await Promise.race([exited, sleep(8000).then(() => null)]);
        if (!done) child.kill('SIGKILL');
      }
      await exited;
      process.removeListener('exit', killOnExit);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
      process.removeListener('exit', killOnExit);
    },
  };
  if (waitFor === 'spawned') return handle;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /Server now running at (https?):\/\/127\.0\.0\.1:(\d+)\//.exec(log());
    if (match) {
      if (match[1] !== 'https') {
        await handle.stop();
        throw new Error(`Node-RED started on plain HTTP: the settings helper gave no certificate. Log:\n${log()}`);
      }
      handle.port = Number(match[2]);
      if (/Started flows/.test(log())) return handle;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Node-RED exited early. Log:\n${log()}`);
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`Node-RED did not start within ${timeoutMs} ms. Log:\n${log()}`);
    }
    await sleep(50);
  }
}

/** The certificate presented on a NEW TLS connection (no trust decision, only a look). */
function servedCertificate(port, servername = 'localhost') {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** Admin API call over HTTPS, trusting only the given CA certificates, checking the name. */
function adminRequest(port, ca, method, urlPath, body, name = 'localhost') {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: name,
        method,
        path: urlPath,
        ca,
        headers: {
          'content-type': 'application/json',
          'Node-RED-Deployment-Type': 'full',
          ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 10000,
      },
      (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode >= 300) return reject(new Error(`${method} ${urlPath} -> ${res.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolve(text ? JSON.parse(text) : null);
          } catch {
            resolve(text); // e.g. "OK" from an inject button
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Presses an inject node's button (POST /inject/:id). A full deploy answers before the new flows
 * have started, so a 404 (node not there yet) is retried for a few seconds.
 */
async function pressInject(port, ca, id, { name, timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await adminRequest(port, ca, 'POST', `/inject/${id}`, undefined, name);
    } catch (err) {
      if (!/-> 404/.test(err.message) || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** Polls new TLS connections until the served fingerprint is not `oldFingerprint`. */
async function waitForNewCertificate(port, oldFingerprint, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cert = await servedCertificate(port);
    if (cert.fingerprint256 !== oldFingerprint) return cert;
    if (Date.now() > deadline) throw new Error(`still serving ${oldFingerprint} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

module.exports = { userDirWithPackage, startNodeRed, servedCertificate, adminRequest, pressInject, waitForNewCertificate, sleep, repoRoot };
