'use strict';
// What `npm pack` puts in the tarball users install, checked against what they need:
// the built code (dist/lib, dist/nodes, dist/bin), examples, icons, locales, settings.js,
// README.md, LICENSE and package.json - and nothing else: no tests, benchmarks, TypeScript
// sources (type declarations .d.ts are fine), caches, or source maps (they point at .ts files
// the package does not ship, so they only add weight).
//
//   node scripts/pack-check.js      packs into a temp dir, prints the verdict, exit 1 on problems
//
// Used by test/package/pack.test.js and scripts/validate.js through packInto() / checkPackedFiles().
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^settings\.js$/,
  /^dist\/(lib|nodes|bin)\//,
  /^examples\/.+\.json$/,
  /^icons\/[^/]+\.(svg|png)$/,
  /^locales\/[^/]+\/[^/]+\.(json|html)$/,
  /^resources\/[^/]+\.js$/, // editor scripts Node-RED serves at resources/<module>/
];

const FORBIDDEN = [
  [/\.map$/, 'source map'],
  [/(?<!\.d)\.ts$/, 'TypeScript source'],
  [/(^|\/)test\//, 'test file'],
  [/^bench\//, 'benchmark'],
  [/(^|\/)\.cache\//, 'cache'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/\.tgz$/, 'tarball'],
  [/(^|\/)\.(node-red-dev|test-runs|screenshots)\//, 'local run output'],
];

/** Runs `npm pack --json` into destDir; returns { tarball, files: [paths], size, unpackedSize }. */
function packInto(destDir) {
  const result = spawnSync('npm', ['pack', '--json', '--pack-destination', destDir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
  if (result.status !== 0) throw new Error(`npm pack failed (${result.status}): ${result.stderr}`);
  const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
  return {
    tarball: path.join(destDir, info.filename),
    files: info.files.map((f) => f.path),
    size: info.size,
    unpackedSize: info.unpackedSize,
  };
}

/** Files a user's install needs, from package.json: main, bin, exports, each node's .js and .html. */
function requiredFiles(pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))) {
  const required = new Set(['package.json', 'README.md', 'LICENSE']);
  const add = (p) => {
    if (typeof p === 'string') required.add(path.posix.normalize(p.replace(/^\.\//, '')));
  };
  add(pkg.main);
  if (typeof pkg.bin === 'string') add(pkg.bin);
  else Object.values(pkg.bin || {}).forEach(add);
  for (const target of Object.values(pkg.exports || {})) add(typeof target === 'string' ? target : target && (target.require || target.default));
  for (const file of Object.values(pkg['node-red']?.nodes || {})) {
    add(file);
    add(file.replace(/\.js$/, '.html'));
  }
  for (const [dir, ext] of [
    ['examples', '.json'],
    ['resources', '.js'],
  ]) {
    if (!fs.existsSync(path.join(root, dir))) continue;
    for (const file of fs.readdirSync(path.join(root, dir))) if (file.endsWith(ext)) add(`${dir}/${file}`);
  }
  return [...required];
}

/** { unexpected: [{file, reason}], missing: [file] } for a packed file list. */
function checkPackedFiles(files) {
  const unexpected = [];
  for (const file of files) {
    const forbidden = FORBIDDEN.find(([re]) => re.test(file));
    if (forbidden) unexpected.push({ file, reason: forbidden[1] });
    else if (!ALLOWED.some((re) => re.test(file))) unexpected.push({ file, reason: 'not something a user needs' });
  }
  const packed = new Set(files);
  const missing = requiredFiles().filter((file) => !packed.has(file));
  return { unexpected, missing };
}

module.exports = { packInto, checkPackedFiles, requiredFiles, ALLOWED, FORBIDDEN };

if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-pack-'));
  try {
    const packed = packInto(dir);
    const { unexpected, missing } = checkPackedFiles(packed.files);
    console.log(
      `${path.basename(packed.tarball)}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked`,
    );
    for (const { file, reason } of unexpected) console.log(`  should not be packed (${reason}): ${file}`);
    for (const file of missing) console.log(`  missing: ${file}`);
    if (unexpected.length || missing.length) process.exitCode = 1;
    else console.log('  contents OK');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
