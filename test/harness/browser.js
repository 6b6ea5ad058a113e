'use strict';
// Headless Chromium driven by playwright-core. Never downloads a browser at run time. It uses,
// in this order:
//   1. CHROMIUM_PATH, when set and the file exists (set to a path that does not exist, it
//      "hides" the system browser: CHROMIUM_PATH=/nonexistent npm test runs on 3.),
//   2. /usr/bin/chromium (apt-get install chromium),
//   3. the headless Chromium shipped inside the npm package @sparticuz/chromium (a
//      devDependency), unpacked once per version into the temp dir.
// Each launch gets a fresh profile in a temp dir, and every request that does not go to
// loopback is blocked, so a test can never depend on the internet.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const NPM_CHROMIUM = '@sparticuz/chromium';
const UNPACK_TIMEOUT_MS = 120000;
/** How long a wait for something the editor shows may take before the test fails: long, because a loaded machine slows Chromium a lot (the wait ends at the event). */
const UI_WAIT_MS = 30000;

/**
 * Unpacks @sparticuz/chromium's brotli-compressed headless shell (once per package version,
 * shared by parallel test processes) and returns the binary's path. The package unpacks into
 * os.tmpdir() (its documented "/tmp" target): we point TMPDIR at a folder of our own while it
 * runs, so a half-written binary from a parallel process or another version is never used.
 */
