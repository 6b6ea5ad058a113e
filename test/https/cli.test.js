'use strict';
// `node-red-certificates setup-https` on copies of Node-RED 4.1's own default settings.js.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { tempDir } = require('./fixtures');

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'bin', 'cli.js');
const DEFAULT_SETTINGS = path.join(root, 'node_modules', 'node-red', 'settings.js');

function cli(...args) {
  return cliIn({}, ...args);
}

/** The CLI run from `cwd`, with HOME (where ~/.node-red is) set to `home`. */
function cliIn({ cwd, home }, ...args) {
  const env = { ...process.env };
  if (home) {
    env.HOME = home;
    delete env.NODE_RED_HOME;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000, cwd, env }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

/** A userDir with Node-RED's default settings.js and this package installed (linked) in it. */
function userDirWithDefaults(t, { install = true, edit } = {}) {
  const userDir = tempDir('certflow-cli-');
  t.after(() => fs.rmSync(userDir, { recursive: true, force: true }));
  let source = fs.readFileSync(DEFAULT_SETTINGS, 'utf8');
  if (edit) source = edit(source);
  fs.writeFileSync(path.join(userDir, 'settings.js'), source);
  if (install) {
    fs.mkdirSync(path.join(userDir, 'node_modules', '@certflow'), { recursive: true });
    fs.symlinkSync(root, path.join(userDir, 'node_modules', '@certflow', 'node-red-certificates'));
  }
  return userDir;
}

const backups = (userDir) => fs.readdirSync(userDir).filter((f) => f.startsWith('settings.js.before-certflow-'));

test('setup-https adds the helper to the default settings.js, with a backup, once', async (t) => {
  const userDir = userDirWithDefaults(t);
  const original = fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8');

  const first = await cli('setup-https', '--user-dir', userDir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Edited .*settings\.js \(backup: .*before-certflow-/);
  assert.match(first.stdout, /import .*certificates\/local-ca\/ca\.pem as a certificate authority/);
  assert.equal(backups(userDir).length, 1);
  assert.equal(fs.readFileSync(path.join(userDir, backups(userDir)[0]), 'utf8'), original);

  const edited = fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8');
  assert.match(
    edited,
    /https: require\('@certflow\/node-red-certificates\/settings'\)\.https\(\{ name: 'node-red', userDir: __dirname \}\),\n\s+httpsRefreshInterval: 1,/,
  );
  // Node-RED's view of it: https is our function, reading this userDir's store
  delete require.cache[path.join(userDir, 'settings.js')];
  const settings = require(path.join(userDir, 'settings.js'));
  assert.equal(typeof settings.https, 'function');
  assert.equal(settings.https.certflow.storeDir, path.join(fs.realpathSync(userDir), 'certificates', 'node-red'));
  assert.equal(settings.httpsRefreshInterval, 1);
  // the bootstrap certificate is ready for the first start
  assert.ok(fs.existsSync(path.join(userDir, 'certificates', 'node-red', 'privkey.pem')));

  const second = await cli('setup-https', '--user-dir', userDir);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /already uses @certflow\/node-red-certificates\/settings .*nothing to do/);
  assert.equal(fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8'), edited);
  assert.equal(backups(userDir).length, 1);
});

test('setup-https refuses to touch an https setting made by hand, and says what to write instead', async (t) => {
  const userDir = userDirWithDefaults(t, {
    edit: (s) => s.replace(/\/\/https: \{\n\s*\/\/\s*key: .*\n\s*\/\/\s*cert: .*\n\s*\/\/\},/, "https: { key: 'k', cert: 'c' },"),
  });
  const before = fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8');
  assert.match(before, /^\s*https: \{ key: 'k'/m);
  const result = await cli('setup-https', '--user-dir', userDir);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /settings\.js line \d+ already sets `https` by hand, so setup-https leaves it alone/);
  assert.match(result.stderr, /replace that entry with:\n\n.*\n.*\n.*\n\s+https: require\('@certflow\/node-red-certificates\/settings'\)/);
  assert.equal(fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8'), before);
  assert.deepEqual(backups(userDir), []);
});

test('setup-https keeps a httpsRefreshInterval the user set', async (t) => {
  const userDir = userDirWithDefaults(t, { edit: (s) => s.replace('//httpsRefreshInterval : 12,', 'httpsRefreshInterval : 12,') });
  const result = await cli('setup-https', `--user-dir=${userDir}`, '--name', 'editor');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /httpsRefreshInterval stays 12 h/);
  const edited = fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8');
  assert.equal((edited.match(/^\s*httpsRefreshInterval\s*:/gm) || []).length, 1);
  assert.match(edited, /https\(\{ name: 'editor', userDir: __dirname \}\)/);
});

test('setup-https explains what is missing: no settings.js, package not installed', async (t) => {
  const empty = tempDir('certflow-cli-');
  t.after(() => fs.rmSync(empty, { recursive: true, force: true }));
  const noSettings = await cli('setup-https', '--user-dir', empty);
  assert.equal(noSettings.code, 1);
  assert.match(noSettings.stderr, /settings\.js does not exist\. Start Node-RED once/);

  const userDir = userDirWithDefaults(t, { install: false });
  const before = fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8');
  const notInstalled = await cli('setup-https', '--user-dir', userDir);
  assert.equal(notInstalled.code, 1);
  assert.match(
    notInstalled.stderr,
    /is not installed where .* can load it\. Install it first:\n\n\s+cd .* && npm install @certflow\/node-red-certificates/,
  );
  assert.equal(fs.readFileSync(path.join(userDir, 'settings.js'), 'utf8'), before);

  const badName = await cli('setup-https', '--user-dir', userDir, '--name', '../etc');
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /not a valid store name/);
});

test('setup-https refuses a read-only settings.js, and says how to go on', async (t) => {
  const userDir = userDirWithDefaults(t);
  const file = path.join(userDir, 'settings.js');
  fs.chmodSync(file, 0o444);
  const before = fs.readFileSync(file, 'utf8');
  const result = await cli('setup-https', '--user-dir', userDir);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /settings\.js is read-only \(mode 0444\), so setup-https leaves it alone\. Make it writable \(chmod u\+w .*settings\.js\) and run setup-https again, or add these lines/,
  );
  assert.match(result.stderr, /https: require\('@certflow\/node-red-certificates\/settings'\)\.https\(/);
  // tests may run as root, who could write it anyway: the file, its mode and its inode are untouched
  assert.equal(fs.readFileSync(file, 'utf8'), before);
  assert.equal(fs.statSync(file).mode & 0o777, 0o444);
  assert.deepEqual(backups(userDir), []);
});

test('setup-https refuses to replace a symlinked settings.js by a file, and names the file to run it on', async (t) => {
  const userDir = userDirWithDefaults(t);
  const real = path.join(userDir, 'config', 'settings.js');
  fs.mkdirSync(path.dirname(real));
  fs.renameSync(path.join(userDir, 'settings.js'), real);
  fs.symlinkSync(real, path.join(userDir, 'settings.js'));
  const before = fs.readFileSync(real, 'utf8');
  const result = await cli('setup-https', '--user-dir', userDir);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /settings\.js is a symbolic link to .*config\/settings\.js, and setup-https would replace the link by a copy\. Run it on the file itself:/,
  );
  assert.match(result.stderr, /node-red-certificates setup-https --settings .*config\/settings\.js --user-dir /);
  assert.ok(fs.lstatSync(path.join(userDir, 'settings.js')).isSymbolicLink());
  assert.equal(fs.readFileSync(real, 'utf8'), before);
  assert.deepEqual(backups(userDir), []);
});

