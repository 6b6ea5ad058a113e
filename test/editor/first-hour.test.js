'use strict';
// Issue 13, "the first hour", in the real editor (headless Chromium, a real Node-RED): the
// palette search finds our nodes by the words people type, required fields are required in the
// dialog and red at deploy, statuses fit under the node and name the fix, the inspect node takes
// a multi-line CA, and every help fits the sidebar at its default width. Screenshots of the
// changed dialogs go to .screenshots/first-hour/.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startNodeRed } = require('../harness/node-red-process');
const editor = require('../harness/browser');

const locale = editor.catalogue;
const shot = (name) => editor.screenshotPath('first-hour', `${name}.png`);

let nodeRed;
let browser;
let page;

before(async () => {
  editor.clearFailureScreenshots((file) => file.startsWith('first-hour-'));
  nodeRed = await startNodeRed();
  browser = await editor.launchBrowser();
  page = browser.page;
  await editor.openEditor(page, nodeRed.url, ['certflow-https', 'certflow-acme', 'certflow-inspect']);
});

after(() => editor.closeAll(browser, nodeRed));

/** Runs a step; on failure leaves a screenshot in .screenshots/failures/. */
const step = (name, fn) => editor.screenshotOnFailure(page, `first-hour-${name}.png`, fn);

/** Deploys through the admin API and reloads the editor on it: the flow as a user would have it after Deploy. */
async function deployFlow(nodes) {
  await nodeRed.adminPost('/flows', {
    flows: [{ id: 'f0', type: 'tab', label: 'Flow 1' }, ...nodes.map((n) => ({ z: 'f0', x: 200, y: 100, ...n }))],
  });
  await editor.openEditor(page, nodeRed.url, []);
}

/** The status a node shows on the workspace, once the runtime has sent one. */
async function workspaceStatus(id) {
  await page.waitForFunction((nodeId) => {
    const el = document.querySelector(`g.red-ui-flow-node-group[id="${nodeId}"] .red-ui-flow-node-status-label`);
    return el && el.textContent.trim() !== '';
  }, id);
  return page.evaluate((nodeId) => {
    const group = document.querySelector(`g.red-ui-flow-node-group[id="${nodeId}"]`);
    const label = group.querySelector('.red-ui-flow-node-status-label');
    const node = RED.nodes.node(nodeId);
    return {
      text: label.textContent,
      width: label.getBBox().width,
      nodeWidth: node.w,
      fill: node.status && node.status.fill,
      shape: node.status && node.status.shape,
    };
  }, id);
}

test('palette search: "node-red", "letsencrypt", "tls", "ssl" and "expiry" find our nodes; labels are plain text', async () => {
  await step('palette', async () => {
    const expected = {
      'node-red': ['certflow-https'],
      letsencrypt: ['certflow-acme'],
      tls: ['certflow-https', 'certflow-acme', 'certflow-inspect', 'certflow-sign'],
      ssl: ['certflow-https', 'certflow-acme', 'certflow-inspect', 'certflow-sign'],
      expiry: ['certflow-inspect'],
    };
    for (const [words, types] of Object.entries(expected)) {
      const visible = await editor.searchPalette(page, words);
      for (const type of types)
        assert.ok(visible.includes(type), `searching "${words}" should show ${type}; it shows ${visible.join(', ') || 'nothing'}`);
      if (words === 'node-red') await page.screenshot({ path: shot('palette-search-node-red'), clip: { x: 0, y: 0, width: 260, height: 500 } });
    }
    await editor.clearPaletteSearch(page);
    // Plain text: what the palette shows, the label the help and the dialogs use, are ASCII.
    const https = await page.evaluate(() => {
      const def = RED.nodes.getType('certflow-https');
      const el = document.querySelector('.red-ui-palette-node[data-palette-type="certflow-https"] .red-ui-palette-label');
      return { label: RED.utils.getPaletteLabel('certflow-https', def), lines: el.innerHTML.split(/<br\/?>/).map((l) => l.trim()) };
    });
    assert.equal(https.label, 'Node-RED HTTPS');
    assert.deepEqual(https.lines, ['Node-RED', 'HTTPS'], 'the palette shows "Node-RED" unbroken');
    const labels = await page.evaluate(() =>
      RED.nodes.registry
        .getNodeTypes()
        .filter((t) => t.startsWith('certflow-'))
        .map((t) => RED.utils.getPaletteLabel(t, RED.nodes.getType(t))),
    );
    assert.deepEqual(
      labels.filter((l) => /[^\x20-\x7e]/.test(l)),
      [],
      'palette labels in plain ASCII',
    );
  });
});