async function unpackNpmChromium() {
  let entry;
  try {
    entry = require.resolve(NPM_CHROMIUM);
  } catch {
    throw new Error(
      `no Chromium for the editor tests: neither ${CHROMIUM} nor the devDependency ${NPM_CHROMIUM} is installed (run npm install, or apt-get install chromium)`,
    );
  }
  // Its "exports" hides package.json: walk up from the entry point to read the version.
  let version;
  for (let at = path.dirname(entry); !version && at !== path.dirname(at); at = path.dirname(at)) {
    const manifest = path.join(at, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (pkg.name === NPM_CHROMIUM) version = pkg.version;
  }
  if (!version) throw new Error(`cannot find the version of ${NPM_CHROMIUM} (entry point ${entry})`);
  const dir = path.join(os.tmpdir(), `certflow-sparticuz-chromium-${version}`);
  const complete = path.join(dir, '.complete');
  const binary = path.join(dir, 'chromium');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + UNPACK_TIMEOUT_MS;
  while (!fs.existsSync(complete)) {
    if (Date.now() > deadline)
      throw new Error(`waited ${UNPACK_TIMEOUT_MS} ms for another process to unpack ${NPM_CHROMIUM} (remove ${lock} if no test runs)`);
    try {
      fs.mkdirSync(lock);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // Another process unpacks; a lock older than the timeout is left over from a crash.
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > UNPACK_TIMEOUT_MS) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const savedTmpdir = process.env.TMPDIR;
    try {
      if (fs.existsSync(complete)) break;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const { default: npmChromium } = await import(NPM_CHROMIUM);
      process.env.TMPDIR = dir;
      const unpacked = await npmChromium.executablePath();
      if (path.resolve(unpacked) !== binary) throw new Error(`${NPM_CHROMIUM} unpacked to ${unpacked}, expected ${binary}`);
      // Its fonts.conf names /tmp/fonts; ours adds the system fonts plus the shipped Open Sans.
      fs.writeFileSync(
        path.join(dir, 'fonts.conf'),
        [
          '<?xml version="1.0"?>',
          '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
          '<fontconfig>',
          '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
          `  <dir>${path.join(dir, 'fonts')}</dir>`,
          `  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>`,
          '</fontconfig>',
          '',
        ].join('\n'),
      );
      fs.writeFileSync(complete, `${version}\n`);
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return { executablePath: binary, env: { FONTCONFIG_FILE: path.join(dir, 'fonts.conf') }, version };
}

/**
 * Which Chromium the editor tests use: { executablePath, source, env }. See the top of this file.
 */
async function chooseBrowser(env = process.env) {
  const wanted = env.CHROMIUM_PATH;
  if (wanted && fs.existsSync(wanted)) return { executablePath: wanted, source: `CHROMIUM_PATH=${wanted}`, env: {} };
  if (!wanted && fs.existsSync(CHROMIUM)) return { executablePath: CHROMIUM, source: CHROMIUM, env: {} };
  const npm = await unpackNpmChromium();
  return { executablePath: npm.executablePath, source: `${NPM_CHROMIUM} ${npm.version}`, env: npm.env };
}

// One stderr line per test run (not per test file) saying which browser ran: the test
// files of one run share a parent process, so the first file to launch writes a marker.
let announced = false;
async function announceBrowser(context, page, choice) {
  if (announced) return;
  announced = true;
  let version = '';
  try {
    const session = await context.newCDPSession(page);
    const { product } = await session.send('Browser.getVersion');
    await session.detach();
    version = ' ' + product.replace(/^Headless/, '').replace(/^Chrome\//, '');
  } catch {
    /* the line still names the source */
  }
  const markerDir = path.join(os.tmpdir(), 'certflow-browser-announced');
  try {
    fs.mkdirSync(markerDir, { recursive: true });
    const parentStart = (fs.readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1] || '').split(' ')[19] || '0';
    for (const name of fs.readdirSync(markerDir)) {
      const pid = Number(name.split('-')[0]);
      try {
        process.kill(pid, 0);
      } catch {
        fs.rmSync(path.join(markerDir, name), { force: true });
      }
    }
    fs.writeFileSync(path.join(markerDir, `${process.ppid}-${parentStart}`), choice.source, { flag: 'wx' });
  } catch (err) {
    if (err.code === 'EEXIST') return; // another file of this run said it already
  }
  process.stderr.write(`editor tests: Chromium${version} from ${choice.source} (${choice.executablePath})\n`);
}

function isLoopback(url) {
  try {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

/**
 * Launches Chromium. Returns { context, page, blockedRequests, consoleErrors, pageErrors, close() }.
 * viewport defaults to 1400x900 so that palette, workspace and sidebar are all visible;
 * deviceScaleFactor 2 gives sharper screenshots. Every wait may take up to UI_WAIT_MS.
 */
async function launchBrowser({ viewport = { width: 1400, height: 900 }, deviceScaleFactor = 1 } = {}) {
  const choice = await chooseBrowser();
  const { chromium } = require('playwright-core');
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-chromium-'));
  let context;
  try {
    // launchPersistentContext is how playwright takes --user-data-dir (it refuses the flag in args).
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: choice.executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, ...choice.env },
      viewport,
      deviceScaleFactor,
      timeout: 30000,
    });
  } catch (err) {
    fs.rmSync(profileDir, { recursive: true, force: true });
    err.message = `launching Chromium from ${choice.source} (${choice.executablePath}) failed: ${err.message}`;
    throw err;
  }
  const blockedRequests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blockedRequests.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(UI_WAIT_MS); // every wait, click and locator: it ends at the event
  await announceBrowser(context, page, choice);
  const consoleErrors = [];
  const pageErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(String(error && error.stack ? error.stack : error)));

  return {
    context,
    page,
    blockedRequests,
    consoleErrors,
    pageErrors,
    async close() {
      try {
        await context.close();
      } finally {
        fs.rmSync(profileDir, { recursive: true, force: true });
      }
    },
  };
}

const screenshotsRoot = path.resolve(__dirname, '..', '..', '.screenshots');
function screenshotPath(...parts) {
  const file = path.join(screenshotsRoot, ...parts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Node-RED 4.1 editor moves, with the editor's own element ids (see
// node_modules/@node-red/editor-client/public/red/red.js).
// ---------------------------------------------------------------------------------------------
const SEL = {
  paletteSearch: '#red-ui-palette-search input',
  paletteNode: (type) => `.red-ui-palette-node[data-palette-type="${type}"]`,
  chart: '#red-ui-workspace-chart',
  flowNode: (id) => `g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`,
  deploy: '#red-ui-header-button-deploy',
  done: '#node-dialog-ok',
  cancel: '#node-dialog-cancel',
  configDone: '#node-config-dialog-ok',
  helpTab: '#red-ui-tab-help-link-button',
  debugTab: '#red-ui-tab-debug-link-button',
  helpSection: '.red-ui-sidebar-help-stack',
  sideMenu: '#red-ui-header-button-sidemenu',
  importOk: '#red-ui-clipboard-dialog-ok',
  notification: '.red-ui-notification',
};

/**
 * Loads the editor and waits until it has loaded the palette and the flows and its comms link to
 * the runtime is up (so a debug message sent next reaches the sidebar). Then checks that
 * every type in `types` is registered in the editor, failing with the reason if not.
 */
async function openEditor(page, url, types = [], timeout = UI_WAIT_MS) {
  const connected = commsConnected(page, timeout);
  connected.catch(() => {}); // awaited below; a failed goto must not leave it unhandled
  await page.goto(url + '/', { waitUntil: 'domcontentloaded', timeout });
  await page.waitForFunction(
    () => {
      const RED = window.RED;
      if (!RED || !RED.nodes || !RED.workspaces || !RED.workspaces.active()) return false;
      if (!document.querySelector('#red-ui-palette-search:not(.hide)')) return false;
      const spinner = document.querySelector('#red-ui-palette > .red-ui-palette-spinner');
      return !spinner || spinner.offsetParent === null;
    },
    null,
    { timeout },
  );
  await page.locator(SEL.chart).waitFor({ state: 'visible', timeout });
  await connected;
  const missing = await page.evaluate((wanted) => wanted.filter((type) => !RED.nodes.getType(type)), types);
  if (missing.length)
    throw new Error(`the editor has no definition for ${missing.join(', ')} (check the node's .html: RED.nodes.registerType and script errors)`);
}

/**
 * Resolves once the page's comms websocket has received its first frame from the runtime (the
 * retained deploy notice, or the auth answer): the runtime then counts the page among its
 * connections. What it publishes before, such as a debug message, is not retained and never
 * reaches the page, so a test that injects sooner can miss its message.
 */
function commsConnected(page, timeout) {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      page.off('websocket', onSocket);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the editor's comms websocket received nothing from the runtime within ${timeout} ms`));
    }, timeout);
    function onSocket(ws) {
      if (!/\/comms$/.test(ws.url())) return;
      ws.once('framereceived', () => {
        stop();
        resolve();
      });
    }
    page.on('websocket', onSocket);
  });
}

