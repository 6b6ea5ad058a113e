'use strict';
// A throw-away Pebble 2.10 ACME CA + pebble-challtestsrv (DNS) on loopback, on free ports,
// for lib-level and node-level tests. The project's own implementation of what
// ../shared/tools/pebble-up.sh shows (a fresh clone has no ../shared):
// - Pebble serves its API over HTTPS with a listener certificate we make with openssl;
//   clients trust that certificate (acmeCaPem) for this server only.
// - Pebble's issuing root/intermediate are new on every start: read from the management port.
// - challtestsrv answers every A query with 127.0.0.1 and no AAAA (-defaultIPv6 "": with
//   ::1 Pebble would dial [::1] and miss responders on 127.0.0.1); DoH off (-doh "").
// - Pebble's VA connects for http-01 to httpPort and for tls-alpn-01 to tlsPort: the ports
//   where the test's responder listens.
// - Pebble 2.10 refuses requests without a User-Agent.
// - Processes are stopped by PID (SIGTERM, SIGKILL after a few seconds), also when the test
//   process exits.
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const https = require('node:https');
const http = require('node:http');
const net = require('node:net');
const dgram = require('node:dgram');
const path = require('node:path');
const { tempDir } = require('./temp-dir');
const { newEcKeyReqArgs } = require('../helpers/openssl');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_BIN_DIR = path.join(REPO_ROOT, '.cache', 'pebble', 'bin');
const USER_AGENT = 'certflow-test-harness';

/** Profiles as the shared reference setup configures them. */
const DEFAULT_PROFILES = {
  default: { description: '90-day certificates', validityPeriod: 7776000 },
  shortlived: { description: '6-day certificates', validityPeriod: 518400 },
};

/** Every child this module started and has not seen exit (killed when the process exits). */
const liveChildren = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const child of liveChildren) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      process.kill(process.pid, signal); // our handler is gone (once): die of the signal as usual
    });
  }
}

function findBinaries() {
  const pebble = process.env.PEBBLE_BIN || path.join(DEFAULT_BIN_DIR, 'pebble');
  const cts = process.env.CTS_BIN || path.join(DEFAULT_BIN_DIR, 'pebble-challtestsrv');
  for (const bin of [pebble, cts]) {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      throw new Error(`Pebble 2.10 not found: run bash scripts/get-pebble.sh (looked for ${bin}; PEBBLE_BIN/CTS_BIN override)`);
    }
  }
  return { pebble, cts };
}

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A port free for both TCP and UDP (challtestsrv's DNS listens on both). */
async function freeTcpUdpPort() {
  for (let i = 0; i < 20; i += 1) {
    const port = await freeTcpPort();
    const ok = await new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free TCP+UDP port found on 127.0.0.1');
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20000 }, (err, stdout, stderr) => {
      if (err) {
        if (err.code === 'ENOENT') reject(new Error(`${cmd} not found: apt-get install -y ${cmd}`));
        else reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      } else resolve(stdout);
    });
  });
}

