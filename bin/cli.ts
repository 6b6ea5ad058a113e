#!/usr/bin/env node
/**
 * node-red-certificates: command-line helpers.
 *
 *   node-red-certificates setup-https [--user-dir DIR] [--name node-red] [--settings FILE]
 *
 * The user directory is --user-dir when given, else the current directory when it is one (it
 * has settings.js, or a package.json with Node-RED modules: `cd ~/.node-red && npx ...`), else
 * Node-RED's default (~/.node-red). The output names the directory, why, and the file changed.
 *
 * setup-https adds the settings.js helper to Node-RED's settings.js so Node-RED starts in
 * HTTPS with the certificate store: a backup first, nothing done twice, and a refusal (with
 * what to do instead) when `https` is already configured by hand.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants, existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { objectOf, textOf } from '../lib/guards';
import { writeFileAtomic } from '../lib/storage/atomic-file';
import { https as httpsSetting, resolveUserDir } from '../lib/serve/settings';
import { expandHome, validateStoreName } from '../lib/serve/store';

const PACKAGE_NAME = '@certflow/node-red-certificates';
const HELPER_MODULE = `${PACKAGE_NAME}/settings`;

/** Exit codes: 0 done or nothing to do, 1 could not, 2 refused (hand-made https, a read-only or symlinked settings.js). */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

interface SetupOptions {
  userDir: string;
  /** Why this userDir: "--user-dir", "the current directory", or Node-RED's default. */
  userDirSource?: string;
  name: string;
  settingsFile: string;
}

const USAGE = `Usage: node-red-certificates setup-https [--user-dir DIR] [--name NAME] [--settings FILE]

  Makes Node-RED serve HTTPS with certificates managed by ${PACKAGE_NAME}:
  adds the helper to settings.js (a backup is made first). Run it once, then restart Node-RED.

  --user-dir DIR   Node-RED's user directory (default: the current directory when it is
                   one - it has settings.js or a package.json with Node-RED modules -
                   else ~/.node-red)
  --name NAME      the certificate store to serve (default node-red, as in the certflow-https node)
  --settings FILE  the settings file, when it is not DIR/settings.js
`;

function parseArgs(argv: string[]): { command?: string; options: SetupOptions; help: boolean } {
  let command: string | undefined;
  let userDir: string | undefined;
  let name = 'node-red';
  let settingsFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new CliError(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    if (flag === '--user-dir' || flag === '--userDir' || flag === '-u') userDir = value();
    else if (flag === '--name') name = value();
    else if (flag === '--settings' || flag === '-s') settingsFile = value();
    else if (flag === '--help' || flag === '-h' || flag === 'help') help = true;
    else if (!flag.startsWith('-') && !command) command = flag;
    else throw new CliError(`unknown option "${arg}"\n\n${USAGE}`);
  }
  const chosen = chooseUserDir(userDir);
  return {
    command,
    help,
    options: {
      userDir: chosen.dir,
      userDirSource: chosen.source,
      name,
      settingsFile: path.resolve(expandHome(settingsFile ?? path.join(chosen.dir, 'settings.js'))),
    },
  };
}

/**
 * The userDir to edit: --user-dir, else the current directory when it is a Node-RED user
 * directory (the README says `cd ~/.node-red && npx ... setup-https`; a second Node-RED
 * instance has its own), else Node-RED's default.
 */
export function chooseUserDir(
  explicit: string | undefined,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): { dir: string; source: string } {
  if (explicit) return { dir: resolveUserDir(explicit, [], env), source: '--user-dir' };
  if (isNodeRedUserDir(cwd)) return { dir: path.resolve(cwd), source: 'the current directory' };
  const dir = resolveUserDir(undefined, [], env);
  return { dir, source: `Node-RED's default; the current directory ${cwd} has no settings.js or Node-RED modules` };
}

/** A folder Node-RED uses as its userDir: it has settings.js, or a package.json naming Node-RED modules. */
export function isNodeRedUserDir(dir: string): boolean {
  if (existsSync(path.join(dir, 'settings.js'))) return true;
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; dependencies?: Record<string, unknown> };
    if (pkg.name === 'node-red-project') return true;
    return Object.keys(pkg.dependencies ?? {}).some((name) => /(^|\/)node-red-/.test(name) || name.startsWith('@node-red/'));
  } catch {
    return false;
  }
}

