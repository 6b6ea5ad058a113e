'use strict';
// Every node type of this package, used the way a person uses it in the real Node-RED editor
// (headless Chromium, a real Node-RED process): find it by palette search, drag it onto the
// workspace, open its dialog, see bad input flagged as you type, save, deploy without error,
// and read its help in the sidebar. Generic over package.json `node-red.nodes`, so a node type
// is covered as soon as it is declared; config nodes are exercised through the dialog of the
// node that uses them.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { startNodeRed, declaredNodeTypes, problemLines, repoRoot, PACKAGE_NAME } = require('../harness/node-red-process');
const editor = require('../harness/browser');

// Inputs a user gets wrong, per node type: the field (element id in the dialog) and a value the
// dialog must flag with input-error before Done. `setup` runs first (e.g. pick a mode that shows
// the field). Fields not listed are still probed generically (every required/validated field).
const MUST_REJECT = {
  'certflow-csr': [{ field: 'node-input-altNames', value: 'exa mple.com' }],
  'certflow-acme': [{ field: 'node-input-domains', value: 'exa mple.com' }],
  'certflow-acme-account': [{ field: 'node-config-input-email', value: 'not-an-email' }],
};

// Values a config node needs before it can be saved (element id -> value, true = tick box).
const CONFIG_FILL = {
  'certflow-acme-account': { 'node-config-input-email': 'admin@example.com' },
};

const declared = declaredNodeTypes();
let nodeRed;
let browser;
let page;
let loadedTypes = [];
let loadErrors = {};
let typeInfo = {};
let editorKnown = [];

function normalise(text) {
  return text.replace(/\s+/g, ' ').trim();
}

/** The first paragraph of a node type's help, as written in the package's locale files. */
function helpParagraph(type) {
  const dirs = [path.join(repoRoot, 'dist', 'nodes', 'locales', 'en-US'), path.join(repoRoot, 'dist', 'nodes')];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.html'))) {
      const html = fs.readFileSync(path.join(dir, file), 'utf8');
      const start = html.search(new RegExp(`<script[^>]*data-help-name=["']${type}["'][^>]*>`));
      if (start < 0) continue;
      const body = html.slice(start, html.indexOf('</script>', start));
      const paragraph = /<p>([\s\S]*?)<\/p>/.exec(body);
      if (paragraph) return { file: path.relative(repoRoot, path.join(dir, file)), text: normalise(paragraph[1].replace(/<[^>]+>/g, '').replace(/&[a-z]+;/g, ' ')) };
    }
  }
  return null;
}

before(async () => {
  nodeRed = await startNodeRed();
  const nodeSets = await nodeRed.adminGet('/nodes');
  for (const set of nodeSets.filter((s) => s.module === PACKAGE_NAME)) {
    if (set.err) loadErrors[set.name] = typeof set.err === 'string' ? set.err : JSON.stringify(set.err);
    else if (set.enabled) loadedTypes.push(...set.types);
  }
  browser = await editor.launchBrowser();
  page = browser.page;
  page.setDefaultTimeout(10000);
  await editor.openEditor(page, nodeRed.url);
  editorKnown = await editor.editorTypes(page);
  typeInfo = await page.evaluate((types) => Object.fromEntries(types.filter((type) => RED.nodes.getType(type)).map((type) => {
    const def = RED.nodes.getType(type);
    const users = [];
    RED.nodes.registry.getNodeTypes().forEach((other) => {
      const otherDef = RED.nodes.getType(other);
      if (otherDef && otherDef.category !== 'config' && Object.values(otherDef.defaults || {}).some((spec) => spec && spec.type === type)) users.push(other);
    });
    return [type, { category: def.category, isConfig: def.category === 'config', users }];
  })), loadedTypes);
});

after(async () => {
  if (browser) await browser.close();
  if (nodeRed) await nodeRed.stop();
});

function assertLoaded(type) {
  assert.ok(!loadErrors[type], `${type} failed to load in Node-RED: ${loadErrors[type]}`);
  assert.ok(loadedTypes.includes(type), `${type} is declared in package.json but Node-RED did not register it (is dist/nodes/${type}.js built?)`);
  assert.ok(editorKnown.includes(type), `the editor has no definition for ${type} (its .html: RED.nodes.registerType, script errors: ${JSON.stringify(browser.pageErrors)})`);
}

