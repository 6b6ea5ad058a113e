'use strict';
// Small helpers for the ACME tests: responders on Pebble's ports, openssl as the judge, temp
// folders, a watch that no secret reaches a message, and an account opened on a Pebble.
const { execFile } = require('node:child_process');
const { X509Certificate } = require('node:crypto');
const fsp = require('node:fs/promises');
const http = require('node:http');
const path = require('node:path');
const { tempDir } = require('./temp-dir');
const acme = require('../../dist/lib/acme');

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** A plain node http server answering /.well-known/acme-challenge/<token> from a registry, as the Node-RED route does. */
async function serveRegistry(port, registry) {
  const server = http.createServer((req, res) => {
    const body = registry.lookup(req.url);
    if (body === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(body);
  });
  return listen(server, port);
}

/** A tiny static file server for a webroot (what a reverse proxy would do). */
async function serveStatic(port, root) {
  const server = http.createServer(async (req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403);
      res.end();
      return;
    }
    try {
      const body = await fsp.readFile(file);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return listen(server, port);
}

/**
 * openssl verify -CAfile root -untrusted intermediate(s) cert; resolves openssl's output,
 * rejects with it when openssl refuses.
 */
async function opensslVerify(certPem, rootPem, intermediatesPem) {
  const dir = await tempDir('certflow-verify-');
  try {
    await fsp.writeFile(path.join(dir, 'cert.pem'), certPem);
    await fsp.writeFile(path.join(dir, 'root.pem'), rootPem);
    await fsp.writeFile(path.join(dir, 'untrusted.pem'), intermediatesPem);
    return await new Promise((resolve, reject) => {
      execFile(
        'openssl',
        ['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'untrusted.pem'), path.join(dir, 'cert.pem')],
        (err, stdout, stderr) => {
          if (err && err.code === 'ENOENT') reject(new Error('openssl not found: apt-get install -y openssl'));
          else if (err) reject(new Error(`openssl verify refused: ${stdout}${stderr}`));
          else resolve(stdout.trim());
        },
      );
    });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Lifetime of a certificate in days (notAfter - notBefore). */
function lifetimeDays(certPem) {
  const cert = new X509Certificate(certPem);
  return (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86400000;
}

/**
 * Collects every text the code under test shows a user (progress, errors) and every secret
 * the test knows, and checks that none of the secrets appears in any text.
 */
class SecretWatch {
  constructor() {
    this.texts = [];
    this.secrets = new Set();
  }

  /** A progress callback that records its texts. */
  progress(log) {
    return (text, details) => {
      this.texts.push(String(text));
      if (details) this.texts.push(JSON.stringify(details));
      if (log) log.push(text);
    };
  }

  /** Records an error (message, details, causes) and returns it. */
  error(err) {
    let e = err;
    for (let depth = 0; e && depth < 5; depth += 1) {
      this.texts.push(String(e.message ?? e));
      if (e.details) this.texts.push(JSON.stringify(e.details));
      this.texts.push(String(e.stack ?? ''));
      e = e.cause;
    }
    return err;
  }

  /** Marks a value as secret (PEM keys: the base64 body lines are checked, not only the header). */
  secret(value) {
    if (!value) return;
    const text = String(value);
    this.secrets.add(text);
    for (const line of text.split('\n')) {
      if (line.length >= 40 && !line.startsWith('-----')) this.secrets.add(line.trim());
    }
  }

  /** Throws when any text contains a secret or a PEM private key block. */
  check() {
    const all = this.texts.join('\n');
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(all)) throw new Error('a PEM private key appears in a message');
    for (const s of this.secrets) {
      if (s && all.includes(s)) throw new Error(`a secret (${s.slice(0, 6)}...) appears in a message`);
    }
    return this.texts.length;
  }
}

/** Runs fn and returns the error it throws (fails when it does not throw). */
async function rejection(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, but it succeeded');
}

/**
 * Opens an account (terms agreed, `extra` options on top) on a Pebble from test/harness/pebble.js;
 * `watch` (a SecretWatch) records its progress texts and keeps its account key secret.
 */
async function openWatchedAccount(pebble, watch, extra = {}) {
  const account = await acme.openAccount({
    directory: pebble.directoryUrl,
    caPem: pebble.acmeCaPem,
    termsOfServiceAgreed: true,
    ...extra,
    onProgress: watch.progress(),
  });
  watch.secret(account.accountKeyPem);
  return account;
}

/** Closes the account's transport and stops Pebble (either may be missing when `before` failed early). */
async function closeAccountAndPebble(account, pebble) {
  account?.transport.close();
  await pebble?.stop();
}

module.exports = {
  tempDir,
  openWatchedAccount,
  closeAccountAndPebble,
  serveRegistry,
  serveStatic,
  opensslVerify,
  lifetimeDays,
  SecretWatch,
  rejection,
  close,
  listen,
};
