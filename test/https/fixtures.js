'use strict';
// Certificates for the HTTPS tests, made with the package's own local-CA code (the code under
// test elsewhere), plus small helpers: temp dirs, openssl, TLS peeks.
const { X509Certificate, createPrivateKey } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { createLocalCa, issueLeaf } = require('../../dist/lib/pki/local-ca');
const { createCaCertificate } = require('../../dist/lib/pki/sign');
const { generateKey } = require('../../dist/lib/pki/keys');
const { opensslOk } = require('../helpers/openssl');
const { peerCertificate } = require('../harness/tls-client');
const { tempDir } = require('../harness/temp-dir');

let sharedCa;
/** One root CA for a test file (making keys is the slow part). */
async function testCa() {
  sharedCa ??= await createLocalCa({ commonName: 'certflow test root', pathLength: 1 });
  return sharedCa;
}

/** A bundle { key, cert, chain, fullchain, ca } for names, signed by the test CA (or `ca`). */
async function leafBundle(names = ['localhost', '127.0.0.1'], ca) {
  const issuer = ca ?? (await testCa());
  const leaf = await issueLeaf({ ca: issuer, names, days: 30 });
  return { key: leaf.keyPem, cert: leaf.certPem, chain: [issuer.certPem], fullchain: leaf.fullchainPem, ca: issuer.certPem };
}

/** root -> intermediate -> leaf; chain = [intermediate, root]. */
async function intermediateBundle(names = ['localhost']) {
  const root = await testCa();
  const intermediateKey = await generateKey('ec-p256');
  const intermediateCert = await createCaCertificate({
    key: intermediateKey.privateKeyPem,
    subject: { CN: 'certflow test intermediate' },
    days: 365,
    pathLength: 0,
    issuer: { key: root.key, cert: root.certPem },
  });
  const intermediate = { key: intermediateKey.key, keyPem: intermediateKey.privateKeyPem, certPem: intermediateCert };
  const leaf = await issueLeaf({ ca: intermediate, names, days: 30 });
  return { key: leaf.keyPem, cert: leaf.certPem, chain: [intermediateCert, root.certPem], ca: root.certPem };
}

function fingerprintOf(pem) {
  return new X509Certificate(pem).fingerprint256;
}

function keyMatches(keyPem, certPem) {
  return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
}

/** openssl, failing with its stderr (or with the command that installs it). */
async function openssl(args, input) {
  return { stdout: await opensslOk(args, { input }) };
}

/** red.js's refresh step, as written there: update only when key or cert changed. */
async function nodeRedRefresh(server, settingsHttps) {
  const refreshed = await settingsHttps();
  if (!refreshed) return 'falsy';
  const updateKey =
    server.key == undefined ||
    (Buffer.isBuffer(server.key) && !server.key.equals(refreshed.key)) ||
    (typeof server.key == 'string' && server.key != refreshed.key);
  const updateCert =
    server.cert == undefined ||
    (Buffer.isBuffer(server.cert) && !server.cert.equals(refreshed.cert)) ||
    (typeof server.cert == 'string' && server.cert != refreshed.cert);
  if (updateKey || updateCert) {
    server.setSecureContext(refreshed);
    return 'updated';
  }
  return 'unchanged';
}

/** A whole directory tree as { relativePath: content-or-link } to prove "untouched". */
function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) walk(full);
      else out[rel] = fs.readFileSync(full, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

module.exports = { tempDir, testCa, leafBundle, intermediateBundle, fingerprintOf, keyMatches, openssl, peerCertificate, snapshot, nodeRedRefresh };