async function screenshotOnFailure(name, fn) {
  try {
    await fn();
  } catch (err) {
    await page.screenshot({ path: editor.screenshotPath('failures', `${name}.png`) }).catch(() => {});
    throw err;
  }
}

/** Fills every empty config select by adding a new config node through its dialog. */
async function addMissingConfigNodes(t, type, prefix) {
  const exercised = [];
  for (const select of await editor.emptyConfigSelects(page, type, prefix)) {
    const probe = await editor.addConfigNode(page, { prefix, prop: select.prop, configType: select.configType, fill: CONFIG_FILL[select.configType] });
    t.diagnostic(`${select.configType} (via ${type}): ${JSON.stringify(probe)}`);
    exercised.push(select.configType);
  }
  return exercised;
}

async function checkMustReject(type, cases = MUST_REJECT[type] || []) {
  for (const { field, value } of cases) {
    const found = await page.evaluate((id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      const container = el.nextElementSibling && el.nextElementSibling.classList.contains('red-ui-typedInput-container') ? el.nextElementSibling : null;
      return { original: el.value, typed: !!container };
    }, field);
    assert.ok(found, `${type}: the dialog has no field #${field}`);
    const selector = found.typed ? `#${field} + .red-ui-typedInput-container input.red-ui-typedInput-input` : `#${field}`;
    const prefix = field.startsWith('node-config-input-') ? 'node-config-input' : 'node-input';
    const prop = field.slice(prefix.length + 1);
    await editor.typeInto(page, selector, value);
    assert.ok(await editor.fieldIsMarkedInvalid(page, prefix, prop), `${type}: typing "${value}" into #${field} should mark it invalid (input-error)`);
    await editor.typeInto(page, selector, found.original);
  }
}

const exercisedConfigTypes = new Set();

for (const type of declared) {
  test(`editor: ${type}`, { timeout: 60000 }, async (t) => {
    assertLoaded(type);
    const info = typeInfo[type];
    if (info.isConfig) {
      // A config node never sits in the palette: a user meets it through the dialog of a node
      // that uses it. Drive that dialog here, then read the config node's help.
      assert.ok(info.users.length > 0, `config node ${type} is not used by any node type`);
      await screenshotOnFailure(type, () => exerciseNode(t, info.users[0], { configUnderTest: type }));
      assert.ok(exercisedConfigTypes.has(type), `${type}: adding it from the ${info.users[0]} dialog did not happen`);
      const help = helpParagraph(type);
      assert.ok(help, `${type}: no help (<script type="text/html" data-help-name="${type}">) in locales/en-US`);
      await screenshotOnFailure(`${type}-help`, async () => {
        const shown = await editor.showHelpByType(page, type);
        assert.ok(normalise(shown.text).includes(help.text.slice(0, 80)), `${type}: help sidebar should show "${help.text.slice(0, 80)}" from ${help.file}; it shows "${normalise(shown.text).slice(0, 200)}"`);
      });
      return;
    }
    await screenshotOnFailure(type, () => exerciseNode(t, type, {}));
  });
}

