'use strict';
// A throw-away BIND 9 (`named -g -4`) on loopback for the DNS tests, as
// ../shared/tools/real-components.md describes it:
// - its own config in a temp folder (directory, pid-file, session-keyfile,
//   managed-keys-directory inside it; `controls { };` so rndc opens no port), listening on
//   127.0.0.1:<free port> only;
// - authoritative for the test zones, each allowing TXT updates signed with one TSIG key
//   (hmac-sha256), so RFC 2136 runs for real;
// - recursion for 127.0.0.1 with a local root zone ("." NS localhost.), so a CNAME from one
//   test zone into another resolves and no query ever leaves the machine;
// - `dig` and `nsupdate` (bind9-dnsutils) as the independent judge and as the "provider"
//   behind the fake HTTP APIs.
// Without named the tests fail (never skip) with the command to install it.
const { spawn, execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const dgram = require('node:dgram');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

// `npm test` puts named, dig and nsupdate on PATH (the machine's, or fetched into .cache/bind9).
const INSTALL = 'apt-get install bind9 bind9-dnsutils (npm test fetches them itself)';
const NAMED = process.env.NAMED_BIN || (fs.existsSync('/usr/sbin/named') ? '/usr/sbin/named' : 'named');

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function requireTools() {
  for (const [bin, file] of [
    ['named', NAMED],
    ['dig', 'dig'],
    ['nsupdate', 'nsupdate'],
  ]) {
    const found = file.includes('/') ? fs.existsSync(file) : process.env.PATH.split(':').some((d) => fs.existsSync(path.join(d, file)));
    if (!found) throw new Error(`BIND 9 is needed for the DNS tests but ${bin} is not installed: run \`${INSTALL}\``);
  }
}

/** A port free for TCP and UDP on 127.0.0.1 right now. */
async function freePort() {
  for (let i = 0; i < 20; i += 1) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = server.address().port;
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free TCP+UDP port on 127.0.0.1');
}

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

function zoneFile(zone, records) {
  return ['$TTL 60', `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 60 60 600 60`, `@ IN NS ns1.${zone}.`, `ns1 IN A 127.0.0.1`, ...records, ''].join(
    '\n',
  );
}

/**
 * Starts named. Options:
 *   zones    { 'example.test': ['@ IN A 127.0.0.1', ...] }   (SOA, NS ns1.<zone>, ns1 A added)
 *   keyName  TSIG key name (default 'certflow-test-key'); a random secret is made
 * Resolves { port, server ('127.0.0.1:<port>'), key: { name, algorithm, secret }, txt(name),
 *            setTxt(name, values), update(lines), stop() }.
 */
async function startBind(opts = {}) {
  requireTools();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'certflow-bind-'));
  const key = { name: opts.keyName || 'certflow-test-key', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  const zones = { ...(opts.zones || { 'example.test': ['@ IN A 127.0.0.1'] }) };
  await fsp.writeFile(
    path.join(dir, 'root.zone'),
    ['$TTL 60', '@ IN SOA localhost. root.localhost. 1 60 60 600 60', '@ IN NS localhost.', 'localhost. IN A 127.0.0.1', ''].join('\n'),
  );
  for (const [zone, records] of Object.entries(zones)) await fsp.writeFile(path.join(dir, `${zone}.zone`), zoneFile(zone, records));

  let lastError;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const port = await freePort();
    const conf = [
      `key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };`,
      'options {',
      `  directory "${dir}";`,
      `  pid-file "${dir}/named.pid";`,
      `  session-keyfile "${dir}/session.key";`,
      `  managed-keys-directory "${dir}";`,
      `  listen-on port ${port} { 127.0.0.1; };`,
      '  listen-on-v6 { none; };',
      '  recursion yes;',
      '  allow-recursion { 127.0.0.1; };',
      '  query-source address 127.0.0.1;',
      '  dnssec-validation no;',
      '  notify no;',
      '};',
      'controls { };',
      'zone "." { type primary; file "root.zone"; };',
      ...Object.keys(zones).map(
        (zone) => `zone "${zone}" { type primary; file "${zone}.zone"; update-policy { grant ${key.name} zonesub TXT CNAME; }; };`,
      ),
      '',
    ].join('\n');
    await fsp.writeFile(path.join(dir, 'named.conf'), conf);
    const log = await fsp.open(path.join(dir, 'named.log'), 'w');
    const child = spawn(NAMED, ['-g', '-4', '-c', path.join(dir, 'named.conf')], { stdio: ['ignore', log.fd, log.fd] });
    await log.close();
    live.add(child);
    child.exited = new Promise((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        resolve();
      }),
    );
    const server = `127.0.0.1:${port}`;
    const instance = { port, server, dir, key, child };
    // ready when the SOA of the first zone is served (or named died: port taken, bad config)
    const deadline = Date.now() + 15000;
    let ready = false;
    while (!ready && Date.now() < deadline && child.exitCode === null) {
      try {
        const out = await run('dig', ['@127.0.0.1', '-p', String(port), '+short', '+tries=1', '+time=1', 'SOA', Object.keys(zones)[0]]);
        ready = out.trim() !== '';
      } catch {
        // not yet
      }
      if (!ready) await new Promise((r) => setTimeout(r, 50));
    }
    if (ready) return finish(instance);
    lastError = new Error(`named did not start:\n${(await fsp.readFile(path.join(dir, 'named.log'), 'utf8')).split('\n').slice(-15).join('\n')}`);
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await child.exited;
  }
  await fsp.rm(dir, { recursive: true, force: true });
  throw lastError;
}

function finish(instance) {
  const { port, key, dir, child } = instance;
  /** TXT values of a name as dig shows them (quotes removed, strings joined). */
  instance.txt = async (name) => {
    const out = await run('dig', ['@127.0.0.1', '-p', String(port), '+short', '+tries=2', '+time=1', 'TXT', name]);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('"'))
      .map((l) => l.replace(/^"|"$/g, '').split('" "').join(''));
  };
  /** nsupdate lines (signed with the zone key) sent to this server. */
  let chain = Promise.resolve();
  instance.update = (lines) => {
    const script = [`server 127.0.0.1 ${port}`, ...lines, 'send', ''].join('\n');
    const next = chain.then(() => run('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], script));
    chain = next.catch(() => undefined);
    return next;
  };
  /** Replaces every TXT value of a name ([] removes them all). */
  instance.setTxt = (name, values) => instance.update([`update delete ${name}. TXT`, ...values.map((v) => `update add ${name}. 60 TXT "${v}"`)]);
  instance.stop = async () => {
    if (child.exitCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 3000);
      await child.exited;
      clearTimeout(timer);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  return instance;
}

module.exports = { startBind, INSTALL };