/** Node types the editor knows (registered by their .html). */
async function editorTypes(page) {
  return page.evaluate(() => RED.nodes.registry.getNodeTypes());
}

/** Texts of the notifications currently shown, with their kind (error, warning, success...). */
async function notifications(page) {
  return page.$$eval(SEL.notification, (elements) =>
    elements
      .filter((el) => !el.closed)
      .map((el) => ({
        kind: (el.className.match(/red-ui-notification-(\w+)/) || [])[1] || 'info',
        text: el.innerText.trim(),
      })),
  );
}

/** Closes every notification, so the next step's assertions see only its own. */
async function dismissNotifications(page) {
  // Through the editor's own close() (removing the element by hand breaks its slide-up).
  await page.evaluate(() => {
    document.querySelectorAll('.red-ui-notification').forEach((el) => {
      if (typeof el.close === 'function') el.close();
    });
  });
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-notification').length === 0, null, { timeout: 3000 }).catch(() => {});
}

/** Types `text` into the palette filter and returns the palette types left visible. */
async function searchPalette(page, text) {
  const input = page.locator(SEL.paletteSearch);
  await input.click();
  await input.fill('');
  await input.pressSequentially(text, { delay: 10 });
  // The filter runs on keyup after a short debounce; wait until it has applied.
  await page.waitForFunction(
    (value) => {
      const nodes = [...document.querySelectorAll('#red-ui-palette-container .red-ui-palette-node')];
      const re = new RegExp(value.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&'), 'i');
      return nodes.every((el) => {
        const matches = re.test(el.getAttribute('data-palette-type')) || re.test(el.getAttribute('data-palette-label') || '');
        return matches === (el.getAttribute('data-filter') !== 'true');
      });
    },
    text,
    { timeout: UI_WAIT_MS },
  );
  // Categories slide open (jQuery's slideDown, started by the filter): read what is visible once none is moving.
  await page.waitForFunction(() => window.$('#red-ui-palette-container :animated').length === 0);
  return page.$$eval('#red-ui-palette-container .red-ui-palette-node', (elements) =>
    elements.filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height > 0).map((el) => el.getAttribute('data-palette-type')),
  );
}

