'use strict';
// Leaf certificates per second from a local EC P-256 CA (issue 2 target: >= 500/s here).
// Prints a table; asserts nothing.
//
// Why the numbers are what they are: @peculiar/x509 builds certificates in JavaScript ASN.1
// (asn1js), which is most of the cost; signing itself is native WebCrypto. What lib/ does
// about it: the CA's KeyObject -> CryptoKey import is cached (a WeakMap on the KeyObject; a
// CA key given as PEM text maps to one KeyObject), the CA certificate is parsed once, the
// constant leaf extensions are encoded once, and the SKI is a synchronous SHA-1 over the
// key's JWK bits instead of an SPKI re-parse plus an awaited WebCrypto digest. The rows below
// show each path, and the "no caching" row shows what re-importing the CA key per leaf costs.
const { createPrivateKey } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist', 'lib');
const { generateKey } = require(path.join(dist, 'keys'));
const { createCsr } = require(path.join(dist, 'csr'));
const { signCsr, issueCertificate } = require(path.join(dist, 'sign'));
const { createLocalCa, issueLeaf } = require(path.join(dist, 'local-ca'));
const { startLagSampler } = require('./lib/event-loop-lag');

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1 : 4;

/** Runs `one()` (concurrency at a time) for about `seconds`; resolves { perSecond, count, lag }. */
async function throughput(one, { seconds = SECONDS, concurrency = 1 } = {}) {
  for (let i = 0; i < 20; i++) await one(); // warm-up: JIT, caches
  const sampler = startLagSampler({ intervalMs: 2 });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let count = 0;
  async function worker() {
    while (performance.now() < deadline) {
      await one();
      count++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: count / elapsed, count, lag: sampler.stop() };
}

async function main() {
  const ca = await createLocalCa({ commonName: 'Bench CA' });
  const leafKey = await generateKey('ec-p256');
  const csrPem = await createCsr({ key: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: ['www.bench.example.com', '10.0.0.7'] });
  const names = [{ type: 'dns', value: 'bench.example.com' }, { type: 'dns', value: 'www.bench.example.com' }, { type: 'ip', value: '10.0.0.7' }];

  const cases = [
    {
      name: 'signCsr (CSR PEM, CA key + cert as PEM text, as the sign node calls it)',
      one: () => signCsr({ csr: csrPem, caKey: ca.keyPem, caCert: ca.certPem }),
    },
    {
      name: 'signCsr, 4 at a time (native sign/verify overlap with JS)',
      one: () => signCsr({ csr: csrPem, caKey: ca.keyPem, caCert: ca.certPem }),
      concurrency: 4,
    },
    {
      name: 'issueCertificate (public key given, no CSR to verify)',
      one: () => issueCertificate({ publicKey: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: names, ca: { key: ca.key, cert: ca.certPem } }),
    },
    {
      name: 'issueCertificate, 4 at a time',
      one: () => issueCertificate({ publicKey: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: names, ca: { key: ca.key, cert: ca.certPem } }),
      concurrency: 4,
    },
    {
      name: 'issueLeaf (new P-256 key per leaf + certificate)',
      one: () => issueLeaf({ ca, names: ['bench.example.com', '10.0.0.7'] }),
    },
    {
      name: 'signCsr with no caching (a new CA KeyObject per leaf: re-import each time)',
      one: () => signCsr({ csr: csrPem, caKey: createPrivateKey(ca.keyPem), caCert: ca.certPem }),
    },
  ];

  const rows = [];
  for (const c of cases) {
    const r = await throughput(c.one, { concurrency: c.concurrency ?? 1 });
    rows.push([c.name, r.perSecond.toFixed(0), (1000 / r.perSecond).toFixed(2), r.lag.maxLagMs.toFixed(1), r.perSecond >= 500 ? 'yes' : 'no']);
  }
  const header = ['path (local EC P-256 CA, EC P-256 leaf)', 'leaves/s', 'ms/leaf', 'max loop lag ms', '>= 500/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`\n${SECONDS} s per row after a warm-up; node ${process.version}; ${require('node:os').cpus().length} CPUs, load average ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
