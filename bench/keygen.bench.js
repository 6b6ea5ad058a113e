'use strict';
// Key generation: ours (lib/keys generateKey: async native keygen + PKCS#8 PEM export) vs
// `openssl genpkey` in the same run, interleaved so both see the same machine load, plus the
// longest event-loop stall while ours runs. Prints a table; asserts nothing.
// Targets (issue 2): ratio <= 1.1 and lag < 20 ms, RSA-4096 included.
// RSA keygen time varies a lot from key to key (prime search): with 9 runs the RSA-4096 ratio
// swung between 0.7 and 1.4 from one bench run to the next, hence 21-25 runs for the big sizes.
const { execFile } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const os = require('node:os');
const path = require('node:path');
const { generateKey } = require(path.join(__dirname, '..', 'dist', 'lib', 'pki', 'keys'));
const { startLagSampler } = require('./lib/event-loop-lag');
const { median, formatMs: fmt, printTable } = require('./lib/report');

const CASES = [
  { alg: 'ec-p256', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], runs: 31 },
  { alg: 'ec-p384', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], runs: 31 },
  { alg: 'ec-p521', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], runs: 31 },
  { alg: 'ed25519', genpkey: ['-algorithm', 'ED25519'], runs: 31 },
  { alg: 'rsa-2048', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], runs: 21 },
  { alg: 'rsa-3072', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], runs: 25 },
  { alg: 'rsa-4096', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'], runs: 21 },
];
const quick = process.argv.includes('--quick');

function runOpenssl(args) {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

async function main() {
  await runOpenssl(['version']).catch(() => {
    console.error('openssl (the CLI) is missing: install it with `apt-get install -y openssl`');
    process.exit(1);
  });
  // Warm up both sides (module loading, first-use costs) before measuring.
  await generateKey('ec-p256');
  await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const startup = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    await runOpenssl(['version']);
    startup.push(performance.now() - t);
  }

  const rows = [];
  const started = performance.now();
  for (const c of CASES) {
    const runs = quick ? Math.min(c.runs, 3) : c.runs;
    const ours = [];
    const theirs = [];
    let maxLag = 0;
    let controlLag = 0;
    let busy = 0;
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const sampler = startLagSampler({ intervalMs: 2 });
      const elu = performance.eventLoopUtilization();
      let t = performance.now();
      await generateKey(c.alg);
      ours.push(performance.now() - t);
      const used = performance.eventLoopUtilization(elu);
      busy += used.active;
      total += used.active + used.idle;
      maxLag = Math.max(maxLag, sampler.stop().maxLagMs);
      // Control: the same sampler while openssl does the same work in another process.
      const control = startLagSampler({ intervalMs: 2 });
      t = performance.now();
      await runOpenssl(['genpkey', ...c.genpkey]);
      theirs.push(performance.now() - t);
      controlLag = Math.max(controlLag, control.stop().maxLagMs);
    }
    const oursMedian = median(ours);
    const theirsMedian = median(theirs);
    rows.push({
      type: c.alg,
      runs,
      ours: oursMedian,
      openssl: theirsMedian,
      ratio: oursMedian / theirsMedian,
      lag: maxLag,
      controlLag,
      busy: total ? (100 * busy) / total : 0,
    });
  }
  const totalSeconds = (performance.now() - started) / 1000;

  // What an idle loop shows on this machine right now (timer granularity, other processes).
  const idleSampler = startLagSampler({ intervalMs: 2 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idle = idleSampler.stop();

  const header = [
    'key type',
    'runs',
    'ours median ms',
    'openssl genpkey median ms',
    'ratio ours/openssl',
    'max event-loop lag ms (ours)',
    'loop busy % (ours)',
    'max lag ms while openssl runs (control)',
    'targets met',
  ];
  const lines = rows.map((r) => [
    r.type,
    String(r.runs),
    fmt(r.ours),
    fmt(r.openssl),
    r.ratio.toFixed(2),
    fmt(r.lag),
    r.busy.toFixed(1),
    fmt(r.controlLag),
    `${r.ratio <= 1.1 ? 'ratio ok' : 'ratio HIGH'}, ${r.lag < 20 ? 'lag ok' : 'lag HIGH'}`,
  ]);
  printTable(header, lines);
  console.log('');
  console.log(`openssl process start-up (openssl version), median: ${fmt(median(startup))} ms - included in every genpkey time above,`);
  console.log('so for the fast key types (EC, Ed25519) the ratio mostly compares our call with a process spawn.');
  console.log(
    `idle baseline: max lag ${fmt(idle.maxLagMs)} ms over 2 s of doing nothing; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${os.cpus().length} CPUs.`,
  );
  console.log('"loop busy %" is event-loop utilization while ours runs: near 0 means the keygen ran off the main thread; a lag');
  console.log('with a low busy % is the OS scheduling other work (the keygen thread, other processes) on a busy machine;');
  console.log('the control column is the same sampler while `openssl genpkey` does the work in another process.');
  console.log(
    `node ${process.version}, ${process.versions.openssl} (node's OpenSSL); ${(await runOpenssl(['version'])).trim()} (CLI); total ${totalSeconds.toFixed(1)} s`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
