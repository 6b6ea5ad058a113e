'use strict';
// Inspect throughput: certificates per second through inspect() over a 1,000-certificate PEM
// bundle, against the floor of the same run: a bare `new X509Certificate(pem)` of each one.
// Also inspect() called once per certificate. Prints a table; asserts nothing.
// Target (issue 2): inspect of the bundle at least 1/3 of the floor's rate.
//
// The bundle (leaves from a local P-256 CA made by lib/sign, EC and RSA keys, 2-3 names each)
// is generated once and cached in the temp dir.
const { X509Certificate } = require('node:crypto');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const dist = path.join(__dirname, '..', 'dist', 'lib');
const { inspect } = require(path.join(dist, 'inspect/inspect'));
const keys = require(path.join(dist, 'pki/keys'));
const sign = require(path.join(dist, 'pki/sign'));
const { median } = require('./lib/report');

const COUNT = 1000;
const ROUNDS = process.argv.includes('--quick') ? 3 : 7;
const CACHE = path.join(os.tmpdir(), 'certflow-bench', `inspect-${COUNT}-v1.pem`);

async function bundle() {
  try {
    const cached = await fs.readFile(CACHE, 'utf8');
    if ((cached.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length === COUNT) return cached;
  } catch {
    // not generated yet
  }
  const started = performance.now();
  const caKey = await keys.generateKey('ec-p256');
  const caCert = await sign.createCaCertificate({ key: caKey.key, subject: { CN: 'Bench CA', O: 'Certflow' } });
  const leafKeys = [];
  for (const alg of ['ec-p256', 'rsa-2048', 'ec-p384', 'ec-p256']) leafKeys.push((await keys.generateKey(alg)).key);
  const pems = [];
  for (let i = 0; i < COUNT; i++) {
    pems.push(
      await sign.issueCertificate({
        publicKey: leafKeys[i % leafKeys.length],
        subject: { CN: `host${i}.bench.example` },
        altNames: [
          { type: 'dns', value: `host${i}.bench.example` },
          { type: 'dns', value: `www.host${i}.bench.example` },
          ...(i % 3 === 0 ? [{ type: 'ip', value: `10.0.${i >> 8}.${i & 255}` }] : []),
        ],
        ca: { key: caKey.key, cert: caCert },
        days: 30 + (i % 300),
        clientAuth: i % 2 === 0,
      }),
    );
  }
  const text = pems.join('');
  await fs.mkdir(path.dirname(CACHE), { recursive: true });
  await fs.writeFile(CACHE, text);
  console.log(`(generated ${COUNT} certificates with lib/sign in ${((performance.now() - started) / 1000).toFixed(1)} s, cached in ${CACHE})`);
  return text;
}

async function main() {
  const text = await bundle();
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g);

  const floor = () => {
    for (const pem of pems) new X509Certificate(pem);
  };
  const bundled = async () => {
    const result = await inspect(text);
    if (result.certificates.length !== COUNT) throw new Error(`inspect saw ${result.certificates.length} certificates`);
  };
  const oneByOne = async () => {
    for (const pem of pems) await inspect(pem);
  };

  // warm-up: module loading, JIT, Node's root store parsed once
  floor();
  await bundled();
  await oneByOne();

  const times = { floor: [], bundled: [], oneByOne: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // interleaved, so each sees the same machine load
    let t = performance.now();
    floor();
    times.floor.push(performance.now() - t);
    t = performance.now();
    await bundled();
    times.bundled.push(performance.now() - t);
    t = performance.now();
    await oneByOne();
    times.oneByOne.push(performance.now() - t);
  }

  const rate = (ms) => (COUNT / ms) * 1000;
  const floorRate = rate(median(times.floor));
  const rows = [
    ['X509Certificate parse (floor)', floorRate],
    ['inspect(bundle of 1,000)', rate(median(times.bundled))],
    ['inspect(pem) x 1,000', rate(median(times.oneByOne))],
  ];
  console.log(`inspect: ${COUNT} certificates, median of ${ROUNDS} rounds, Node ${process.version}`);
  console.log('| path | certs/s | µs/cert | vs floor |');
  console.log('|---|---:|---:|---:|');
  for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r)} | ${(1e6 / r).toFixed(0)} | ${(r / floorRate).toFixed(2)} |`);
  const ratio = rows[1][1] / floorRate;
  console.log(`target: inspect(bundle) >= 1/3 of the floor -> ${ratio.toFixed(2)} ${ratio >= 1 / 3 ? 'MET' : 'NOT MET'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