test('help fits the sidebar at its default width, and leads with what a newcomer needs', async () => {
  await step('help', async () => {
    const types = ['certflow-key', 'certflow-csr', 'certflow-sign', 'certflow-inspect', 'certflow-acme', 'certflow-acme-account', 'certflow-https'];
    await page.locator(editor.SEL.helpTab).click();
    const tooWide = {};
    for (const type of types) {
      await page.evaluate((t) => RED.sidebar.help.show(t), type);
      const title = await page.evaluate((t) => RED.utils.getPaletteLabel(t, RED.nodes.getType(t)), type);
      await page.locator(`${editor.SEL.helpSection} .red-ui-help-title`, { hasText: title }).first().waitFor();
      const measured = await page.evaluate(() => {
        const help = document.querySelector('.red-ui-sidebar-help-stack .red-ui-help');
        const limit = help.getBoundingClientRect().right;
        const wide = [...help.querySelectorAll('*')]
          .filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > limit + 0.5)
          .map((el) => `<${el.tagName.toLowerCase()}> ${el.textContent.trim().slice(0, 60)}`);
        return {
          wide,
          words: help.innerText.split(/\s+/).filter(Boolean).length,
          sidebar: document.getElementById('red-ui-sidebar').getBoundingClientRect().width,
        };
      });
      if (measured.wide.length) tooWide[type] = measured.wide;
      if (type === 'certflow-acme') {
        // Node-RED's own http request node has 641 words of help: ours is no longer.
        assert.ok(measured.words <= 641, `the ACME help has ${measured.words} words`);
      }
      await page.screenshot({ path: shot(`help-${type}`), clip: await page.locator('#red-ui-sidebar').boundingBox() });
    }
    assert.deepEqual(tooWide, {}, 'help elements wider than the sidebar (default width)');
  });
});

test('required fields: empty Names (ACME) and an empty name (sign, CSR) are invalid in the dialog; red at deploy with the fix', async () => {
  await step('required', async () => {
    await deployFlow([
      {
        id: 'acme1',
        type: 'certflow-acme',
        identifiers: '',
        autoRenew: true,
        account: '',
        keySource: 'new',
        keyType: 'ec-p256',
        challengeDns: 'http-01',
        http01Method: 'route',
        http01Port: '80',
        tlsAlpnPort: '443',
        dnsTimeout: '120',
        dnsFlowTimeout: '120',
        checkInterval: '6',
      },
      { id: 'sign1', type: 'certflow-sign', mode: 'self-signed', cn: '', cnType: 'str', altNames: '', altNamesType: 'str', y: 200 },
      { id: 'csr1', type: 'certflow-csr', cn: '', cnType: 'str', altNames: '', altNamesType: 'str', y: 300 },
    ]);
    // The editor's verdict, as the red triangle shows it.
    const acme = await editor.nodeValidity(page, 'acme1');
    assert.equal(acme.valid, false);
    assert.ok(acme.errors.includes(locale('certflow-acme').validation.needNames), `ACME: ${JSON.stringify(acme.errors)}`);
    const sign = await editor.nodeValidity(page, 'sign1');
    assert.equal(sign.valid, false, 'sign certificate with no CN and no alt. names is invalid');
    assert.ok(sign.errors.includes(locale('certflow-sign').validation.needName), JSON.stringify(sign.errors));
    assert.equal((await editor.nodeValidity(page, 'csr1')).valid, false);

    // The runtime's verdict, from the same table: a red status that fits and names the fix.
    for (const [id, type, reason] of [
      ['acme1', 'certflow-acme', 'needNames'],
      ['sign1', 'certflow-sign', 'needName'],
      ['csr1', 'certflow-csr', 'needName'],
    ]) {
      const status = await workspaceStatus(id);
      assert.equal(status.text, locale(type).required[reason]);
      assert.equal(status.fill, 'red');
      assert.ok(status.text.length <= 40 && status.width < 260, `${id}: status "${status.text}" is ${Math.round(status.width)} px wide`);
    }
    await page.screenshot({ path: shot('required-status-workspace'), clip: { x: 180, y: 40, width: 700, height: 360 } });

    // In the dialog: the field is marked as you see it, with the sentence; a name clears it.
    await editor.openNodeDialog(page, 'acme1');
    assert.ok(await editor.fieldIsMarkedInvalid(page, 'node-input', 'identifiers'), 'empty Names is marked in the ACME dialog');
    await page.screenshot({ path: shot('acme-dialog-names-required') });
    await editor.typeInto(page, '#node-input-identifiers', 'nodered.example.com');
    assert.ok(!(await editor.fieldIsMarkedInvalid(page, 'node-input', 'identifiers')));
    await page.locator(editor.SEL.cancel).click();
    await page.locator(editor.SEL.done).waitFor({ state: 'detached' });

    await editor.openNodeDialog(page, 'sign1');
    assert.ok(await editor.fieldIsMarkedInvalid(page, 'node-input', 'cn'), 'empty CN is marked in the sign dialog');
    await page.screenshot({ path: shot('sign-dialog-name-required') });
    await editor.typeInto(page, '#node-input-cn + .red-ui-typedInput-container input.red-ui-typedInput-input', 'device.local');
    assert.ok(!(await editor.fieldIsMarkedInvalid(page, 'node-input', 'cn')));
    await editor.clickDone(page);
    assert.equal((await editor.nodeValidity(page, 'sign1')).valid, true);

    await editor.openNodeDialog(page, 'csr1');
    assert.ok(await editor.fieldIsMarkedInvalid(page, 'node-input', 'cn'));
    await page.locator('#node-input-localNames').setChecked(true);
    await page.locator('#node-input-localNames').dispatchEvent('change');
    await page.waitForFunction(() => !document.querySelector('#node-input-cn + .red-ui-typedInput-container.input-error'));
    await page.screenshot({ path: shot('csr-dialog-this-machine') });
    await editor.clickDone(page);
    assert.equal((await editor.nodeValidity(page, 'csr1')).valid, true, "ticking this machine's names is a name");
  });
});

