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
// dialog must flag with input-error as it is typed. `setup` first chooses select options that
// show the fields (e.g. inspect's "live server" source) and is undone afterwards. Fields not
// listed are still probed generically (every required or validated text field).
const MUST_REJECT = {
  'certflow-csr': {
    cases: [
      { field: 'node-input-cn', value: 'exa mple.com' },
      { field: 'node-input-altNames', value: 'bad..example.com' },
      { field: 'node-input-emailAddress', value: 'not-an-email' },
      { field: 'node-input-C', value: 'USA' },
    ],
  },
  'certflow-sign': {
    cases: [
      { field: 'node-input-cn', value: 'exa mple.com' },
      { field: 'node-input-altNames', value: 'bad..example.com' },
      { field: 'node-input-days', value: 'a year' },
      { field: 'node-input-C', value: '1' },
    ],
  },
  'certflow-inspect': {
    setup: { 'node-input-source': 'server' },
    cases: [
      { field: 'node-input-host', value: 'exa mple.com' },
      { field: 'node-input-port', value: '99999' },
      { field: 'node-input-timeout', value: 'forever' },
      { field: 'node-input-checkHost', value: 'exa mple.com' },
      { field: 'node-input-alertDays', value: 'soon' },
    ],
  },
  'certflow-https': { cases: [{ field: 'node-input-store', value: 'bad/name' }] },
  'certflow-acme': {
    setup: { 'node-input-http01Method': 'standalone' },
    cases: [
      { field: 'node-input-identifiers', value: 'exa_mple.com' },
      { field: 'node-input-certName', value: 'my cert!' },
      { field: 'node-input-http01Port', value: '99999' },
    ],
  },
  'certflow-acme-account': {
    setup: { 'node-config-input-directory': 'custom' },
    cases: [
      { field: 'node-config-input-directoryUrl', value: 'not a url' },
      { field: 'node-config-input-contact', value: 'not-an-email' },
      { field: 'node-config-input-agreeTos', value: false },
    ],
  },
  'certflow-dns': { cases: [{ field: 'node-config-input-nsPort', value: '99999' }] },
};

// Values a node needs before it can be saved and deployed here (element id -> value, true/false =
// tick box): the ACME node requires Names, and must not order from the internet at deploy.
const NODE_FILL = {
  'certflow-acme': { 'node-input-identifiers': 'nodered.example.com', 'node-input-autoRenew': false },
};

// What a user chooses in the using node's dialog before it offers a config node (element id ->
// option): the DNS provider picker shows only for dns-01 with "TXT records by: a DNS provider".
const CONFIG_SETUP = {
  'certflow-dns': { 'node-input-challengeDns': 'dns-01', 'node-input-dnsMethod': 'provider' },
};

// Values a config node needs before it can be saved (element id -> value, true = tick box).
const CONFIG_FILL = {
  'certflow-acme-account': { 'node-config-input-contact': 'admin@example.com', 'node-config-input-agreeTos': true },
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
      if (paragraph)
        return {
          file: path.relative(repoRoot, path.join(dir, file)),
          text: normalise(paragraph[1].replace(/<[^>]+>/g, '').replace(/&[a-z]+;/g, ' ')),
        };
    }
  }
  return null;
}

before(async () => {
  editor.clearFailureScreenshots((file) => declared.some((type) => file.startsWith(`${type}-`)));
  nodeRed = await startNodeRed();
  const nodeSets = await nodeRed.adminGet('/nodes');
  for (const set of nodeSets.filter((s) => s.module === PACKAGE_NAME)) {
    if (set.err) loadErrors[set.name] = typeof set.err === 'string' ? set.err : JSON.stringify(set.err);
    else if (set.enabled) loadedTypes.push(...set.types);
  }
  browser = await editor.launchBrowser();
  page = browser.page;
  await editor.openEditor(page, nodeRed.url);
  editorKnown = await editor.editorTypes(page);
  typeInfo = await page.evaluate(
    (types) =>
      Object.fromEntries(
        types
          .filter((type) => RED.nodes.getType(type))
          .map((type) => {
            const def = RED.nodes.getType(type);
            const users = [];
            RED.nodes.registry.getNodeTypes().forEach((other) => {
              const otherDef = RED.nodes.getType(other);
              if (otherDef && otherDef.category !== 'config' && Object.values(otherDef.defaults || {}).some((spec) => spec && spec.type === type))
                users.push(other);
            });
            return [type, { category: def.category, isConfig: def.category === 'config', users }];
          }),
      ),
    loadedTypes,
  );
});

after(() => editor.closeAll(browser, nodeRed));

