'use strict';
// Every example flow in examples/, imported the way a user finds it (menu > Import > Examples >
// this package > the file) into a real Node-RED in headless Chromium, then deployed: no unknown
// node, no invalid node, no deploy error. A screenshot of each imported flow is saved to
// .screenshots/examples/<name>.png (git-ignored; the best ones go into the README).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { startNodeRed, problemLines, repoRoot, PACKAGE_NAME } = require('../harness/node-red-process');
const editor = require('../harness/browser');

const examplesDir = path.join(repoRoot, 'examples');

/** examples/**\/*.json as [folders..., name] paths, the way the import dialog lists them. */
function exampleFiles(dir = examplesDir, folders = []) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) found.push(...exampleFiles(path.join(dir, entry.name), [...folders, entry.name]));
    else if (entry.name.endsWith('.json')) found.push({ folders, name: entry.name.slice(0, -5), file: path.join(dir, entry.name) });
  }
  return found;
}

const examples = exampleFiles();

// This test's Node-RED runs on plain HTTP. There a Node-RED HTTPS node (example 21 installs a
// certificate at start) stores the certificate, says so in its status, and explains once, as a
// warning, how to switch Node-RED to HTTPS: its documented behaviour, not a problem of the flow.
const httpsMessages = editor.catalogue('certflow-https');
const plainHttpExplanation = httpsMessages.warnings.plainHttp.split('__dir__').pop().slice(0, 60);
function unexpectedProblems(logText) {
  return problemLines(logText).filter((line) => !(/\[warn\] \[certflow-https[:\]]/.test(line) && line.includes(plainHttpExplanation)));
}

// The ACME examples leave Names empty for the user to fill in: the editor marks the node
// invalid with this sentence, and at deploy (confirmed, as the user does) its status says the fix.
const acmeMessages = editor.catalogue('certflow-acme');
const httpsEmpty = httpsMessages.status.empty;

/** Deploy; when the editor asks to confirm nodes that are not properly configured, confirm (as a user does). */
async function deployConfirmingInvalid() {
  const first = await editor.deploy(page);
  if (first.ok) return first;
  const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
  if (!(await confirm.isVisible().catch(() => false))) return first;
  await confirm.click();
  await page.waitForFunction(() => [...document.querySelectorAll('.red-ui-notification')].some((el) => /Successfully deployed/i.test(el.innerText)));
  return { ok: true, confirmed: first.notifications };
}