async function exerciseNode(t, type, { configUnderTest }) {
  await editor.resetFlows(page, nodeRed, [type]);

  // 1. Palette: in the "certificates" category, with the package's own icon, found by search.
  const palette = await page.evaluate((selector) => {
    const el = document.querySelector(selector);
    if (!el) return null;
    const category = el.closest('.red-ui-palette-category');
    return { label: el.getAttribute('data-palette-label'), icon: el.querySelector('.red-ui-palette-icon-container')?.getAttribute('data-palette-icon') || null, category: category && category.id };
  }, editor.SEL.paletteNode(type));
  assert.ok(palette, `${type} is not in the palette`);
  assert.equal(palette.category, 'red-ui-palette-container-certificates', `${type} should sit in the "certificates" palette category`);
  assert.ok(palette.icon && palette.icon.startsWith(`icons/${PACKAGE_NAME}/`), `${type} should use an icon from this package, got ${palette.icon}`);
  const iconFile = path.join(repoRoot, 'icons', path.basename(palette.icon));
  assert.ok(fs.existsSync(iconFile), `${type}: icon ${palette.icon} is not a file in icons/`);
  const iconResponse = await page.request.get(`${nodeRed.url}/${palette.icon}`);
  assert.equal(iconResponse.status(), 200);
  assert.deepEqual(Buffer.from(await iconResponse.body()), fs.readFileSync(iconFile), `${type}: Node-RED serves a different icon than icons/${path.basename(palette.icon)}`);

  const visible = await editor.searchPalette(page, palette.label);
  assert.ok(visible.includes(type), `searching the palette for "${palette.label}" should show ${type}; it shows ${visible.join(', ')}`);

  // 2. Drag it onto the workspace and open its dialog.
  const id = await editor.dragToWorkspace(page, type, { x: 300, y: 160 });
  await editor.clearPaletteSearch(page);
  await editor.openNodeDialog(page, id);

  // 3. Bad input is flagged as you type: named cases first, then every validated field.
  await checkMustReject(type);
  const configs = await addMissingConfigNodes(t, type, 'node-input');
  configs.forEach((c) => exercisedConfigTypes.add(c));
  if (configUnderTest) {
    assert.ok(configs.includes(configUnderTest), `the ${type} dialog offered no way to add a ${configUnderTest}`);
    // Reopen the new config node's dialog with the pencil button, to check its named cases.
    const prop = await page.evaluate(({ type, config }) => Object.entries(RED.nodes.getType(type).defaults).find(([, s]) => s.type === config)[0], { type, config: configUnderTest });
    await page.locator(`#node-input-btn-${prop}-edit`).click();
    await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
    await page.waitForTimeout(400);
    await checkMustReject(configUnderTest);
    await page.screenshot({ path: editor.screenshotPath('nodes', `${configUnderTest}-dialog.png`) });
    await page.locator(editor.SEL.configDone).click();
    await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
  }
  const probe = await editor.probeValidatedFields(page, type, 'node-input');
  t.diagnostic(`${type} validated fields: ${JSON.stringify(probe)}`);
  for (const field of probe) {
    assert.ok(field.restored !== null, `${type}: field ${field.prop} stays marked invalid whatever we type`);
  }
  if (!MUST_REJECT[type] && !probe.some((f) => f.rejected !== null)) t.diagnostic(`${type}: no field flagged any bad value we tried`);
  await page.screenshot({ path: editor.screenshotPath('nodes', `${type}-dialog.png`) });

  // 4. Done, and the editor agrees the node is configured.
  await editor.clickDone(page);
  const validity = await editor.nodeValidity(page, id);
  assert.ok(validity.valid, `${type} is still invalid after Done: ${JSON.stringify(validity.errors)}`);

  // 5. Deploy: "Successfully deployed", no error, and the runtime has the node, no error logged.
  const logBefore = nodeRed.log().length;
  const result = await editor.deploy(page);
  assert.ok(result.ok, `deploying ${type} failed: ${JSON.stringify(result.notifications)}`);
  const { flows } = await nodeRed.adminGet('/flows');
  assert.ok(flows.some((n) => n.id === id && n.type === type), `${type} is not in the deployed flows`);
  await page.waitForTimeout(300);
  const problems = problemLines(nodeRed.log().slice(logBefore));
  assert.deepEqual(problems, [], `Node-RED logged problems after deploying ${type}`);

  // 6. Help: select the node, open the help tab, see the help from locales/en-US.
  const help = helpParagraph(type);
  assert.ok(help, `${type}: no help (<script type="text/html" data-help-name="${type}">) in locales/en-US`);
  const shown = await editor.showHelpFor(page, id);
  assert.ok(normalise(shown.text).includes(help.text.slice(0, 80)), `${type}: help sidebar should show "${help.text.slice(0, 80)}" from ${help.file}; it shows "${normalise(shown.text).slice(0, 200)}"`);
  await page.screenshot({ path: editor.screenshotPath('nodes', `${type}-help.png`) });
}

test('editor: the page raised no script errors and made no outside requests', () => {
  assert.deepEqual(browser.pageErrors, [], 'uncaught errors in the editor page');
  assert.deepEqual(browser.blockedRequests, [], 'the editor tried to reach the internet');
});
