'use strict';
// The ACME dialogs against a real ACME server (Pebble on loopback, requiring External Account
// Binding), in headless Chromium on a real Node-RED: the account dialog offers the CA presets,
// and for a directory URL shows the CA's terms-of-service link, that EAB is required, and the
// profiles the directory lists; the ACME certificate dialog then offers those profiles. The EAB
// HMAC key typed into the dialog never comes back from the admin API or reaches the log.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startNodeRed } = require('../harness/node-red-process');
const { startPebble, DEFAULT_PROFILES } = require('../harness/pebble');
const editor = require('../harness/browser');

const EAB_KID = 'kid-editor';
const EAB_HMAC = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W';
const messages = editor.catalogue('certflow-acme-account');

let pebble;
let nodeRed;
let browser;
let page;

before(async () => {
  editor.clearFailureScreenshots((file) => file === 'acme-dialog.png');
  pebble = await startPebble({ eab: { [EAB_KID]: EAB_HMAC } });
  nodeRed = await startNodeRed();
  browser = await editor.launchBrowser();
  page = browser.page;
});

after(() => editor.closeAll(browser, nodeRed, pebble));

test('ACME dialogs: presets, terms link, EAB and profiles from the directory; secrets stay secret', { timeout: 90000 }, async (t) => {
  try {
    await editor.openEditor(page, nodeRed.url, ['certflow-acme', 'certflow-acme-account']);
    await editor.searchPalette(page, 'certflow-acme');
    const id = await editor.dragToWorkspace(page, 'certflow-acme', { x: 300, y: 160 });
    await editor.clearPaletteSearch(page);
    await editor.openNodeDialog(page, id);

    // The account dialog, opened with "+" beside the account select.
    await page.locator('#node-input-btn-account-add').click();
    await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
    const directory = page.locator('#node-config-input-directory');
    await page.waitForFunction(() => document.querySelectorAll('#node-config-input-directory option').length > 2);
    const presets = await directory.locator('option').evaluateAll((options) => options.map((o) => ({ value: o.value, text: o.textContent })));
    t.diagnostic(`presets: ${presets.map((p) => p.text).join(', ')}`);
    assert.ok(
      presets.some((p) => /let'?s ?encrypt/i.test(p.text)),
      "the presets should include Let's Encrypt",
    );
    assert.ok(presets.length >= 3, 'the presets should offer several CAs');
    assert.ok(
      presets.some((p) => p.value === 'custom'),
      'a custom directory URL should be possible',
    );

    // A custom directory: Pebble, trusted through the CA certificate field.
    await directory.selectOption('custom');
    await editor.typeInto(page, '#node-config-input-caPem', pebble.acmeCaPem);
    await editor.typeInto(page, '#node-config-input-directoryUrl', pebble.directoryUrl);

    const meta = JSON.parse((await pebble.get(pebble.directoryUrl)).body).meta;
    const terms = page.locator('#certflow-acme-account-terms a');
    await terms.waitFor({ state: 'visible' });
    assert.equal(await terms.getAttribute('href'), meta.termsOfService, "the terms link should be the directory's termsOfService");
    const info = page.locator('#certflow-acme-account-info');
    await page.waitForFunction(
      () =>
        /\S/.test(document.querySelector('#certflow-acme-account-info').innerText) &&
        !/reading/.test(document.querySelector('#certflow-acme-account-info').innerText),
    );
    const infoText = await info.innerText();
    t.diagnostic(`directory info: ${infoText.replace(/\n/g, ' | ')}`);
    assert.ok(infoText.includes(messages.info.eabRequired), 'the dialog should say that this CA requires External Account Binding');
    for (const profile of Object.keys(DEFAULT_PROFILES)) assert.ok(infoText.includes(profile), `the dialog should list the profile "${profile}"`);

    await editor.typeInto(page, '#node-config-input-contact', 'admin@example.com');
    await page.locator('#node-config-input-agreeTos').setChecked(true);
    await editor.typeInto(page, '#node-config-input-eabKid', EAB_KID);
    await editor.typeInto(page, '#node-config-input-eabHmacKey', EAB_HMAC);
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: editor.screenshotPath('nodes', 'certflow-acme-account-dialog-pebble.png') });
    await page.locator(editor.SEL.configDone).click();
    await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });

    // Back in the ACME certificate dialog: the profiles of the chosen account's CA.
    await page.waitForFunction(() => [...document.querySelectorAll('#node-input-profile option')].some((o) => o.value === 'shortlived'));
    await page.locator('#node-input-profile').selectOption('shortlived');
    await editor.typeInto(page, '#node-input-identifiers', 'nodered.example.com'); // Names are required
    await page.locator('#node-input-autoRenew').setChecked(false); // nothing to validate for here: no order on deploy
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: editor.screenshotPath('nodes', 'certflow-acme-dialog-pebble.png') });
    await editor.clickDone(page);
    const result = await editor.deploy(page);
    assert.ok(result.ok, `deploy failed: ${JSON.stringify(result.notifications)}`);

    // The HMAC key is a credential: not in the flows, never returned, never logged.
    const { flows } = await nodeRed.adminGet('/flows');
    const account = flows.find((n) => n.type === 'certflow-acme-account');
    assert.ok(account, 'the account config node was deployed');
    assert.equal(flows.find((n) => n.id === id).profile, 'shortlived');
    assert.ok(!JSON.stringify(flows).includes(EAB_HMAC), 'the HMAC key is in the flows');
    const credentials = await nodeRed.adminGet(`/credentials/certflow-acme-account/${account.id}`);
    assert.ok(!JSON.stringify(credentials).includes(EAB_HMAC), 'the admin API returned the HMAC key');
    assert.equal(credentials.has_eabHmacKey, true);
    assert.ok(!nodeRed.log().includes(EAB_HMAC), 'the HMAC key reached the log');
  } catch (err) {
    await page.screenshot({ path: editor.screenshotPath('failures', 'acme-dialog.png') }).catch(() => {});
    throw err;
  }
});
