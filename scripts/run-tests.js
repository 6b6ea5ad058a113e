'use strict';
// `npm test`: lint, everything the suite needs, then every test file under test/ with Node's
// own test runner, then the date-sensitive files again with the clock moved two years ahead.
//
// A fresh machine needs nothing but `npm install`: the tools that are not npm packages are
// fetched into .cache/ from Debian's archive (Pebble 2.10, libfaketime) or, where that cannot
// work, the run stops at once with the command to run. Files run in parallel processes; each
// one that needs Pebble or Node-RED starts its own on free loopback ports.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cache = path.join(root, '.cache');

/** Folders whose tests depend on the clock but not on a Go program (Pebble ignores libfaketime). */
const DATE_SENSITIVE = ['test/lib', 'test/https', 'test/nodes'];
/** The shifted run: two years ahead, so a certificate or root that a test relies on and that
 *  expires within two years fails today, not on the day it expires. */
const CLOCK_SHIFT = '+730d';

function fail(lines) {
  console.error(['', ...lines, ''].join('\n'));
  process.exit(1);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function requireTools() {
  const missing = ['openssl', 'curl'].filter((tool) => !has(tool));
  if (missing.length) {
    fail([`npm test needs ${missing.join(' and ')}, which this machine lacks. Install with:`, `  sudo apt-get install -y ${missing.join(' ')}`]);
  }
}

function runScript(script, args, what) {
  const result = spawnSync('bash', [path.join(root, 'scripts', script), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0)
    fail([`npm test could not fetch ${what} (see above). Fetch it by hand with:`, `  bash scripts/${script} ${args.join(' ')}`]);
}

function ensurePebble() {
  if (process.env.PEBBLE_BIN || fs.existsSync(path.join(cache, 'pebble', 'bin', 'pebble'))) return;
  console.error('npm test: fetching Pebble 2.10 from Debian into .cache/pebble (once)');
  runScript('get-pebble.sh', [], 'Pebble 2.10');
}

/** libfaketime: the system's, else Debian's package unpacked into .cache/faketime. */
function fakeTimeLibrary() {
  const relative = 'usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
  for (const candidate of [path.join('/', relative), path.join(cache, 'faketime', relative)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  console.error('npm test: fetching libfaketime from Debian into .cache/faketime (once)');
  runScript('fetch-debian-package.sh', [debianSuite(), '.cache/faketime', 'libfaketime'], 'libfaketime');
  return path.join(cache, 'faketime', relative);
}

/** The host's own Debian release when it is Debian (matching libc), else bookworm. */
function debianSuite() {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    if (/^ID=debian$/m.test(release)) return /^VERSION_CODENAME=(\w+)$/m.exec(release)?.[1] ?? 'bookworm';
  } catch {
    // not Linux, or no os-release: fall through
  }
  return 'bookworm';
}

/**
 * Programs from Debian packages that some tests run (BIND's named for RFC 2136, dig and nsupdate
 * to look at it): the machine's own when on PATH, else unpacked into .cache/<name> with the
 * libraries it lacks, behind small wrapper scripts in .cache/<name>/bin that the tests find
 * first on PATH. Returns that bin folder, or null when the machine has them all.
 */
function debianPrograms(name, programs, packages) {
  const missing = programs.filter((program) => !has(program) && !fs.existsSync(path.join('/usr/sbin', program)));
  if (missing.length === 0) return null;
  const dest = path.join(cache, name);
  const bin = path.join(dest, 'bin');
  if (!fs.existsSync(path.join(dest, '.complete'))) {
    console.error(`npm test: fetching ${packages.join(', ')} from Debian into .cache/${name} (once)`);
    runScript('fetch-debian-package.sh', [debianSuite(), `.cache/${name}`, ...packages], packages.join(' '));
  }
  fs.mkdirSync(bin, { recursive: true });
  const libs = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((dir) => path.join(dest, dir)).join(':');
  for (const program of programs) {
    const real = ['usr/sbin', 'usr/bin', 'sbin', 'bin'].map((dir) => path.join(dest, dir, program)).find((file) => fs.existsSync(file));
    if (!real) fail([`.cache/${name} has no ${program}: remove .cache/${name} and run npm test again`]);
    fs.writeFileSync(path.join(bin, program), `#!/bin/sh\nLD_LIBRARY_PATH="${libs}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "${real}" "$@"\n`, {
      mode: 0o755,
    });
  }
  return bin;
}

/** pyca/cryptography's test vectors (the openssl corpus test): the machine's, else Debian's package in .cache. */
function ensureTestVectors() {
  const relative = 'usr/lib/python3/dist-packages/cryptography_vectors';
  if (fs.existsSync(path.join('/', relative, 'x509'))) return;
  if (fs.existsSync(path.join(cache, 'cryptography-vectors', relative, 'x509'))) return;
  console.error('npm test: fetching python3-cryptography-vectors from Debian into .cache/cryptography-vectors (once)');
  runScript(
    'fetch-debian-package.sh',
    [debianSuite(), '.cache/cryptography-vectors', 'python3-cryptography-vectors'],
    'the pyca/cryptography test vectors',
  );
}

function collect(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...collect(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

function runNodeTest(files, env, label) {
  if (label) console.log(`\n# ${label}`);
  const concurrency = process.env.TEST_CONCURRENCY || '3';
  const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', NODE_OPTIONS: [process.env.NODE_OPTIONS, '--enable-source-maps'].filter(Boolean).join(' '), ...env },
  });
  return result.status === null ? 1 : result.status;
}

requireTools();
ensurePebble();
ensureTestVectors();
const extraPath = [
  debianPrograms(
    'bind9',
    ['named', 'dig', 'nsupdate'],
    ['bind9', 'bind9-libs', 'bind9-dnsutils', 'libfstrm0', 'liblmdb0', 'libmaxminddb0', 'libprotobuf-c1', 'libjemalloc2'],
  ),
  debianPrograms('redis', ['redis-server', 'redis-cli'], ['redis-server', 'redis-tools', 'liblzf1', 'libjemalloc2', 'libatomic1']),
].filter(Boolean);
// /usr/sbin holds named on Debian but is not on every user's PATH
const PATH = [...extraPath, process.env.PATH, '/usr/sbin', '/sbin'].filter(Boolean).join(path.delimiter);
const only = process.argv.slice(2).map((f) => path.resolve(f));
if (only.length === 0) {
  // the whole suite starts with lint (ESLint, then Prettier's check): a habit, not a separate step
  console.log('# npm run lint');
  const lint = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: root, stdio: 'inherit' });
  if (lint.status !== 0) fail(['npm run lint failed (see above): fix the code, or run `npm run format` for the formatting.']);
}
const files = only.length ? only : collect(path.join(root, 'test'));
if (files.length === 0) fail(['no test files found under test/']);

let status = runNodeTest(files, { PATH });
const shifted = files.filter((f) => DATE_SENSITIVE.some((dir) => f.startsWith(path.join(root, dir) + path.sep)));
if (shifted.length && process.env.CERTFLOW_NO_CLOCK_SHIFT !== '1') {
  const clock = { PATH, LD_PRELOAD: fakeTimeLibrary(), FAKETIME: CLOCK_SHIFT, FAKETIME_DONT_FAKE_MONOTONIC: '1', CERTFLOW_CLOCK_SHIFT: CLOCK_SHIFT };
  status = runNodeTest(shifted, clock, `the date-sensitive files again, with the clock ${CLOCK_SHIFT} ahead (libfaketime)`) || status;
}
process.exit(status);
