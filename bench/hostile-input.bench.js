'use strict';
// The event-loop promise for hostile input (issue 10): no single call holds the loop more than
// 100 ms per MB of input, and never more than 100 ms for a small one. Each row is the largest
// input of its kind the limits let through (lib/limits.ts), or the most expensive one: the
// longest stall while it is read, and the wall time. Prints a table; asserts nothing.
const crypto = require('node:crypto');
const path = require('node:path');
const forge = require('node-forge');
const dist = path.join(__dirname, '..', 'dist', 'lib');
const { inspect } = require(path.join(dist, 'inspect/inspect'));
const { importPkcs12, exportPkcs12 } = require(path.join(dist, 'inspect/pkcs12'));
const { createLocalCa, issueLeaf } = require(path.join(dist, 'pki/local-ca'));
const { INPUT_LIMITS, PKCS12_LIMITS } = require(path.join(dist, 'limits'));
const { measureLag } = require('./lib/event-loop-lag');
const { printTable, formatMs } = require('./lib/report');

/** A PKCS#12 whose MAC iteration count is `iterations` (the MAC no longer matches: the hashing is the cost). */
function withMacIterations(p12, iterations) {
  const pfx = forge.asn1.fromDer(p12.toString('binary'));
  pfx.value[2].value[2] = forge.asn1.create(
    forge.asn1.Class.UNIVERSAL,
    forge.asn1.Type.INTEGER,
    false,
    forge.asn1.integerToDer(iterations).getBytes(),
  );
  return Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary');
}

async function main() {
  const ca = await createLocalCa({ commonName: 'bench hostile CA' });
  const leaf = await issueLeaf({ ca, names: ['bench.example'], days: 30 });
  const p12 = await exportPkcs12({ key: leaf.keyPem, cert: leaf.certPem, password: 'pw', iterations: 1 });
  const bundle = [];
  while (bundle.join('').length + leaf.certPem.length < INPUT_LIMITS.totalBytes - 1024) bundle.push(leaf.certPem);
  const cases = [
    ['PKCS#12, MAC at the iteration cap', 0.001, () => importPkcs12(withMacIterations(p12, PKCS12_LIMITS.maxIterations), 'pw').catch((e) => e)],
    [
      `PEM bundle at the size cap (${bundle.length} certificates)`,
      INPUT_LIMITS.totalBytes / 1048576,
      () => inspect(bundle.join(''), { trustAnchors: 'none' }),
    ],
    [
      'random binary at the size cap',
      INPUT_LIMITS.totalBytes / 1048576,
      () => inspect(crypto.randomBytes(INPUT_LIMITS.totalBytes - 16)).catch((e) => e),
    ],
    [
      'BEGIN lines with no END at the size cap',
      INPUT_LIMITS.totalBytes / 1048576,
      () => inspect('-----BEGIN CERTIFICATE-----\nAAAA\n'.repeat(INPUT_LIMITS.totalBytes / 34)).catch((e) => e),
    ],
  ];
  const rows = [];
  for (const [label, mb, run] of cases) {
    const budget = Math.max(100, 100 * mb);
    const started = performance.now();
    const { lag } = await measureLag(run);
    const ms = performance.now() - started;
    rows.push([label, formatMs(ms), formatMs(lag.maxLagMs), `${budget.toFixed(0)}`, lag.maxLagMs <= budget ? 'yes' : 'NO']);
  }
  printTable(['input', 'wall ms', 'longest stall ms', 'budget ms', 'within'], rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