test('setup-https edits the userDir it is run in, else the one named, else ~/.node-red, and says which file', async (t) => {
  // a HOME whose ~/.node-red is a complete userDir too: it must be left alone unless chosen
  const home = tempDir('certflow-cli-home-');
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const homeUserDir = path.join(home, '.node-red');
  fs.mkdirSync(path.join(homeUserDir, 'node_modules', '@certflow'), { recursive: true });
  fs.copyFileSync(DEFAULT_SETTINGS, path.join(homeUserDir, 'settings.js'));
  fs.symlinkSync(root, path.join(homeUserDir, 'node_modules', '@certflow', 'node-red-certificates'));
  const homeSettings = fs.readFileSync(path.join(homeUserDir, 'settings.js'), 'utf8');

  // 1. run inside a second instance's userDir (settings.js there): that one is edited
  const second = userDirWithDefaults(t);
  const inSecond = await cliIn({ cwd: second, home }, 'setup-https');
  assert.equal(inSecond.code, 0, inSecond.stderr);
  assert.match(inSecond.stdout, new RegExp(`Node-RED user directory: ${escape(fs.realpathSync(second))} \\(the current directory\\)`));
  assert.match(inSecond.stdout, new RegExp(`Edited ${escape(fs.realpathSync(path.join(second, 'settings.js')))} \\(backup`));
  assert.match(fs.readFileSync(path.join(second, 'settings.js'), 'utf8'), /https\(\{ name: 'node-red', userDir: __dirname \}\)/);
  assert.equal(fs.readFileSync(path.join(homeUserDir, 'settings.js'), 'utf8'), homeSettings, '~/.node-red/settings.js must stay untouched');

  // 2. a userDir known by its package.json only (no settings.js yet): named as the one to start
  const packageOnly = tempDir('certflow-cli-pkg-');
  t.after(() => fs.rmSync(packageOnly, { recursive: true, force: true }));
  fs.writeFileSync(
    path.join(packageOnly, 'package.json'),
    JSON.stringify({ name: 'node-red-project', dependencies: { 'node-red-contrib-x': '1.0.0' } }),
  );
  const inPackageOnly = await cliIn({ cwd: packageOnly, home }, 'setup-https');
  assert.equal(inPackageOnly.code, 1);
  assert.match(inPackageOnly.stdout, /\(the current directory\)/);
  assert.match(inPackageOnly.stderr, new RegExp(`${escape(fs.realpathSync(packageOnly))}/settings\\.js does not exist`));
  assert.equal(fs.readFileSync(path.join(homeUserDir, 'settings.js'), 'utf8'), homeSettings);

  // 3. --user-dir names another one: it wins over the current directory
  const named = userDirWithDefaults(t);
  const third = userDirWithDefaults(t);
  const withFlag = await cliIn({ cwd: third, home }, 'setup-https', '--user-dir', named);
  assert.equal(withFlag.code, 0, withFlag.stderr);
  assert.match(withFlag.stdout, /\(--user-dir\)/);
  assert.match(withFlag.stdout, new RegExp(`Edited ${escape(path.join(named, 'settings.js'))} `));
  assert.deepEqual(backups(third), []);

  // 4. elsewhere (not a userDir): ~/.node-red, and the output says why
  const elsewhere = tempDir('certflow-cli-elsewhere-');
  t.after(() => fs.rmSync(elsewhere, { recursive: true, force: true }));
  const fromElsewhere = await cliIn({ cwd: elsewhere, home }, 'setup-https');
  assert.equal(fromElsewhere.code, 0, fromElsewhere.stderr);
  assert.match(
    fromElsewhere.stdout,
    new RegExp(
      `Node-RED user directory: ${escape(homeUserDir)} \\(Node-RED's default; the current directory .* has no settings\\.js or Node-RED modules\\)`,
    ),
  );
  assert.match(fromElsewhere.stdout, new RegExp(`Edited ${escape(path.join(homeUserDir, 'settings.js'))} `));
  assert.notEqual(fs.readFileSync(path.join(homeUserDir, 'settings.js'), 'utf8'), homeSettings);
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