async function clearPaletteSearch(page) {
  const input = page.locator(SEL.paletteSearch);
  await input.fill('');
  await input.press('Escape');
}

/** An element's bounding box once it has stopped moving (animations finished). */
async function stableBox(page, selector, timeout = 3000) {
  const locator = page.locator(selector);
  await locator.waitFor({ state: 'visible', timeout });
  let last = await locator.boundingBox();
  for (const deadline = Date.now() + timeout; Date.now() < deadline;) {
    await page.waitForTimeout(120);
    const box = await locator.boundingBox();
    if (box && last && box.x === last.x && box.y === last.y && box.width === last.width && box.height === last.height) return box;
    last = box;
  }
  return last;
}

/**
 * Drags a palette node onto the workspace at (x, y) relative to the chart, with real mouse
 * moves (jQuery UI draggable needs intermediate moves). Returns the new node's id.
 */
async function dragToWorkspace(page, type, { x = 250, y = 150 } = {}) {
  const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t, z: RED.workspaces.active() }).map((n) => n.id), type);
  const added = () =>
    page.evaluate(
      ({ t, known }) => {
        const node = RED.nodes.filterNodes({ type: t, z: RED.workspaces.active() }).find((n) => !known.includes(n.id));
        return node ? node.id : null;
      },
      { t: type, known: before },
    );
  let id = null;
  // Palette categories slide open and closed after a search: drag from where the node rests,
  // and try once more if the first drop landed while something was still moving.
  for (let attempt = 0; attempt < 2 && !id; attempt++) {
    const source = await stableBox(page, SEL.paletteNode(type));
    const chart = await page.locator(SEL.chart).boundingBox();
    if (!source || !chart) throw new Error(`palette node ${type} or the workspace is not visible`);
    await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
    await page.mouse.down();
    await page.mouse.move(source.x + source.width / 2 + 10, source.y + source.height / 2 + 5, { steps: 3 });
    await page.mouse.move(chart.x + x, chart.y + y, { steps: 15 });
    await page.mouse.up();
    for (const deadline = Date.now() + 3000; !id && Date.now() < deadline;) {
      id = await added();
      if (!id) await page.waitForTimeout(100);
    }
  }
  if (!id) throw new Error(`dragging ${type} from the palette onto the workspace added no node`);
  await page.locator(SEL.flowNode(id)).waitFor({ state: 'visible', timeout: UI_WAIT_MS });
  return id;
}

/**
 * Waits until the editor's trays (node and config dialogs) have stopped sliding: the top one is
 * in place and no tray has a CSS transition running (the Web Animations API lists those).
 */
async function traysSettled(page) {
  await page.waitForFunction(() => {
    const trays = [...document.querySelectorAll('.red-ui-tray')];
    if (trays.some((tray) => tray.getAnimations().length > 0)) return false;
    return trays.length === 0 || getComputedStyle(trays[trays.length - 1]).right === '0px';
  });
}

/** Double-clicks a node on the workspace and waits for its edit dialog (the tray) to be in place. */
async function openNodeDialog(page, id) {
  await page.locator(SEL.flowNode(id)).dblclick();
  await page.locator(SEL.done).waitFor({ state: 'visible', timeout: UI_WAIT_MS });
  await traysSettled(page); // it slides in after oneditprepare has run
}

async function clickDone(page) {
  await page.locator(SEL.done).click();
  await page.locator(SEL.done).waitFor({ state: 'detached', timeout: UI_WAIT_MS });
}

/**
 * Clicks Deploy and waits for the outcome. Returns { ok, notifications }: ok only when the
 * editor reported "Successfully deployed" and showed no error or confirm dialog.
 */