/** Loads a settings file in a separate Node process (as Node-RED would) and reports what it sets. */
function probeSettings(settingsFile: string): Promise<{ https: string; certflowStore?: string; refreshInterval?: unknown }> {
  const script = `
    const s = require(process.argv[1]);
    const h = s.https;
    process.stdout.write(JSON.stringify({
      https: h === undefined || h === null || h === false ? 'none' : typeof h,
      certflowStore: h && h.certflow ? h.certflow.storeDir : undefined,
      refreshInterval: s.httpsRefreshInterval,
    }));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script, settingsFile], { cwd: path.dirname(settingsFile), timeout: 30000 }, (err, stdout, stderr) => {
      if (err)
        return reject(
          new CliError(`${settingsFile} does not load (${firstLine(stderr) || err.message}); fix it first, Node-RED could not start with it either`),
        );
      try {
        const probed = objectOf(JSON.parse(stdout));
        resolve({
          https: textOf(probed.https),
          certflowStore: typeof probed.certflowStore === 'string' ? probed.certflowStore : undefined,
          refreshInterval: probed.refreshInterval,
        });
      } catch {
        reject(new CliError(`${settingsFile} printed something unexpected while loading; cannot tell what it sets`));
      }
    });
  });
}

/** Where a top-level `https` entry is written (line number), ignoring comments. */
function httpsEntryLine(source: string): number | undefined {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
  const match = /^\s*(?:https|["']https["'])\s*(?::|\()/m.exec(code);
  return match ? code.slice(0, match.index + match[0].length).split('\n').length : undefined;
}

function snippet(options: SetupOptions, withRefresh: boolean, indent: string): string {
  const userDirExpr = path.dirname(options.settingsFile) === options.userDir ? '__dirname' : JSON.stringify(options.userDir);
  const lines = [
    `/** HTTPS with the certificate store of ${PACKAGE_NAME} (added by setup-https):`,
    ` * <userDir>/certificates/${options.name}/, filled by the certflow-https node; until then a`,
    ` * bootstrap certificate from the local CA in <userDir>/certificates/local-ca/ca.pem */`,
    `https: require('${HELPER_MODULE}').https({ name: '${options.name}', userDir: ${userDirExpr} }),`,
    ...(withRefresh ? ['httpsRefreshInterval: 1,'] : []),
  ];
  return lines.map((l) => indent + l).join('\n') + '\n';
}

export async function setupHttps(options: SetupOptions, out: (line: string) => void = console.log): Promise<number> {
  validateStoreName(options.name);
  const { settingsFile, userDir } = options;
  out(`Node-RED user directory: ${userDir}${options.userDirSource ? ` (${options.userDirSource})` : ''}`);
  const source = await fs.readFile(settingsFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new CliError(
        `${settingsFile} does not exist. Start Node-RED once with this user directory so it writes its settings.js, ` +
          'or point to it with --settings FILE (or --user-dir DIR).',
      );
    }
    throw new CliError(`cannot read ${settingsFile}: ${err.message}`);
  });

  const before = await probeSettings(settingsFile);
  if (source.includes(HELPER_MODULE)) {
    const current = before.certflowStore ? ` (serving ${before.certflowStore})` : '';
    out(`${settingsFile} already uses ${HELPER_MODULE}${current}: nothing to do.`);
    return EXIT.ok;
  }
  if (before.https !== 'none') {
    const line = httpsEntryLine(source);
    throw new CliError(
      `${settingsFile}${line ? ` line ${line}` : ''} already sets \`https\` by hand, so setup-https leaves it alone (it never overwrites your own HTTPS setup).\n` +
        'To let certflow manage the certificate, replace that entry with:\n\n' +
        snippet(options, before.refreshInterval === undefined, '    ') +
        '\nYour own TLS options (ciphers, minVersion, ca...) can stay: https({ name, options: { ... } }). Then restart Node-RED.',
      EXIT.refused,
    );
  }

  await refuseProtectedFile(settingsFile, options, before.refreshInterval === undefined);

  // Our package must be loadable from settings.js, or Node-RED would not start at all.
  try {
    // resolved from settings.js's place (require.resolve with `paths` would find this very package by self-reference)
    createRequire(settingsFile).resolve(HELPER_MODULE);
  } catch {
    throw new CliError(
      `${PACKAGE_NAME} is not installed where ${settingsFile} can load it. Install it first:\n\n    cd ${userDir} && npm install ${PACKAGE_NAME}\n`,
    );
  }

  const exportsLine = /^([ \t]*)module\.exports\s*=\s*\{[ \t]*$/m.exec(source);
  if (!exportsLine) {
    throw new CliError(
      `cannot find "module.exports = {" in ${settingsFile}, so it cannot be edited safely. Add these lines inside its settings object yourself:\n\n` +
        snippet(options, before.refreshInterval === undefined, '    '),
    );
  }
  // Right after the commented-out https examples of Node-RED's default file, else at the top.
  const anchor = /^[ \t]*\/\/\s*httpsRefreshInterval\s*:.*\n/m.exec(source);
  const at = anchor ? anchor.index + anchor[0].length : exportsLine.index + exportsLine[0].length + 1;
  const indent = anchor ? /^[ \t]*/.exec(anchor[0])![0] : `${exportsLine[1]}    `;
  const edited = `${source.slice(0, at)}\n${snippet(options, before.refreshInterval === undefined, indent)}${source.slice(at)}`;

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const backup = `${settingsFile}.before-certflow-${stamp}`;
  const { mode } = await fs.stat(settingsFile);
  await fs.copyFile(settingsFile, backup);
  await writeFileAtomic(settingsFile, edited, mode & 0o777);

  // Check the result the way Node-RED will load it; put the original back if it fails.
  const after = await probeSettings(settingsFile).catch((err: Error) => ({ error: err }));
  if ('error' in after || after.https !== 'function' || !after.certflowStore) {
    await writeFileAtomic(settingsFile, source, mode & 0o777);
    const reason = 'error' in after ? after.error.message : 'the https setting is not the certflow helper after the edit';
    throw new CliError(`the edited settings.js did not work (${reason}); the original is back in place.`);
  }
  out(`Edited ${settingsFile} (backup: ${backup}).`);
  out(`Node-RED will serve HTTPS with the store ${after.certflowStore}.`);
  if (before.refreshInterval !== undefined) {
    out(
      `httpsRefreshInterval stays ${textOf(before.refreshInterval)} h as you set it (the certflow-https node swaps new certificates in at once anyway).`,
    );
  }

  // Make the bootstrap certificate now, when this user is the one that owns the userDir (a
  // `sudo` run would leave files Node-RED cannot read); otherwise Node-RED makes it at start.
  const owner = await fs
    .stat(userDir)
    .then((s) => s.uid)
    .catch(() => undefined);
  if (typeof process.getuid === 'function' && owner === process.getuid()) {
    const fn = httpsSetting({ name: options.name, userDir, log: (level, message) => out(level === 'info' ? message : `warning: ${message}`) });
    await fn();
    out(`To trust it in a browser, import ${fn.certflow.localCaCert} as a certificate authority.`);
  }
  out('Restart Node-RED to switch to HTTPS (e.g. node-red-restart, or sudo systemctl restart nodered).');
  return EXIT.ok;
}