function assertLoaded(type) {
  assert.ok(!loadErrors[type], `${type} failed to load in Node-RED: ${loadErrors[type]}`);
  assert.ok(loadedTypes.includes(type), `${type} is declared in package.json but Node-RED did not register it (is dist/nodes/${type}.js built?)`);
  assert.ok(
    editorKnown.includes(type),
    `the editor has no definition for ${type} (its .html: RED.nodes.registerType, script errors: ${JSON.stringify(browser.pageErrors)})`,
  );
}

/**
 * Fills every empty config select by adding a new config node through its dialog. Returns the
 * config types added and the titles their dialogs showed ({ type: title }).
 */
async function addMissingConfigNodes(t, type, prefix, titles = {}) {
  const exercised = [];
  for (const select of await editor.emptyConfigSelects(page, type, prefix)) {
    const onOpen = async () => {
      titles[select.configType] = await editor.trayTitle(page);
    };
    const probe = await editor.addConfigNode(page, {
      prefix,
      prop: select.prop,
      configType: select.configType,
      fill: CONFIG_FILL[select.configType],
      onOpen,
    });
    t.diagnostic(`${select.configType} (via ${type}): ${JSON.stringify(probe)}`);
    exercised.push(select.configType);
  }
  return exercised;
}

/** Types each named bad value; collects the fields the dialog failed to flag; restores. */
async function checkMustReject(type) {
  const { setup = {}, cases = [] } = MUST_REJECT[type] || {};
  const undo = {};
  for (const [id, value] of Object.entries(setup)) {
    undo[id] = await page.locator(`#${id}`).inputValue();
    await page.locator(`#${id}`).selectOption(value);
  }
  const notFlagged = [];
  for (const { field, value } of cases) {
    const found = await page.evaluate((id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      const container =
        el.nextElementSibling && el.nextElementSibling.classList.contains('red-ui-typedInput-container') ? el.nextElementSibling : null;
      return { original: el.value, checked: el.checked, typed: !!container };
    }, field);
    assert.ok(found, `${type}: the dialog has no field #${field}`);
    const selector = found.typed ? `#${field} + .red-ui-typedInput-container input.red-ui-typedInput-input` : `#${field}`;
    const prefix = field.startsWith('node-config-input-') ? 'node-config-input' : 'node-input';
    const prop = field.slice(prefix.length + 1);
    if (typeof value === 'boolean') {
      // A tick box: set it the wrong way, as a click would.
      await page.locator(selector).setChecked(value);
      await page.locator(selector).dispatchEvent('change');
      if (!(await editor.fieldIsMarkedInvalid(page, prefix, prop))) notFlagged.push(`#${field} ${value ? 'ticked' : 'not ticked'}`);
      await page.locator(selector).setChecked(found.checked);
      await page.locator(selector).dispatchEvent('change');
      continue;
    }
    await editor.typeInto(page, selector, value);
    if (!(await editor.fieldIsMarkedInvalid(page, prefix, prop))) notFlagged.push(`#${field} = "${value}"`);
    await editor.typeInto(page, selector, found.original);
  }
  for (const [id, value] of Object.entries(undo)) await page.locator(`#${id}`).selectOption(value);
  assert.deepEqual(notFlagged, [], `${type}: these bad inputs should be marked invalid (input-error) as they are typed`);
}

const exercisedConfigTypes = new Set();

/**
 * Runs the steps as subtests, in order: a failing step is reported and the following steps
 * still run (they are skipped only when they need something the failed step should have made).
 */
async function steps(t, name, list) {
  const state = {};
  for (const [label, needs, fn] of list) {
    await t.test(label, async (st) => {
      const missing = needs.filter((key) => state[key] === undefined);
      if (missing.length) return st.skip(`needs ${missing.join(', ')} from an earlier step`);
      try {
        await fn(state, st);
      } catch (err) {
        await page.screenshot({ path: editor.screenshotPath('failures', `${name}-${label.replace(/\W+/g, '-')}.png`) }).catch(() => {});
        // A step that broke (not a failed assertion, which leaves the dialog as a user would
        // have it) may leave dialogs half-open: close them so the next steps can run.
        if (!(err instanceof assert.AssertionError))
          for (const selector of [editor.SEL.configDone, editor.SEL.cancel]) {
            if (selector === editor.SEL.configDone) {
              const cancel = page.locator('#node-config-dialog-cancel');
              if (await cancel.isVisible().catch(() => false)) await cancel.click().catch(() => {});
            } else if (
              await page
                .locator(selector)
                .isVisible()
                .catch(() => false)
            ) {
              await page
                .locator(selector)
                .click()
                .catch(() => {});
            }
          }
        throw err;
      }
    });
  }
  return state;
}