/** A node's status as the workspace shows it, once the runtime has sent one. */
async function shownStatus(id) {
  await page.waitForFunction((nodeId) => {
    const n = RED.nodes.node(nodeId);
    return n && n.status && n.status.text;
  }, id);
  return page.evaluate((nodeId) => {
    const n = RED.nodes.node(nodeId);
    const label = document.querySelector(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node-status-label`);
    return { fill: n.status.fill, shape: n.status.shape, text: n.status.text, width: label ? label.getBBox().width : 0 };
  }, id);
}

let storeWritten = false; // set once an example that was run here installed into the Node-RED HTTPS store

/** A file name for an example's screenshot: "01 own CA.json" -> "01-own-ca". */
function slug({ folders, name }) {
  return [...folders, name]
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
let nodeRed;
let browser;
let page;
let knownTypes = [];

before(async () => {
  editor.clearFailureScreenshots((file) => file.startsWith('example-'));
  nodeRed = await startNodeRed({ trackMessages: true });
  const nodeSets = await nodeRed.adminGet('/nodes');
  knownTypes = nodeSets.filter((s) => s.enabled && !s.err).flatMap((s) => s.types);
  browser = await editor.launchBrowser({ deviceScaleFactor: 2 }); // crisp pictures for the README
  page = browser.page;
  await editor.openEditor(page, nodeRed.url);
});

after(() => editor.closeAll(browser, nodeRed));

test('examples/ holds at least one example flow', () => {
  assert.ok(examples.length > 0, 'no example flows in examples/');
});

/** A tree entry in the open import dialog's Examples tab, by its label. */
function treeEntry(label) {
  return page
    .locator('#red-ui-clipboard-dialog-import-tab-examples .red-ui-treeList-label', {
      has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }),
    })
    .first();
}

async function importExampleThroughMenu({ folders, name }) {
  await page.locator(editor.SEL.sideMenu).click();
  await page.locator('#menu-item-import').click();
  await page.locator('#red-ui-clipboard-dialog-import-tabs li', { hasText: 'Examples' }).click();
  // Examples > flows > <package> > [folders] > <file>; folders open on click.
  for (const label of [PACKAGE_NAME, ...folders]) {
    await treeEntry(label).click();
  }
  // Selecting the file makes the editor fetch it; Import is enabled once it has arrived.
  await editor.selectTreeRow(treeEntry(name), `"${name}" in Import > Examples`);
  await page.waitForFunction((sel) => {
    const button = document.querySelector(sel);
    return button && !button.disabled;
  }, editor.SEL.importOk);
  // Import into a new flow tab, so the screenshot shows this example alone.
  const newFlow = page.locator('#red-ui-clipboard-dialog-import-opt-new');
  if (await newFlow.isVisible()) await newFlow.click();
  await page.locator(editor.SEL.importOk).click();
  await page.locator(editor.SEL.importOk).waitFor({ state: 'hidden' });
  // The editor attaches imported nodes to the mouse pointer (unless they bring their own
  // tab); a click on the workspace puts them down, as a user does.
  await page.waitForFunction(() => RED.view.state() === RED.state.IMPORT_DRAGGING || RED.nodes.filterNodes({}).length > 0);
  if (await page.evaluate(() => RED.view.state() === RED.state.IMPORT_DRAGGING)) {
    const chart = await page.locator(editor.SEL.chart).boundingBox();
    await page.mouse.move(chart.x + 80, chart.y + 60, { steps: 5 });
    await page.mouse.click(chart.x + 80, chart.y + 60);
    await page.waitForFunction(() => RED.view.state() !== RED.state.IMPORT_DRAGGING);
  }
  // An example that brings its own flow tab lands in that tab: open it, as a user would.
  const home = await page.evaluate(() => {
    const count = {};
    RED.nodes.eachNode((n) => {
      count[n.z] = (count[n.z] || 0) + 1;
    });
    const best = Object.entries(count).sort((a, b) => b[1] - a[1])[0];
    return best && best[0] !== RED.workspaces.active() ? best[0] : null;
  });
  if (home) {
    await page.locator(`#red-ui-workspace-tabs li[id="red-ui-tab-${home.replace('.', '-')}"] a`).click();
    await page.waitForFunction((z) => RED.workspaces.active() === z, home);
  }
  // every node of the flow in view is drawn (the checks for nodes drawn as unknown look at these)
  await page.waitForFunction(() => {
    const nodes = RED.nodes.filterNodes({ z: RED.workspaces.active() });
    return nodes.length > 0 && nodes.every((n) => document.querySelector(`g.red-ui-flow-node-group[id="${n.id}"]`));
  });
}

/**
 * Zooms out until the active flow fits the workspace, scrolls it into view, and returns a clip
 * around the drawn flow (nodes, wires, status texts) with a margin, inside the workspace.
 */
async function frameActiveFlow() {
  await page.evaluate(() => RED.view.select({ nodes: [] }));
  for (let i = 0; i < 5; i++) {
    const fits = await page.evaluate(() => {
      const nodes = RED.nodes.filterNodes({ z: RED.workspaces.active() });
      const chart = document.getElementById('red-ui-workspace-chart');
      chart.scrollLeft = 0;
      chart.scrollTop = 0;
      if (nodes.length === 0) return true;
      const scale = RED.view.scale();
      const maxX = Math.max(...nodes.map((n) => n.x + (n.w || 100) / 2)) + 120;
      const maxY = Math.max(...nodes.map((n) => n.y + (n.h || 30) / 2)) + 60;
      return maxX * scale <= chart.clientWidth && maxY * scale <= chart.clientHeight;
    });
    if (fits) break;
    await page.evaluate(() => RED.actions.invoke('core:zoom-out'));
    await page.waitForTimeout(150);
  }
  await page.waitForTimeout(200);
  const chart = await page.locator(editor.SEL.chart).boundingBox();
  const drawn = await page.evaluate(() => {
    const boxes = [
      ...document.querySelectorAll(
        '#red-ui-workspace-chart .red-ui-flow-node-group, #red-ui-workspace-chart .red-ui-flow-link, #red-ui-workspace-chart .red-ui-flow-group',
      ),
    ]
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0);
    if (boxes.length === 0) return null;
    return {
      left: Math.min(...boxes.map((r) => r.left)),
      top: Math.min(...boxes.map((r) => r.top)),
      right: Math.max(...boxes.map((r) => r.right)),
      bottom: Math.max(...boxes.map((r) => r.bottom)),
    };
  });
  if (!drawn) return chart;
  const margin = 30;
  const left = Math.max(chart.x, drawn.left - margin);
  const top = Math.max(chart.y, drawn.top - margin);
  const right = Math.min(chart.x + chart.width, drawn.right + margin + 80); // room for status text
  const bottom = Math.min(chart.y + chart.height, drawn.bottom + margin);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Nodes that do their work without the internet (this machine may have none). */
function worksOffline(node) {
  if (node.type === 'certflow-acme' || node.type === 'certflow-acme-account') return false;
  if (node.type === 'certflow-inspect' && node.source === 'server') return false;
  if (/^(http request|mqtt|tcp|udp|websocket)/.test(node.type)) return false;
  return true;
}

/**
 * Presses each inject button (top to bottom), each once the flow the one before started is done;
 * reports. `deployed` is the flow as the runtime has it (the import may give nodes new ids).
 */
async function runExample(exampleNodes, deployed) {
  await page.locator(editor.SEL.debugTab).click();
  const injects = exampleNodes.filter((n) => n.type === 'inject').sort((a, b) => a.y - b.y || a.x - b.x);
  const shownBefore = await page.locator('.red-ui-debug-content .red-ui-debug-msg').count();
  const start = await nodeRed.messageCounts();
  for (const inject of injects) {
    const { received } = await nodeRed.messageCounts();
    await page.locator(`g.red-ui-flow-node-group[id="${inject.id}"] .red-ui-flow-node-button`).click();
    // Key generation and signing take a moment: wait until every message of this press is done.
    await nodeRed.settledAfter(received);
  }
  // The sidebar shows what each Debug node got once the runtime's comms has passed it on.
  const end = await nodeRed.messageCounts();
  const receivedDuringRun = (n) => (end.byNode[n.id] || 0) - (start.byNode[n.id] || 0);
  const toSidebar = deployed.filter((n) => n.type === 'debug' && n.active !== false && n.tosidebar !== false);
  const perDebugNode = Object.fromEntries(toSidebar.map((n) => [n.name || n.id, receivedDuringRun(n)]));
  const debugMessages = Object.values(perDebugNode).reduce((sum, count) => sum + count, 0);
  await page.waitForFunction(
    ([selector, count]) => document.querySelectorAll(selector).length >= count,
    ['.red-ui-debug-content .red-ui-debug-msg', shownBefore + debugMessages],
  );
  await editor.dismissNotifications(page);
  // For the picture: the palette scrolled to this package's category.
  await page.evaluate(() => document.getElementById('red-ui-palette-container-certificates')?.scrollIntoView({ block: 'start' }));
  await page.evaluate(() => RED.view.select({ nodes: [] }));
  const statuses = await page.evaluate(
    (ids) =>
      ids
        .map((id) => {
          const n = RED.nodes.node(id);
          return n && n.status && n.status.text ? { type: n.type, name: n.name || '', fill: n.status.fill, text: n.status.text } : null;
        })
        .filter(Boolean),
    exampleNodes.map((n) => n.id),
  );
  // what reached a Debug node that only a Catch node feeds: errors the run raised
  const catchFed = toSidebar.filter((d) => deployed.some((n) => n.type === 'catch' && (n.wires || []).flat().includes(d.id)));
  const caught = catchFed.reduce((sum, n) => sum + receivedDuringRun(n), 0);
  return { debugMessages, perDebugNode, caught, statuses };
}

for (const example of examples) {
  const label = [...example.folders, example.name].join('/');
  test(`example ${label}: imports through Import > Examples and deploys`, { timeout: 60000 }, async (t) => {
    const exampleNodes = JSON.parse(fs.readFileSync(example.file, 'utf8'));
    assert.ok(Array.isArray(exampleNodes), `${label}.json should hold an array of nodes`);
    const unknownInFile = [...new Set(exampleNodes.map((n) => n.type))].filter(
      (type) => type !== 'tab' && type !== 'group' && type !== 'junction' && !/^subflow/.test(type) && !knownTypes.includes(type),
    );
    assert.deepEqual(unknownInFile, [], `${label} uses node types Node-RED does not know`);

    await editor.resetFlows(page, nodeRed, []);
    await editor.dismissNotifications(page);
    try {
      await importExampleThroughMenu(example);

      // No unknown node: no warning notification, no node drawn as unknown, none of type unknown.
      const shown = await editor.notifications(page);
      assert.ok(!shown.some((n) => /unrecognised|unknown/i.test(n.text)), `import warned: ${JSON.stringify(shown)}`);
      const unknownDrawn = await page.locator('#red-ui-workspace-chart .red-ui-flow-node-unknown').count();
      assert.equal(unknownDrawn, 0, 'nodes drawn as unknown');
      const imported = await page.evaluate(() => {
        const all = [];
        RED.nodes.eachNode((n) => all.push({ id: n.id, type: n.type, valid: n.valid, errors: n.validationErrors || [] }));
        RED.nodes.eachConfig((n) => all.push({ id: n.id, type: n.type, valid: n.valid, errors: n.validationErrors || [], config: true }));
        return all;
      });
      assert.equal(imported.filter((n) => n.type === 'unknown').length, 0, 'imported nodes of type unknown');
      // Only one thing may be left to the user: the ACME node's Names (required), and the
      // example's comment says to enter them.
      const namesMissing = (n) => n.type === 'certflow-acme' && n.errors.length === 1 && n.errors[0] === acmeMessages.validation.needNames;
      const invalid = imported.filter((n) => n.valid === false && !namesMissing(n));
      assert.deepEqual(invalid, [], 'imported nodes the editor marks invalid');
      const waitingForNames = imported.filter((n) => n.valid === false && namesMissing(n));
      if (waitingForNames.length) {
        const comments = exampleNodes
          .filter((n) => n.type === 'comment')
          .map((n) => `${n.name} ${n.info || ''}`)
          .join('\n');
        assert.match(comments, /\*Names\*/, `${label}: the comment should tell the user to enter Names`);
      }

      // Issue 13: an example that can change what Node-RED serves says what that does to the open editor.
      if (exampleNodes.some((n) => n.type === 'certflow-https' && n.serve !== false)) {
        const comments = exampleNodes
          .filter((n) => n.type === 'comment')
          .map((n) => n.info || '')
          .join('\n');
        assert.match(comments, /open editor/i, `${label}: the comments should say what happens to the open editor`);
      }

      // Deploy: "Successfully deployed", no error; the runtime holds every node of the example.
      const logBefore = nodeRed.log().length;
      const result = await deployConfirmingInvalid();
      assert.ok(result.ok, `deploy of ${label} failed: ${JSON.stringify(result.notifications)}`);
      // Names missing: a red status that fits under the node and names the fix.
      for (const n of waitingForNames) {
        const status = await shownStatus(n.id);
        assert.equal(status.text, acmeMessages.required.needNames);
        assert.equal(status.fill, 'red');
        assert.ok(status.width > 0 && status.width < 260, `status "${status.text}" is ${Math.round(status.width)} px wide`);
      }
      // Nothing installed into Node-RED's certificate store by the deploy alone (no click yet).
      if (!storeWritten) {
        for (const n of exampleNodes.filter((m) => m.type === 'certflow-https')) {
          assert.equal((await shownStatus(n.id)).text, httpsEmpty, `${label}: Node-RED HTTPS should hold nothing before a button is pressed`);
        }
      }

      // The picture: the deployed flow (no "changed" markers), statuses shown, no toasts.
      await editor.dismissNotifications(page);
      const clip = await frameActiveFlow();
      await page.screenshot({ path: editor.screenshotPath('examples', `${slug(example)}.png`), clip });

      const { flows } = await nodeRed.adminGet('/flows');
      const deployedTypes = flows.map((n) => n.type);
      for (const type of new Set(exampleNodes.map((n) => n.type).filter((type) => type !== 'tab'))) {
        assert.ok(deployedTypes.includes(type), `${type} from ${label} is not in the deployed flows`);
      }
      await nodeRed.waitForLog(/Started flows/, { from: logBefore }); // what the nodes log at start comes before this line
      const problems = unexpectedProblems(nodeRed.log().slice(logBefore));
      assert.deepEqual(problems, [], `Node-RED logged problems after deploying ${label}`);
      t.diagnostic(`${label}: ${exampleNodes.length} nodes, types ${[...new Set(exampleNodes.map((n) => n.type))].join(', ')}`);

      // Run it, when it can run here (no node that goes to the internet): press its inject
      // buttons top to bottom, as the comments in the flows tell a user to.
      if (exampleNodes.every(worksOffline) && exampleNodes.some((n) => n.type === 'inject')) {
        const run = await runExample(exampleNodes, flows);
        if (exampleNodes.some((n) => n.type === 'certflow-https')) storeWritten = true;
        const problemsAfterRun = unexpectedProblems(nodeRed.log().slice(logBefore));
        await page.screenshot({ path: editor.screenshotPath('examples', `${slug(example)}-run.png`) });
        // The flow alone with the statuses the run left (a picture for the README).
        await page.screenshot({ path: editor.screenshotPath('examples', `${slug(example)}-run-flow.png`), clip: await frameActiveFlow() });
        t.diagnostic(
          `${label} run: ${run.debugMessages} debug messages ${JSON.stringify(run.perDebugNode)}; statuses ${JSON.stringify(run.statuses)}`,
        );
        assert.ok(run.debugMessages > 0, `pressing the inject buttons of ${label} produced no debug output`);
        assert.equal(run.caught, 0, `pressing the inject buttons of ${label} raised errors that its Catch node passed on`);
        assert.deepEqual(
          run.statuses.filter((s) => s.fill === 'red'),
          [],
          `nodes of ${label} show an error status after a run`,
        );
        assert.deepEqual(problemsAfterRun, [], `Node-RED logged problems while ${label} ran`);
      } else {
        t.diagnostic(`${label}: not run here (it needs the internet or has no inject button)`);
      }
    } catch (err) {
      await page.screenshot({ path: editor.screenshotPath('failures', `example-${slug(example)}.png`) }).catch(() => {});
      throw err;
    }
  });
}

test('examples: the page raised no script errors and made no outside requests', () => {
  assert.deepEqual(browser.pageErrors, [], 'uncaught errors in the editor page');
  assert.deepEqual(browser.blockedRequests, [], 'the editor tried to reach the internet');
});