/** GET with a given CA trusted; resolves { status, body } (never throws on HTTP status). */
function get(url, ca) {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { ca, headers: { 'User-Agent': USER_AGENT }, agent: false, timeout: 2000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function postJson(url, body) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': data.length, 'User-Agent': USER_AGENT }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function spawnLogged(bin, args, env, logFile) {
  const log = await fsp.open(logFile, 'a');
  const child = spawn(bin, args, { env, stdio: ['ignore', log.fd, log.fd] });
  await log.close(); // the child has its own copy of the descriptor
  liveChildren.add(child);
  child.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    }),
  );
  child.once('error', () => liveChildren.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

async function tail(file, lines = 15) {
  try {
    return (await fsp.readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts Pebble + challtestsrv. Options (all optional):
 *   httpPort, tlsPort     where the test's http-01 / tls-alpn-01 responders listen (free ports picked when absent)
 *   profiles              { name: { description, validityPeriod (s) } } (default: default 90 d, shortlived 6 d)
 *   nonceReject           percent of good nonces rejected (PEBBLE_WFE_NONCEREJECT)
 *   noSleep               default true (PEBBLE_VA_NOSLEEP: no random 0-15 s validation delay)
 *   alwaysValid           PEBBLE_VA_ALWAYS_VALID
 *   authzReuse            percent (default 0)
 *   eab                   { kid: hmacKeyBase64url, ... } -> externalAccountBindingRequired + MAC keys
 *   domainBlocklist       [names]
 *   alternateRoots        PEBBLE_ALTERNATE_ROOTS
 *   chainLength           PEBBLE_CHAIN_LENGTH
 *   retryAfter            { authz, order } seconds (Pebble's Retry-After on polls)
 *   readyTimeoutMs        default 20000
 *   dnsServer             'host:port' of the DNS server Pebble's VA asks (default: challtestsrv), e.g. a BIND from harness/bind.js
 */
async function startPebble(opts = {}) {
  const bins = findBinaries();
  installExitHook();
  const runDir = tempDir('certflow-pebble-');
  const certFile = path.join(runDir, 'listener-cert.pem');
  const keyFile = path.join(runDir, 'listener-key.pem');
  await run(
    'openssl',
    newEcKeyReqArgs({
      keyFile,
      outFile: certFile,
      subject: '/CN=localhost',
      addext: ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth'],
      days: 30,
    }),
  );
  const acmeCaPem = await fsp.readFile(certFile, 'utf8');

  const httpPort = opts.httpPort ?? (await freeTcpPort());
  const tlsPort = opts.tlsPort ?? (await freeTcpPort());
  const state = { pebble: undefined, cts: undefined, stopped: false };
  const instance = {
    runDir,
    acmeCaPem,
    httpPort,
    tlsPort,
    userAgent: USER_AGENT,
  };

  const pebbleEnv = {
    ...process.env,
    PEBBLE_VA_NOSLEEP: opts.noSleep === false ? '0' : '1',
    PEBBLE_WFE_NONCEREJECT: String(opts.nonceReject ?? 0),
    PEBBLE_AUTHZREUSE: String(opts.authzReuse ?? 0),
  };
  delete pebbleEnv.PEBBLE_VA_ALWAYS_VALID;
  delete pebbleEnv.PEBBLE_ALTERNATE_ROOTS;
  delete pebbleEnv.PEBBLE_CHAIN_LENGTH;
  if (opts.alwaysValid) pebbleEnv.PEBBLE_VA_ALWAYS_VALID = '1';
  if (opts.alternateRoots) pebbleEnv.PEBBLE_ALTERNATE_ROOTS = String(opts.alternateRoots);
  if (opts.chainLength) pebbleEnv.PEBBLE_CHAIN_LENGTH = String(opts.chainLength);

  async function startCts(dnsPort, ctsMgmtPort) {
    return spawnLogged(
      bins.cts,
      [
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-doh',
        '',
        '-dnsserver',
        `127.0.0.1:${dnsPort}`,
        '-management',
        `127.0.0.1:${ctsMgmtPort}`,
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      process.env,
      path.join(runDir, 'challtestsrv.log'),
    );
  }

  async function writeConfig(acmePort, mgmtPort) {
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: !!opts.eab,
        externalAccountMACKeys: opts.eab || {},
        domainBlocklist: opts.domainBlocklist || [],
        retryAfter: { authz: opts.retryAfter?.authz ?? 0, order: opts.retryAfter?.order ?? 0 },
        profiles: opts.profiles || DEFAULT_PROFILES,
      },
    };
    const file = path.join(runDir, 'pebble-config.json');
    await fsp.writeFile(file, JSON.stringify(config, null, 2));
    return file;
  }

  async function startPebbleProcess() {
    const configFile = path.join(runDir, 'pebble-config.json');
    return spawnLogged(
      bins.pebble,
      ['-config', configFile, '-dnsserver', opts.dnsServer || `127.0.0.1:${instance.dnsPort}`, '-strict=false'],
      pebbleEnv,
      path.join(runDir, 'pebble.log'),
    );
  }

  /** Waits until the directory, the root and challtestsrv's management API answer. */
  async function waitReady() {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 20000);
    for (;;) {
      for (const [name, child] of [
        ['pebble', state.pebble],
        ['challtestsrv', state.cts],
      ]) {
        if (child.exitCode !== null || child.signalCode !== null) {
          const err = new Error(`${name} exited early:\n${await tail(path.join(runDir, `${name}.log`))}`);
          err.exitedEarly = true;
          throw err;
        }
      }
      try {
        const dir = await get(instance.directoryUrl, acmeCaPem);
        const root = await get(`${instance.mgmtUrl}/roots/0`, acmeCaPem);
        const cts = await get(`${instance.ctsMgmtUrl}/`, undefined);
        if (dir.status === 200 && root.status === 200 && cts.status >= 100) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        throw new Error(`Pebble not ready after ${opts.readyTimeoutMs ?? 20000} ms:\n${await tail(path.join(runDir, 'pebble.log'))}`);
      }
      await sleep(50);
    }
  }

  async function loadHierarchy() {
    const rootPem = (await get(`${instance.mgmtUrl}/roots/0`, acmeCaPem)).body;
    const intermediatePem = (await get(`${instance.mgmtUrl}/intermediates/0`, acmeCaPem)).body;
    instance.rootPem = rootPem;
    instance.intermediatePem = intermediatePem;
    instance.issuerBundlePem = rootPem + intermediatePem;
    instance.alternateRootPems = [];
    instance.alternateIntermediatePems = [];
    for (let i = 1; i <= (opts.alternateRoots || 0); i += 1) {
      instance.alternateRootPems.push((await get(`${instance.mgmtUrl}/roots/${i}`, acmeCaPem)).body);
      instance.alternateIntermediatePems.push((await get(`${instance.mgmtUrl}/intermediates/${i}`, acmeCaPem)).body);
    }
  }

  // Ports can be taken between our probe and the child's bind (tests run in parallel): retry.
  let lastError;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const acmePort = await freeTcpPort();
    const mgmtPort = await freeTcpPort();
    const dnsPort = await freeTcpUdpPort();
    const ctsMgmtPort = await freeTcpPort();
    Object.assign(instance, {
      acmePort,
      mgmtPort,
      dnsPort,
      ctsMgmtPort,
      directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
      mgmtUrl: `https://127.0.0.1:${mgmtPort}`,
      ctsMgmtUrl: `http://127.0.0.1:${ctsMgmtPort}`,
      dnsResolver: `127.0.0.1:${dnsPort}`,
    });
    await writeConfig(acmePort, mgmtPort);
    state.cts = await startCts(dnsPort, ctsMgmtPort);
    state.pebble = await startPebbleProcess();
    try {
      await waitReady();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      await Promise.all([stopChild(state.pebble), stopChild(state.cts)]);
      if (!err.exitedEarly) break;
    }
  }
  if (lastError) {
    await fsp.rm(runDir, { recursive: true, force: true });
    throw lastError;
  }
  await loadHierarchy();

  instance.pids = () => ({ pebble: state.pebble?.pid, challtestsrv: state.cts?.pid });

  /** Puts a TXT value on `host` (no trailing dot needed) in challtestsrv's DNS. */
  instance.setTxt = async (host, value) => {
    const fqdn = host.endsWith('.') ? host : `${host}.`; // without the dot the record is never served
    await postJson(`${instance.ctsMgmtUrl}/set-txt`, { host: fqdn, value });
  };
  /** Removes every TXT value of `host`. */
  instance.clearTxt = async (host) => {
    const fqdn = host.endsWith('.') ? host : `${host}.`;
    await postJson(`${instance.ctsMgmtUrl}/clear-txt`, { host: fqdn });
  };
  /** GET on Pebble's ACME or management port (trusting the listener cert). */
  instance.get = (url) => get(url, acmeCaPem);

  /** Stops Pebble only (challtestsrv stays): for "CA gone mid-order" tests. */
  instance.stopCa = async () => {
    await stopChild(state.pebble);
  };
  /** Starts Pebble again on the same ports (new, empty CA: new roots, no accounts). */
  instance.startCa = async () => {
    state.pebble = await startPebbleProcess();
    await waitReady();
    await loadHierarchy();
  };

  /** Stops both processes (TERM, then KILL) and removes the run folder. */
  instance.stop = async () => {
    if (state.stopped) return;
    state.stopped = true;
    await Promise.all([stopChild(state.pebble), stopChild(state.cts)]);
    await fsp.rm(runDir, { recursive: true, force: true });
  };
  return instance;
}

module.exports = { startPebble, freeTcpPort, DEFAULT_PROFILES };
