'use strict';
// Node-RED's flow-library scorecard (`node-red-dev validate`) for the package as it is packed.
//
//   node scripts/validate.js
//
// 1. Installs node-red-dev (pinned) into .cache/node-red-dev once, from the npm registry.
// 2. `npm pack`s this repo and unpacks the tarball, with its production dependencies
//    installed, into a temp dir: the scorecard judges what users get, not the work tree.
// 3. Runs node-red-dev's own three check stages (package, nodes, dependencies) - the same
//    functions its `validate` command calls - and prints every check with its result.
//
// Some checks need hosts this machine may not reach: P08 and N01 download the flow library
// catalogue from catalogue.nodered.org. When that host does not answer, those checks are run
// against an empty catalogue only so the stages can continue, and are reported NOT RUN - never
// counted as passed. Exit status: 1 if a check that could run failed, else 0.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packInto } = require('./pack-check');

const root = path.resolve(__dirname, '..');
const NODE_RED_DEV_VERSION = '0.1.6';
const toolDir = path.join(root, '.cache', 'node-red-dev');
const CATALOGUE = 'https://catalogue.nodered.org/catalogue.json';
const REGISTRY = 'https://registry.npmjs.org/';

const CHECKS = [
  ['P01', 'has a licence', []],
  ['P03', 'has a repository or bugs URL', []],
  ['P04', 'uses a scoped or valid name', []],
  ['P05', 'has "node-red" in keywords', []],
  ['P06', 'node-red.version matches a current Node-RED release', [REGISTRY]],
  ['P07', 'engines.node matches current Node-RED', [REGISTRY]],
  ['P08', 'no similarly named package in the flow library', [CATALOGUE]],
  ['N01', 'node type names unique in the flow library', [CATALOGUE]],
  ['N02', 'an example flow uses every node (config nodes excepted)', []],
  ['D01', 'at most 6 dependencies', []],
  ['D02', 'no known incompatible package in the dependency tree', [REGISTRY]],
  ['D03', 'dependencies at their latest versions', [REGISTRY]],
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    ...options,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...(options.env || {}) },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr || result.stdout}`);
  return result.stdout;
}

async function reachable(url) {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return response.status < 500;
  } catch {
    return false;
  }
}

function ensureNodeRedDev() {
  const installed = path.join(toolDir, 'node_modules', 'node-red-dev', 'package.json');
  if (fs.existsSync(installed) && JSON.parse(fs.readFileSync(installed, 'utf8')).version === NODE_RED_DEV_VERSION) return path.dirname(installed);
  console.log(`installing node-red-dev@${NODE_RED_DEV_VERSION} into ${path.relative(root, toolDir)}/ ...`);
  fs.mkdirSync(toolDir, { recursive: true });
  fs.writeFileSync(path.join(toolDir, 'package.json'), JSON.stringify({ name: 'node-red-dev-tool', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', `node-red-dev@${NODE_RED_DEV_VERSION}`], {
    cwd: toolDir,
  });
  return path.dirname(installed);
}

/** The packed package, unpacked with its production dependencies installed. */
function unpackedPackage(workDir) {
  const packed = packInto(workDir);
  run('tar', ['xzf', packed.tarball, '-C', workDir]);
  const dir = path.join(workDir, 'package');
  run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], { cwd: dir });
  return dir;
}

async function main() {
  const toolPackage = ensureNodeRedDev();
  const unreachable = [];
  for (const host of [CATALOGUE, REGISTRY]) if (!(await reachable(host))) unreachable.push(host);

  // node-red-dev's stages fetch with its own axios; when the catalogue is unreachable, answer
  // with an empty one (and report the checks that needed it as NOT RUN).
  const axios = require(require.resolve('axios', { paths: [toolPackage] }));
  const originalGet = axios.get.bind(axios);
  axios.get = (url, ...rest) =>
    unreachable.includes(url) && url === CATALOGUE ? Promise.resolve({ data: { modules: [] } }) : originalGet(url, ...rest);

  const lib = (name) => require(path.join(toolPackage, 'src', 'libs', name));
  const stages = [
    ['package', lib('checkpackage')],
    ['nodes', lib('checknodes')],
    ['dependencies', lib('checkdeps')],
  ];

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-validate-'));
  const messages = [];
  const scorecard = {};
  const aborted = [];
  try {
    const dir = unpackedPackage(workDir);
    const cli = {
      log: (m) => messages.push({ level: 'log', text: String(m) }),
      warn: (m) => messages.push({ level: 'warn', text: String(m) }),
      error: (e) => {
        throw e instanceof Error ? e : new Error(String(e));
      },
    };
    for (const [name, stage] of stages) {
      try {
        await stage(dir, cli, scorecard, false);
      } catch (err) {
        aborted.push(`${name}: ${err.message}`);
        messages.push({ level: 'error', text: `${name} stage stopped: ${err.message}` });
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  console.log(`node-red-dev ${NODE_RED_DEV_VERSION} validate, on the packed package:`);
  const standIn = unreachable.includes(CATALOGUE) ? /No similar named packages found|Nodes all have unique names/ : null;
  for (const { level, text } of messages) {
    const note = standIn && standIn.test(text) ? '   [not checked: empty stand-in catalogue]' : '';
    console.log(`  ${level === 'log' ? '  ' : level === 'warn' ? '! ' : 'x '}${text}${note}`);
  }
  console.log('');
  const summary = { PASS: [], FAIL: [], 'NOT RUN': [] };
  for (const [code, what, needs] of CHECKS) {
    const missingHosts = needs.filter((host) => unreachable.includes(host));
    const card = scorecard[code];
    // Judge by the scorecard and by the tool's own warnings (0.1.6 records P05 as passed even
    // when it warns that the keyword is missing).
    const warned = messages.some((m) => m.level === 'warn' && m.text.startsWith(code));
    let verdict;
    if (missingHosts.length) verdict = 'NOT RUN';
    else if (!card || card.test === false || warned) verdict = 'FAIL';
    else verdict = 'PASS';
    summary[verdict].push(code);
    const detail = missingHosts.length
      ? ` (needs ${missingHosts.map((h) => new URL(h).host).join(', ')}, not reachable from here)`
      : !card
        ? ' (the check did not complete)'
        : '';
    console.log(`${verdict.padEnd(7)} ${code} ${what}${detail}`);
  }
  console.log(
    `\npassed: ${summary.PASS.join(' ') || '-'}   failed: ${summary.FAIL.join(' ') || '-'}   not run: ${summary['NOT RUN'].join(' ') || '-'}`,
  );
  return summary.FAIL.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.stack || err);
    process.exit(2);
  },
);
