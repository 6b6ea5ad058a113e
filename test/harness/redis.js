'use strict';
// A throw-away redis-server on loopback for the cluster tests: `redis-server --port <P>
// --save '' --appendonly no --dir <tmp>` in the foreground, tracked by PID (it rewrites its
// own command line). redis-server comes from PATH: the machine's (apt-get install
// redis-server), or the one `npm test` fetches into .cache/redis/bin.
//
// stop() shuts it down with SHUTDOWN SAVE (one dump.rdb in its folder, no snapshots while it
// runs), start() starts it again on the same port and folder: everything stored comes back,
// as with a Redis that persists, so an outage test can check that nothing is lost.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { tempDir } = require('./temp-dir');
const { freeTcpPort } = require('./pebble');

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** redis-server on PATH (then .cache/redis/bin); throws with the install command when absent. */
function findRedisServer() {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), path.join(REPO_ROOT, '.cache', 'redis', 'bin')];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'redis-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('redis-server not found on PATH: apt-get install redis-server (npm test fetches it into .cache/redis/bin)');
}

/** One RESP command over a fresh socket (no client library needed for the harness). */
function command(port, args, { password, timeoutMs = 3000 } = {}) {
  const encode = (parts) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(String(p))}\r\n${p}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error(`redis ${args[0]} timed out`)), timeoutMs);
    socket.on('connect', () => socket.write((password ? encode(['AUTH', password]) : '') + encode(args)));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const replies = data.split('\r\n').filter((l) => /^[+\-:$*]/.test(l));
      if (replies.length >= (password ? 2 : 1)) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/**
 * Starts redis-server. Options: password (requirepass), port (default: a free one).
 * Returns { port, url, safeUrl, dir, pid(), stop({ save }), start(), kill(), command(args) }.
 */
async function startRedis({ password } = {}) {
  const bin = findRedisServer();
  const dir = tempDir('certflow-redis-');
  const port = await freeTcpPort();
  let child;
  let exited;

  async function start() {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'];
    if (password) args.push('--requirepass', password);
    const log = fs.openSync(path.join(dir, 'redis.log'), 'a');
    child = spawn(bin, args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const pid = child.pid;
    process.once('exit', () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    });
    const deadline = Date.now() + 10000;
    for (;;) {
      const reply = await command(port, ['PING'], { password }).catch(() => '');
      if (reply.includes('PONG')) return;
      if (child.exitCode !== null)
        throw new Error(`redis-server exited early:\n${fs.readFileSync(path.join(dir, 'redis.log'), 'utf8').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  /** save: true writes dump.rdb first, so start() brings every key back. */
  async function stop({ save = true } = {}) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await command(port, ['SHUTDOWN', save ? 'SAVE' : 'NOSAVE'], { password }).catch(() => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return {
    port,
    dir,
    url: `redis://${auth}127.0.0.1:${port}`,
    safeUrl: `redis://${password ? ':***@' : ''}127.0.0.1:${port}`,
    pid: () => child.pid,
    start,
    stop,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    command: (args) => command(port, args, { password }),
  };
}

/** The redis-server version line (for reports). */
function redisVersion() {
  return spawnSync(findRedisServer(), ['--version'], { encoding: 'utf8' }).stdout.trim();
}

module.exports = { startRedis, findRedisServer, redisVersion };