async function deploy(page, timeout = UI_WAIT_MS) {
  await dismissNotifications(page);
  // The button is greyed while there is nothing to deploy (or nodes still hang on the mouse).
  await page
    .waitForFunction((sel) => !document.querySelector(sel).classList.contains('disabled'), SEL.deploy, { timeout: UI_WAIT_MS })
    .catch(() => {
      throw new Error('the Deploy button stays disabled: the editor sees nothing to deploy');
    });
  await page.locator(SEL.deploy).click();
  const deadline = Date.now() + timeout;
  let seen = [];
  while (Date.now() < deadline) {
    seen = await notifications(page);
    if (seen.some((n) => n.kind === 'success' && /Successfully deployed/i.test(n.text))) {
      return { ok: !seen.some((n) => n.kind === 'error'), notifications: seen };
    }
    // A confirm (unknown / invalid nodes) or a failure: report instead of clicking through.
    if (seen.some((n) => n.kind === 'error' || /not properly configured|unknown|Deploy failed|Confirm deploy/i.test(n.text))) {
      return { ok: false, notifications: seen };
    }
    await page.waitForTimeout(100);
  }
  return { ok: false, notifications: seen, timedOut: true };
}

/** Selects a node on the workspace and opens the help sidebar; returns the help text shown. */
async function showHelpFor(page, id, expectedTitle) {
  await page.locator(SEL.helpTab).click();
  await page.locator(SEL.flowNode(id)).click();
  const help = page.locator(`${SEL.helpSection} .red-ui-help`).first();
  await help.waitFor({ state: 'visible', timeout: UI_WAIT_MS });
  if (expectedTitle) {
    await page.locator(`${SEL.helpSection} .red-ui-help-title`, { hasText: expectedTitle }).first().waitFor({ timeout: UI_WAIT_MS });
  }
  return {
    title: await page
      .locator(`${SEL.helpSection} .red-ui-help-title`)
      .first()
      .innerText()
      .catch(() => ''),
    text: await help.innerText(),
  };
}

// Values a user might type by mistake, and plausible good values, tried in order. The first
// bad value that makes the editor mark the field (class input-error) proves the field is
// checked as you type; a good value then has to clear the mark.
const BAD_VALUES = ['exa mple.com', '', 'not valid!', '-1', '0', '99999999', 'http//bad url', 'a@'];
const BAD_NUMBERS = ['-1', '0', '99999999', '1.5', ''];
const GOOD_VALUES = ['admin@example.com', 'example.com', 'https://acme.example.com/directory', '30', '1', 'x'];

/**
 * The validated text fields visible in the open dialog: properties of `type` (defaults and
 * credentials) that are required or have a validate function, shown as a plain input, a
 * textarea or a TypedInput in text mode. prefix: 'node-input' or 'node-config-input'.
 */
async function validatedFields(page, type, prefix) {
  return page.evaluate(
    ({ type, prefix }) => {
      const def = RED.nodes.getType(type);
      const props = { ...(def.defaults || {}), ...(def.credentials || {}) };
      const fields = [];
      for (const [prop, spec] of Object.entries(props)) {
        if (!spec || !(spec.required || typeof spec.validate === 'function')) continue;
        if (spec.type && RED.nodes.getType(spec.type)) continue; // a config node select
        const el = document.getElementById(`${prefix}-${prop}`);
        if (!el) continue;
        const container =
          el.nextElementSibling && el.nextElementSibling.classList.contains('red-ui-typedInput-container') ? el.nextElementSibling : null;
        let selector = null;
        let inputType = el.getAttribute('type') || el.tagName.toLowerCase();
        if (container) {
          const inner = container.querySelector('input.red-ui-typedInput-input');
          if (inner && inner.offsetParent !== null) selector = `#${prefix}-${prop} + .red-ui-typedInput-container input.red-ui-typedInput-input`;
          inputType = inner ? inner.getAttribute('type') || 'text' : inputType;
        } else if (
          el.offsetParent !== null &&
          (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && /^(text|number|password|email|url|search|)$/.test(el.getAttribute('type') || '')))
        ) {
          selector = `#${prefix}-${prop}`;
        }
        if (!selector) continue;
        fields.push({ prop, selector, inputType, typed: !!container, original: el.value, required: !!spec.required });
      }
      return fields;
    },
    { type, prefix },
  );
}

async function fieldIsMarkedInvalid(page, prefix, prop) {
  return page.evaluate(
    ({ id }) => {
      const el = document.getElementById(id);
      if (!el) return false;
      const container =
        el.nextElementSibling && el.nextElementSibling.classList.contains('red-ui-typedInput-container') ? el.nextElementSibling : null;
      return el.classList.contains('input-error') || !!(container && container.classList.contains('input-error'));
    },
    { id: `${prefix}-${prop}` },
  );
}

