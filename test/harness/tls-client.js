'use strict';
// TLS and HTTPS clients for tests of a server this package feeds: what certificate a new
// connection gets, and Node-RED's admin API over HTTPS trusting only the CAs a test names.
const { execFile } = require('node:child_process');
const https = require('node:https');
const tls = require('node:tls');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a TLS server at 127.0.0.1:port presents on a NEW connection: { cert, protocol } (no trust check: we only look). */
function peerCertificate(port, servername = 'localhost', extra = {}) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...extra }, () => {
      const cert = socket.getPeerX509Certificate();
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ cert, protocol });
    });
    socket.once('error', reject);
    socket.setTimeout(10000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** The X509Certificate a new connection gets. */
async function servedCertificate(port, servername = 'localhost') {
  return (await peerCertificate(port, servername)).cert;
}

/** Polls new TLS connections until the served fingerprint is not `oldFingerprint`. */
async function waitForNewCertificate(port, oldFingerprint, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cert = await servedCertificate(port);
    if (cert.fingerprint256 !== oldFingerprint) return cert;
    if (Date.now() > deadline) throw new Error(`still serving ${oldFingerprint} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Admin API call over HTTPS, trusting only the given CA certificates and checking the name (ca null: no trust check). */
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
        ...(ca === null ? { rejectUnauthorized: false } : { ca }),
        headers: {
          'content-type': 'application/json',
          'Node-RED-Deployment-Type': 'full',
          ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 15000,
      },
      (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode >= 300)
            return reject(Object.assign(new Error(`${method} ${urlPath} -> ${res.statusCode}: ${text.slice(0, 300)}`), { status: res.statusCode }));
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
 * have started, so a 404 (node not there yet) is retried until the node exists.
 */
async function pressInject(port, ca, id, { name, timeoutMs = 20000 } = {}) {
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

/** The served certificate as `openssl s_client` sees it (PEM): the independent judge. */
function opensslServedPem(port, servername = 'localhost') {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername],
      { encoding: 'utf8', timeout: 15000 },
      (err, stdout) => {
        const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout || '');
        if (pem) resolve(`${pem[0]}\n`);
        else reject(err || new Error('openssl s_client showed no certificate'));
      },
    );
    child.stdin.end('Q\n');
  });
}

module.exports = {
  opensslServedPem,
  peerCertificate,
  servedCertificate,
  waitForNewCertificate,
  adminRequest,
  pressInject,
};
