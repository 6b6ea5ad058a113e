'use strict';
// Roots from Node's own store (tls.rootCertificates) for tests that need a real one. The store
// changes with Node's version and its roots expire (Entrust's did on 2026-11-27), so a test
// never takes one by position: it takes one valid at run time, and names it.
const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { rootCertificates } = require('node:tls');

/** The roots valid now and for a week more: [{ pem, subject, cert }], largest first. */
function rootsValidNow() {
  const now = Date.now();
  const soon = now + 7 * 86400_000;
  const valid = rootCertificates
    .map((pem) => ({ pem, cert: new X509Certificate(pem) }))
    .filter(({ cert }) => Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) > soon)
    .map(({ pem, cert }) => ({ pem, cert, subject: cert.subject.replace(/\n/g, ', ') }))
    .sort((a, b) => b.pem.length - a.pem.length);
  assert.ok(valid.length > 0, `none of the ${rootCertificates.length} roots in Node's store is valid on ${new Date(now).toISOString()}`);
  return valid;
}

/** One root valid now (the largest: more extensions and a bigger key to read). */
function rootValidNow() {
  return rootsValidNow()[0];
}

module.exports = { rootsValidNow, rootValidNow };