/** Types `value` into a field the way a user does (keyup + change drive the editor's check). */
async function typeInto(page, selector, value) {
  const input = page.locator(selector);
  await input.fill(value);
  await input.press('End');
  await input.dispatchEvent('change');
  await page.waitForTimeout(60);
}

/**
 * For each validated field in the open dialog: finds a bad value the editor flags with
 * input-error, then leaves a good value that clears it. Returns
 * [{ prop, rejected: value|null, restored: value|null }].
 */
async function probeValidatedFields(page, type, prefix) {
  const results = [];
  for (const field of await validatedFields(page, type, prefix)) {
    const badValues = field.inputType === 'number' ? BAD_NUMBERS : BAD_VALUES;
    let rejected = null;
    for (const bad of badValues) {
      if (bad === field.original) continue;
      await typeInto(page, field.selector, bad);
      if (await fieldIsMarkedInvalid(page, prefix, field.prop)) {
        rejected = bad;
        break;
      }
    }
    let restored = null;
    for (const good of [field.original, ...GOOD_VALUES]) {
      if (field.inputType === 'number' && good !== '' && Number.isNaN(Number(good))) continue;
      await typeInto(page, field.selector, good);
      if (!(await fieldIsMarkedInvalid(page, prefix, field.prop))) {
        restored = good;
        break;
      }
    }
    results.push({ prop: field.prop, rejected, restored });
  }
  return results;
}

/** Config-node selects in the open dialog that have no config node chosen yet. */
async function emptyConfigSelects(page, type, prefix) {
  return page.evaluate(
    ({ type, prefix }) => {
      const def = RED.nodes.getType(type);
      const out = [];
      for (const [prop, spec] of Object.entries(def.defaults || {})) {
        const configDef = spec && spec.type && RED.nodes.getType(spec.type);
        if (!configDef || configDef.category !== 'config') continue;
        const select = document.getElementById(`${prefix}-${prop}`);
        if (!select || select.offsetParent === null) continue;
        if (!select.value || select.value === '_ADD_') out.push({ prop, configType: spec.type, required: spec.required !== false });
      }
      return out;
    },
    { type, prefix },
  );
}

/** The title of the topmost edit tray (e.g. "Add new ACME account config node"). */
async function trayTitle(page) {
  return page.evaluate(() => {
    const titles = [...document.querySelectorAll('.red-ui-tray .red-ui-tray-titlebar')];
    if (!titles.length) return null;
    // A nested dialog's title bar is a breadcrumb trail ("Edit X node" > "Add new Y config node").
    const crumbs = titles[titles.length - 1].querySelectorAll('li');
    return (crumbs.length ? crumbs[crumbs.length - 1] : titles[titles.length - 1]).textContent.trim();
  });
}

/**
 * In the open node dialog, clicks the "+" beside a config-node select, probes the config
 * dialog's validated fields, fills what `fill` says ({ fieldId: value | true for a checkbox }),
 * and clicks Add. Returns the probe results of the config dialog; `onOpen(page)` runs first,
 * while the dialog is fresh (e.g. to read its title).
 */
async function addConfigNode(page, { prefix, prop, configType, fill = {}, onOpen }) {
  await page.locator(`#${prefix}-btn-${prop}-add`).click();
  await page.locator(SEL.configDone).waitFor({ state: 'visible', timeout: UI_WAIT_MS });
  await traysSettled(page);
  if (onOpen) await onOpen(page);
  for (const [id, value] of Object.entries(fill)) {
    if (value === true || value === false) await page.locator(`#${id}`).setChecked(value);
    else await typeInto(page, `#${id}`, value);
  }
  const probe = await probeValidatedFields(page, configType, 'node-config-input');
  await page.locator(SEL.configDone).click();
  await page.locator(SEL.configDone).waitFor({ state: 'detached', timeout: UI_WAIT_MS });
  await traysSettled(page); // the node dialog slides back
  return probe;
}

/** The editor's own verdict on a node: valid, and which properties it finds wrong. */
async function nodeValidity(page, id) {
  return page.evaluate((nodeId) => {
    const node = RED.nodes.node(nodeId);
    if (!node) return { exists: false };
    RED.editor.validateNode(node);
    return { exists: true, valid: node.valid, errors: node.validationErrors || [] };
  }, id);
}

