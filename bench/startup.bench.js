'use strict';
// Node-RED start-up cost of having this package installed: a real `node-red` process from
// spawn to "Started flows", and its RSS once started, with and without the package in the
// userDir (no flows: the cost every start pays before any of our nodes is used). Runs are
// interleaved (with, without, with, ...) so a change in the machine's load hits both sides.
// Target (issue 14): at most +150 ms and +10 MB RSS over a start without the package.
const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { startNodeRed, makeUserDir } = require('../test/harness/node-red-process');
const { median, printTable } = require('./lib/report');

const ROUNDS = process.argv.includes('--quick') ? 3 : 9;

/** RSS of a process in bytes, from /proc (Linux). */
function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) * 1024;
}

async function oneStart(withPackage) {
  const userDir = makeUserDir('certflow-bench-start-');
  if (!withPackage) fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
  const started = performance.now();
  const nodeRed = await startNodeRed({ userDir, linkPackage: withPackage });
  const ms = performance.now() - started;
  const rss = rssOf(nodeRed.pid);
  const typesLoaded = (await nodeRed.adminGet('/nodes')).filter((set) => /certflow/.test(set.module)).length;
  await nodeRed.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
  return { ms, rss, typesLoaded };
}

async function main() {
  const runs = { with: [], without: [] };
  await oneStart(true); // warm the file cache for both sides
  await oneStart(false);
  for (let i = 0; i < ROUNDS; i++) {
    runs.with.push(await oneStart(true));
    runs.without.push(await oneStart(false));
  }
  const row = (label, list) => ({ label, ms: median(list.map((r) => r.ms)), rssMb: median(list.map((r) => r.rss)) / 1048576 });
  const withPkg = row('with the package', runs.with);
  const without = row('without', runs.without);
  console.log(`Node-RED start to "Started flows" (median of ${ROUNDS}, interleaved; node sets of ours loaded: ${runs.with[0].typesLoaded})`);
  const extraMs = withPkg.ms - without.ms;
  const extraMb = withPkg.rssMb - without.rssMb;
  printTable(
    ['start', 'ms', 'RSS MB'],
    [
      ...[without, withPkg].map((r) => [r.label, r.ms.toFixed(0), r.rssMb.toFixed(1)]),
      ['cost of the package', `${extraMs >= 0 ? '+' : ''}${extraMs.toFixed(0)} (x${(withPkg.ms / without.ms).toFixed(2)})`, `+${extraMb.toFixed(1)}`],
    ],
  );
  console.log(`target: <= +150 ms and <= +10 MB: ${extraMs <= 150 && extraMb <= 10 ? 'met' : 'NOT met'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
