'use strict';
// Leaf certificates per second from a local EC P-256 CA (issue 2 target: >= 500/s here).
// Prints a table; asserts nothing.
//
// Why the numbers are what they are: lib/pki/certificate-builder.ts encodes each certificate once
// with @peculiar/asn1-schema (no encode/parse round trips) and signs it with node:crypto's async
// sign (a DER ECDSA signature, off the main thread); what a CA needs per leaf (its key, name,
// AKI, the constant extensions, the signature algorithm) is kept between leaves, and a CSR's
// signature is checked on the thread pool while its certificate is being built. OpenSSL 3's
// decoders make a private-key PEM parse cost ~1 ms, so the last row (a new CA KeyObject from
// PEM for every leaf) shows what that keeping saves.
const { createPrivateKey } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const path = require('node:path');
const dist = path.join(__dirname, '..', 'dist', 'lib');
const { generateKey } = require(path.join(dist, 'pki/keys'));
const { createCsr } = require(path.join(dist, 'pki/csr'));
const { signCsr, issueCertificate } = require(path.join(dist, 'pki/sign'));
const { createLocalCa, issueLeaf } = require(path.join(dist, 'pki/local-ca'));
const { startLagSampler } = require('./lib/event-loop-lag');
const { printTable } = require('./lib/report');

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 1 : 4;

/** Runs `one()` (concurrency at a time) for about `seconds`; resolves { perSecond, count, lag }. */
async function throughput(one, { seconds = SECONDS, concurrency = 1 } = {}) {
  for (let i = 0; i < 20; i++) await one(); // warm-up: JIT, caches
  const sampler = startLagSampler({ intervalMs: 2 });
  const cpuBefore = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { perSecond: count / elapsed, perCpuSecond: count / cpuSeconds, count, lag: sampler.stop() };
}

async function main() {
  const ca = await createLocalCa({ commonName: 'Bench CA' });
  const leafKey = await generateKey('ec-p256');
  const csrPem = await createCsr({ key: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: ['www.bench.example.com', '10.0.0.7'] });
  const names = [
    { type: 'dns', value: 'bench.example.com' },
    { type: 'dns', value: 'www.bench.example.com' },
    { type: 'ip', value: '10.0.0.7' },
  ];

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
      one: () =>
        issueCertificate({ publicKey: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: names, ca: { key: ca.key, cert: ca.certPem } }),
    },
    {
      name: 'issueCertificate, 4 at a time',
      one: () =>
        issueCertificate({ publicKey: leafKey.key, subject: { CN: 'bench.example.com' }, altNames: names, ca: { key: ca.key, cert: ca.certPem } }),
      concurrency: 4,
    },
    {
      name: 'issueLeaf (new P-256 key per leaf + certificate)',
      one: () => issueLeaf({ ca, names: ['bench.example.com', '10.0.0.7'] }),
    },
    {
      name: 'signCsr with no caching (a new CA KeyObject per leaf: the CA key PEM parsed each time)',
      one: () => signCsr({ csr: csrPem, caKey: createPrivateKey(ca.keyPem), caCert: ca.certPem }),
    },
  ];

  const rows = [];
  for (const c of cases) {
    const r = await throughput(c.one, { concurrency: c.concurrency ?? 1 });
    rows.push([
      c.name,
      r.perSecond.toFixed(0),
      (1000 / r.perSecond).toFixed(2),
      r.perCpuSecond.toFixed(0),
      r.lag.maxLagMs.toFixed(1),
      r.perSecond >= 500 ? 'yes' : 'no',
    ]);
  }
  const header = [
    'path (local EC P-256 CA, EC P-256 leaf)',
    'leaves/s (wall)',
    'ms/leaf',
    'leaves per CPU-second',
    'max loop lag ms',
    '>= 500/s (wall)',
  ];
  printTable(header, rows);
  console.log('\n"leaves per CPU-second" divides by the CPU time this process used (all its threads): it stays');
  console.log('meaningful when other processes share the machine, where wall-clock throughput drops with the load.');
  console.log(
    `${SECONDS} s per row after a warm-up; node ${process.version}; ${require('node:os').cpus().length} CPUs, load average ${require('node:os')
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