/**
 * Finds a node type's help the way a user does without a node at hand (config nodes): the
 * help tab's search box, then the entry in its table of contents.
 */
async function showHelpByType(page, type) {
  await page.locator(SEL.helpTab).click();
  const search = page.locator('#red-ui-sidebar-content input[placeholder="Search help"]');
  await search.fill(type);
  await search.press('End');
  const label = await page.evaluate((t) => {
    const def = RED.nodes.getType(t);
    let text = def && def.paletteLabel;
    if (typeof text === 'function') {
      try {
        text = text.call(def);
      } catch {
        text = null;
      }
    }
    return text || t;
  }, type);
  const entry = page
    .locator('#red-ui-sidebar-content .red-ui-treeList-label', { has: page.locator('.red-ui-node-label', { hasText: label }) })
    .first();
  await entry.waitFor({ state: 'visible', timeout: UI_WAIT_MS });
  await selectTreeRow(entry, `"${label}" in the help tree`);
  await page.locator(`${SEL.helpSection} .red-ui-help-title`, { hasText: label }).first().waitFor({ timeout: UI_WAIT_MS });
  return {
    title: await page.locator(`${SEL.helpSection} .red-ui-help-title`).first().innerText(),
    text: await page.locator(`${SEL.helpSection} .red-ui-help`).first().innerText(),
  };
}

/**
 * Clicks a row of one of the editor's tree lists (the help tree, Import > Examples) until it
 * shows it is selected: a click that lands while the tree redraws (a search filtering it, a
 * folder opening) hits a row that is then replaced, and selects nothing.
 */
async function selectTreeRow(row, what) {
  for (let attempt = 1; ; attempt++) {
    await row.click();
    if (await row.evaluate((label) => label.classList.contains('selected'))) return;
    if (attempt >= 4) throw new Error(`${what} stayed unselected after ${attempt} clicks`);
  }
}

/** Removes every flow through the admin API and reloads the editor: a clean workspace. */
async function resetFlows(page, nodeRed, types) {
  await nodeRed.adminPost('/flows', { flows: [{ id: 'c0ffee0000000001', type: 'tab', label: 'Flow 1' }] });
  await openEditor(page, nodeRed.url, types);
}

/** Runs `work`; when it fails, leaves a picture of the page in .screenshots/failures/<file> and fails on. */
async function screenshotOnFailure(page, file, work) {
  try {
    return await work();
  } catch (err) {
    await page.screenshot({ path: screenshotPath('failures', file) }).catch(() => {});
    throw err;
  }
}

/** Stops what a suite started, in order, skipping what never started: a browser, Node-RED, Pebble, a fake API... */
async function closeAll(...services) {
  for (const service of services) {
    if (service) await (typeof service.close === 'function' ? service.close() : service.stop());
  }
}

/** A node type's en-US message catalogue (locales/en-US/<type>.json), what the dialogs show. */
function catalogue(type) {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'locales', 'en-US', `${type}.json`), 'utf8'))[type];
}

/** Removes a suite's old failure pictures, so .screenshots/failures shows only this run's. */
function clearFailureScreenshots(matches) {
  const dir = path.join(screenshotsRoot, 'failures');
  if (!fs.existsSync(dir)) return;
  for (const file of fs.readdirSync(dir)) if (matches(file)) fs.rmSync(path.join(dir, file), { force: true });
}

module.exports = {
  launchBrowser,
  chooseBrowser,
  screenshotPath,
  clearFailureScreenshots,
  closeAll,
  catalogue,
  screenshotOnFailure,
  CHROMIUM,
  CHROMIUM_ARGS,
  SEL,
  openEditor,
  editorTypes,
  notifications,
  dismissNotifications,
  searchPalette,
  clearPaletteSearch,
  dragToWorkspace,
  openNodeDialog,
  traysSettled,
  selectTreeRow,
  clickDone,
  deploy,
  showHelpFor,
  showHelpByType,
  resetFlows,
  validatedFields,
  fieldIsMarkedInvalid,
  typeInto,
  probeValidatedFields,
  emptyConfigSelects,
  addConfigNode,
  trayTitle,
  nodeValidity,
};