/**
 * The edit replaces settings.js by renaming a new file over it (so a crash never leaves half a
 * file). That would turn a symbolic link into a regular file (the file it points to keeps the
 * old settings) and would ignore a read-only mode, which is how users protect the file (root
 * may write anyway, so the mode bits are checked, not access()). Both are refused.
 */
async function refuseProtectedFile(settingsFile: string, options: SetupOptions, withRefresh: boolean): Promise<void> {
  const link = await fs.lstat(settingsFile);
  if (link.isSymbolicLink()) {
    const target = await fs.realpath(settingsFile);
    throw new CliError(
      `${settingsFile} is a symbolic link to ${target}, and setup-https would replace the link by a copy. Run it on the file itself:\n\n` +
        `    node-red-certificates setup-https --settings ${target}${path.dirname(target) === options.userDir ? '' : ` --user-dir ${options.userDir}`}\n`,
      EXIT.refused,
    );
  }
  const readOnly = (link.mode & 0o222) === 0;
  const notOurs =
    !readOnly &&
    typeof process.getuid === 'function' &&
    process.getuid() !== 0 &&
    !(await fs.access(settingsFile, fsConstants.W_OK).then(
      () => true,
      () => false,
    ));
  if (readOnly || notOurs) {
    const mode = (link.mode & 0o777).toString(8).padStart(4, '0');
    throw new CliError(
      `${settingsFile} is ${readOnly ? `read-only (mode ${mode})` : 'not writable by this user'}, so setup-https leaves it alone. ` +
        `Make it writable (chmod u+w ${settingsFile}) and run setup-https again, or add these lines inside its settings object yourself:\n\n` +
        snippet(options, withRefresh, '    '),
      EXIT.refused,
    );
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /Error|error/.test(l)) ?? ''
  ).slice(0, 200);
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { command, options, help } = parseArgs(argv);
    if (help || !command) {
      console.log(USAGE);
      return help ? EXIT.ok : EXIT.failed;
    }
    if (command !== 'setup-https') throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
    return await setupHttps(options);
  } catch (err) {
    console.error(`node-red-certificates: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof CliError ? err.exitCode : EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
