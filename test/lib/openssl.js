'use strict';
// The openssl CLI as the independent judge of what lib/ writes, plus temp dirs that clean up.
const { execFile } = require('node:child_process');
const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const INSTALL_HINT = 'openssl (the CLI) is missing: install it with `apt-get install -y openssl`';

/**
 * Runs openssl with args; resolves { code, stdout, stderr } (never rejects on a non-zero exit,
 * so a test can assert refusals too). `input` goes to stdin.
 */
function openssl(args, { input, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 30000 }, (err, stdout, stderr) => {
      if (err && err.code === 'ENOENT') return reject(new Error(INSTALL_HINT));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Like openssl() but throws with openssl's stderr when it exits non-zero. */
async function opensslOk(args, options) {
  const result = await openssl(args, options);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.code}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** A temp dir under os.tmpdir(); `write` returns the file's path; `cleanup` removes it all. */
async function tempDir(prefix = 'certflow-test-') {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return {
    dir,
    file: (name) => path.join(dir, name),
    write: async (name, data) => {
      const file = path.join(dir, name);
      await fs.writeFile(file, data);
      return file;
    },
    read: (name, encoding) => fs.readFile(path.join(dir, name), encoding),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

module.exports = { openssl, opensslOk, tempDir };