test('a failed message: the status names the fix, Catch and Debug show the sentence without "CertflowError:"', async () => {
  await step('catch', async () => {
    await deployFlow([
      { id: 'go', type: 'inject', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['ins']] },
      { id: 'ins', type: 'certflow-inspect', source: 'file', path: '/nonexistent/cert.pem', pathType: 'str', x: 400, wires: [[], []] },
      { id: 'c', type: 'catch', scope: ['ins'], y: 200, wires: [['d']] },
      { id: 'd', type: 'debug', active: true, tosidebar: true, complete: 'error.message', targetType: 'msg', x: 400, y: 200, wires: [] },
    ]);
    await page.locator(editor.SEL.debugTab).click();
    await page.locator('g.red-ui-flow-node-group[id="go"] .red-ui-flow-node-button').click();
    // the Debug node's own message: a late warning from an earlier flow's node may be listed first
    const shown = page.locator('.red-ui-debug-content .red-ui-debug-msg.red-ui-debug-msg-node-d').first();
    await shown.waitFor();
    const text = await shown.innerText();
    assert.match(text, /cannot read the file "\/nonexistent\/cert\.pem": it does not exist/);
    assert.doesNotMatch(text, /CertflowError/);
    const status = await workspaceStatus('ins');
    assert.equal(status.text, 'cannot read the file: check the path');
    assert.ok(status.width < 260);
    await page.screenshot({ path: shot('status-and-debug-after-error') });
  });
});

test('inspect: the trusted CA is a pasted multi-line PEM or a file path', async () => {
  await step('trust-ca', async () => {
    await deployFlow([{ id: 'ins2', type: 'certflow-inspect', source: 'payload', trust: 'ca', trustCa: 'ca', trustCaType: 'flow' }]);
    await editor.openNodeDialog(page, 'ins2');
    // pasted: a textarea for the whole PEM, many lines
    await page.evaluate(() => $('#node-input-trustCa').typedInput('type', 'pasted'));
    await page.locator('#node-input-trustCaPem').waitFor({ state: 'visible' });
    const pem = [
      '-----BEGIN CERTIFICATE-----',
      'MIIBszCCAVmgAwIBAgIUFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake',
      'AwIBAgIUFakeFakeFake',
      '-----END CERTIFICATE-----',
    ].join('\n');
    await page.locator('#node-input-trustCaPem').fill(pem);
    await page.locator('#node-input-trustCaPem').dispatchEvent('change');
    assert.ok(!(await editor.fieldIsMarkedInvalid(page, 'node-input', 'trustCa')));
    await page.screenshot({ path: shot('inspect-dialog-trust-ca-pasted') });
    await editor.clickDone(page);
    const saved = await page.evaluate(() => {
      const n = RED.nodes.node('ins2');
      return { type: n.trustCaType, pem: n.trustCaPem };
    });
    assert.deepEqual(saved, { type: 'pasted', pem });

    // a file path; an empty one is flagged
    await editor.openNodeDialog(page, 'ins2');
    await page.evaluate(() => $('#node-input-trustCa').typedInput('type', 'file'));
    await page.locator('#node-input-trustCaPem').waitFor({ state: 'hidden' });
    const input = '#node-input-trustCa + .red-ui-typedInput-container input.red-ui-typedInput-input';
    await editor.typeInto(page, input, '');
    assert.ok(await editor.fieldIsMarkedInvalid(page, 'node-input', 'trustCa'), 'an empty CA file path is flagged');
    await editor.typeInto(page, input, '/etc/ssl/my-lan-ca.pem');
    assert.ok(!(await editor.fieldIsMarkedInvalid(page, 'node-input', 'trustCa')));
    await page.screenshot({ path: shot('inspect-dialog-trust-ca-file') });
    await editor.clickDone(page);
    const file = await page.evaluate(() => {
      const n = RED.nodes.node('ins2');
      return { type: n.trustCaType, path: n.trustCa, pem: n.trustCaPem };
    });
    assert.deepEqual(file, { type: 'file', path: '/etc/ssl/my-lan-ca.pem', pem: '' });
  });
});

test('editor: no script errors, no outside requests', () => {
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.blockedRequests, []);
});