for (const type of declared) {
  test(`editor: ${type}`, { timeout: 90000 }, async (t) => {
    assertLoaded(type);
    const info = typeInfo[type];
    if (!info.isConfig) {
      await steps(t, type, nodeSteps(type, {}));
      return;
    }
    // A config node never sits in the palette: a user meets it through the dialog of a node
    // that uses it. Drive that dialog here, then find the config node's help.
    assert.ok(info.users.length > 0, `config node ${type} is not used by any node type`);
    await steps(t, type, [
      ...nodeSteps(info.users[0], { configUnderTest: type }),
      [
        'help for the config node, found by the help search',
        [],
        async () => {
          const help = helpParagraph(type);
          assert.ok(help, `${type}: no help (<script type="text/html" data-help-name="${type}">) in locales/en-US`);
          const shown = await editor.showHelpByType(page, type);
          assert.ok(
            normalise(shown.text).includes(help.text.slice(0, 80)),
            `${type}: help sidebar should show "${help.text.slice(0, 80)}" from ${help.file}; it shows "${normalise(shown.text).slice(0, 200)}"`,
          );
          await page.screenshot({ path: editor.screenshotPath('nodes', `${type}-help.png`) });
        },
      ],
    ]);
  });
}

/** The steps a user takes with one node type, as [label, needs, fn(state, t)]. */
function nodeSteps(type, { configUnderTest }) {
  return [
    [
      `${type}: in the palette under "certificates" with its icon, found by search`,
      [],
      async (state) => {
        await editor.resetFlows(page, nodeRed, [type]);
        const palette = await page.evaluate((selector) => {
          const el = document.querySelector(selector);
          if (!el) return null;
          const category = el.closest('.red-ui-palette-category');
          const shown = el.querySelector('.red-ui-palette-label');
          return {
            // the label itself (data-palette-label also holds the search words: certflow-editor.js onPaletteAdd)
            label: RED.utils.getPaletteLabel(el.getAttribute('data-palette-type'), RED.nodes.getType(el.getAttribute('data-palette-type'))),
            shown: shown ? shown.innerText : '',
            icon: el.querySelector('.red-ui-palette-icon-container')?.getAttribute('data-palette-icon') || null,
            category: category && category.id,
          };
        }, editor.SEL.paletteNode(type));
        assert.ok(palette, `${type} is not in the palette`);
        // The palette breaks labels into lines at spaces and at "-" (shown as " - "): the label
        // must read the same when its lines are put back together.
        assert.equal(
          normalise(palette.shown),
          normalise(palette.label),
          `${type}: the palette shows its label "${palette.label}" as "${normalise(palette.shown)}"`,
        );
        const visible = await editor.searchPalette(page, palette.label);
        assert.ok(visible.includes(type), `searching the palette for "${palette.label}" should show ${type}; it shows ${visible.join(', ')}`);
        state.found = true;
        assert.equal(palette.category, 'red-ui-palette-container-certificates', `${type} should sit in the "certificates" palette category`);
        assert.ok(
          palette.icon && palette.icon.startsWith(`icons/${PACKAGE_NAME}/`),
          `${type} should use an icon from this package, got ${palette.icon}`,
        );
        const iconFile = path.join(repoRoot, 'icons', path.basename(palette.icon));
        assert.ok(fs.existsSync(iconFile), `${type}: icon ${palette.icon} is not a file in icons/`);
        const iconResponse = await page.request.get(`${nodeRed.url}/${palette.icon}`);
        assert.equal(iconResponse.status(), 200);
        assert.deepEqual(
          Buffer.from(await iconResponse.body()),
          fs.readFileSync(iconFile),
          `${type}: Node-RED serves a different icon than icons/${path.basename(palette.icon)}`,
        );
      },
    ],
    [
      `${type}: dragged onto the workspace, dialog opens on double-click`,
      ['found'],
      async (state) => {
        state.id = await editor.dragToWorkspace(page, type, { x: 300, y: 160 });
        await editor.clearPaletteSearch(page);
        await editor.openNodeDialog(page, state.id);
        state.dialogOpen = true;
      },
    ],
    [
      `${type}: bad input is flagged as it is typed`,
      ['dialogOpen'],
      async () => {
        await checkMustReject(type);
      },
    ],
    ...(configUnderTest
      ? [
          [
            `${configUnderTest}: added from the ${type} dialog, its bad input flagged`,
            ['dialogOpen'],
            async (state, st) => {
              const titles = {};
              for (const [id, value] of Object.entries(CONFIG_SETUP[configUnderTest] || {})) await page.locator(`#${id}`).selectOption(value);
              const configs = await addMissingConfigNodes(st, type, 'node-input', titles);
              configs.forEach((c) => exercisedConfigTypes.add(c));
              assert.ok(configs.includes(configUnderTest), `the ${type} dialog offered no way to add a ${configUnderTest}`);
              // The dialog names the config node in words (its paletteLabel), not by its type.
              const label = await page.evaluate((t) => {
                const def = RED.nodes.getType(t);
                return typeof def.paletteLabel === 'function' ? def.paletteLabel.call(def) : def.paletteLabel;
              }, configUnderTest);
              assert.ok(
                label && label !== configUnderTest,
                `${configUnderTest} should have a paletteLabel (a name in words for its dialog title and the help)`,
              );
              assert.equal(titles[configUnderTest], `Add new ${label} config node`);
              // Reopen the new config node with the pencil button, to check its named cases.
              const prop = await page.evaluate(
                ({ type, config }) => Object.entries(RED.nodes.getType(type).defaults).find(([, s]) => s.type === config)[0],
                { type, config: configUnderTest },
              );
              await page.locator(`#node-input-btn-${prop}-edit`).click();
              await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
              await editor.traysSettled(page);
              await page.screenshot({ path: editor.screenshotPath('nodes', `${configUnderTest}-dialog.png`) });
              try {
                await checkMustReject(configUnderTest);
              } finally {
                await page.locator(editor.SEL.configDone).click();
                await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });
                await editor.traysSettled(page);
              }
            },
          ],
        ]
      : []),
    [
      `${type}: every validated field accepts a good value again; saved with Done`,
      ['dialogOpen'],
      async (state, st) => {
        (await addMissingConfigNodes(st, type, 'node-input')).forEach((c) => exercisedConfigTypes.add(c));
        for (const [id, value] of Object.entries(NODE_FILL[type] || {})) {
          if (typeof value === 'boolean') await page.locator(`#${id}`).setChecked(value);
          else await editor.typeInto(page, `#${id}`, value);
        }
        const probe = await editor.probeValidatedFields(page, type, 'node-input');
        st.diagnostic(`validated fields: ${JSON.stringify(probe)}`);
        if (!probe.some((f) => f.rejected !== null) && !(MUST_REJECT[type] || {}).cases)
          st.diagnostic(`${type}: no field flagged any bad value we tried`);
        await page.screenshot({ path: editor.screenshotPath('nodes', `${type}-dialog.png`) });
        const stuck = probe.filter((f) => f.restored === null).map((f) => f.prop);
        await editor.clickDone(page);
        state.saved = true;
        assert.deepEqual(stuck, [], `${type}: fields that stay marked invalid whatever we type`);
        const validity = await editor.nodeValidity(page, state.id);
        assert.ok(validity.valid, `${type} is still invalid after Done: ${JSON.stringify(validity.errors)}`);
      },
    ],
    [
      `${type}: deployed with no error`,
      ['saved'],
      async (state) => {
        const logBefore = nodeRed.log().length;
        const result = await editor.deploy(page);
        assert.ok(result.ok, `deploying ${type} failed: ${JSON.stringify(result.notifications)}`);
        const { flows } = await nodeRed.adminGet('/flows');
        assert.ok(
          flows.some((n) => n.id === state.id && n.type === type),
          `${type} is not in the deployed flows`,
        );
        // the editor reports the deploy when Node-RED answers, before the flows have started
        await nodeRed.waitForLog(/Started flows/, { from: logBefore });
        const problems = problemLines(nodeRed.log().slice(logBefore));
        assert.deepEqual(problems, [], `Node-RED logged problems after deploying ${type}`);
      },
    ],
    [
      `${type}: the help sidebar shows its help`,
      ['id'],
      async (state) => {
        const help = helpParagraph(type);
        assert.ok(help, `${type}: no help (<script type="text/html" data-help-name="${type}">) in locales/en-US`);
        const shown = await editor.showHelpFor(page, state.id);
        assert.ok(
          normalise(shown.text).includes(help.text.slice(0, 80)),
          `${type}: help sidebar should show "${help.text.slice(0, 80)}" from ${help.file}; it shows "${normalise(shown.text).slice(0, 200)}"`,
        );
        await page.screenshot({ path: editor.screenshotPath('nodes', `${type}-help.png`) });
      },
    ],
  ];
}

test('editor: the page raised no script errors and made no outside requests', () => {
  assert.deepEqual(browser.pageErrors, [], 'uncaught errors in the editor page');
  assert.deepEqual(browser.blockedRequests, [], 'the editor tried to reach the internet');
});
