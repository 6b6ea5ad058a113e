'use strict';
// Issue 11: the DNS provider (certflow-dns) as a user meets it, in headless Chromium on a real
// Node-RED: the ACME node's dialog offers it only for dns-01 with "TXT records by: a DNS
// provider"; "+" opens the DNS provider dialog; each provider shows its own fields, the
// secrets as password inputs; "Test" lists the zones the credentials reach - against local
// fakes that follow each provider's documented API (test/harness/dns-fakes.js) and a real
// BIND 9 for RFC 2136 - and a wrong token gives a clear error that never shows the token. The
// provider saved and deployed keeps its token as a credential: not in the flows, never sent
// back, never logged; Test with the password field left as the editor shows it uses it.
// Screenshots: .screenshots/nodes/certflow-dns-<provider>.png (git-ignored).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { startNodeRed } = require('../harness/node-red-process');
const { startBind } = require('../harness/bind');
const { fakeCloudflare, fakeDesec, fakeHetzner, fakeRoute53 } = require('../harness/dns-fakes');
const editor = require('../harness/browser');

const messages = editor.catalogue('certflow-dns');
const acmeMessages = editor.catalogue('certflow-acme');

const TOKEN = 'cf-token-for-the-editor-test-0123456789';
const WRONG_TOKEN = 'a-wrong-token-typed-in-the-dialog-98765';
const AWS = { accessKeyId: 'AKIAEDITORTEST000001', secretAccessKey: 'editor-test-aws-secret-key/0123456789abcdef' };
const ZONES = ['example.test', 'other.test'];

// The fields each provider shows (element ids after node-config-input-), besides the provider
// select, NS port and name, which every provider shows. Secrets are password inputs.
const FIELDS = {
  cloudflare: ['token', 'apiUrl'],
  duckdns: ['token', 'domain', 'apiUrl'],
  desec: ['token', 'apiUrl'],
  'acme-dns': ['server', 'username', 'password', 'subdomain', 'fulldomain', 'apiUrl'],
  route53: ['accessKeyId', 'secret', 'hostedZoneId', 'apiUrl'],
  hetzner: ['token', 'apiUrl'],
  rfc2136: ['server', 'keyName', 'algorithm', 'secret', 'zone'],
};
const SECRETS = ['token', 'password', 'secret'];
const ALL_FIELDS = [...new Set(Object.values(FIELDS).flat())];

let bind;
let fakes;
let nodeRed;
let browser;
let page;

before(async () => {
  editor.clearFailureScreenshots((file) => file.startsWith('dns-dialog'));
  bind = await startBind({ zones: { 'example.test': ['@ IN A 127.0.0.1'] } });
  fakes = {
    cloudflare: await fakeCloudflare(bind, { token: TOKEN, zones: ZONES }),
    desec: await fakeDesec(bind, { token: TOKEN, domains: ZONES }),
    hetzner: await fakeHetzner(bind, { token: TOKEN, zones: ZONES }),
    route53: await fakeRoute53(bind, { ...AWS, zones: ZONES }),
  };
  nodeRed = await startNodeRed();
  browser = await editor.launchBrowser();
  page = browser.page;
});

after(() => editor.closeAll(browser, nodeRed, ...Object.values(fakes || {}), bind));

/** The DNS provider fields the open config dialog shows: { id: inputType }. */
function shownFields() {
  return page.evaluate((ids) => {
    const shown = {};
    for (const id of ids) {
      const el = document.getElementById(`node-config-input-${id}`);
      if (el && el.offsetParent !== null) shown[id] = el.tagName === 'SELECT' ? 'select' : el.getAttribute('type') || 'text';
    }
    return shown;
  }, ALL_FIELDS);
}

/** Presses Test; resolves with the answer the dialog shows once the provider has answered. */
async function pressTest() {
  await page.locator('#certflow-dns-test').click();
  await page.waitForFunction(
    (running) => {
      const text = document.getElementById('certflow-dns-result').innerText.trim();
      return text !== '' && text !== running;
    },
    messages.test.running,
    { timeout: 20000 },
  );
  return page.evaluate(() => {
    const el = document.getElementById('certflow-dns-result');
    return { text: el.innerText.trim(), error: el.classList.contains('certflow-dns-error') };
  });
}

const expectedZones = (label) => messages.test.zones.replace('__provider__', label).replace('__zones__', ZONES.join(', '));

test(
  'DNS provider dialog: added from the ACME dialog, fields per provider, Test lists zones, a wrong token is a clear error',
  { timeout: 120000 },
  async (t) => {
    try {
      await editor.openEditor(page, nodeRed.url, ['certflow-acme', 'certflow-dns']);
      await editor.resetFlows(page, nodeRed, ['certflow-acme', 'certflow-dns']);
      await editor.searchPalette(page, 'certflow-acme');
      const id = await editor.dragToWorkspace(page, 'certflow-acme', { x: 300, y: 160 });
      await editor.clearPaletteSearch(page);
      await editor.openNodeDialog(page, id);

      // The provider picker belongs to dns-01 done by a DNS provider, and shows only then.
      const addProvider = page.locator('#node-input-btn-dnsProvider-add');
      assert.equal(await addProvider.isVisible(), false, 'with http-01 the dialog should not offer a DNS provider');
      await page.locator('#node-input-challengeDns').selectOption('dns-01');
      await page.locator('#node-input-dnsMethod').waitFor({ state: 'visible' });
      await page.locator('#node-input-dnsMethod').selectOption('flow');
      assert.equal(await addProvider.isVisible(), false, 'TXT records by the flow: no DNS provider to pick');
      await page.locator('#node-input-dnsMethod').selectOption('provider');
      await addProvider.waitFor({ state: 'visible' });
      // Nothing chosen yet: the editor says what to do.
      await editor.typeInto(page, '#node-input-identifiers', '*.example.test, example.test');
      const before = await page.evaluate((nodeId) => {
        const node = RED.nodes.node(nodeId);
        return RED.nodes.getType('certflow-acme').defaults.dnsProvider.validate.call(node, '', {});
      }, id);
      assert.equal(before, acmeMessages.validation.dnsProvider);

      // "+" beside the picker: a new DNS provider.
      await addProvider.click();
      await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
      await editor.traysSettled(page); // the tray slides in
      assert.equal(await editor.trayTitle(page), `Add new ${messages.paletteLabel} config node`);

      // Each provider: its own fields; tokens, passwords and secrets typed into password inputs.
      const provider = page.locator('#node-config-input-provider');
      const offered = await provider.locator('option').evaluateAll((options) => options.map((o) => o.value));
      assert.deepEqual(offered.sort(), Object.keys(FIELDS).sort());
      for (const [name, fields] of Object.entries(FIELDS)) {
        await provider.selectOption(name);
        const shown = await shownFields();
        assert.deepEqual(Object.keys(shown).sort(), [...fields].sort(), `${name}: the fields shown`);
        for (const field of fields) {
          if (SECRETS.includes(field)) assert.equal(shown[field], 'password', `${name}: ${field} should be a password input`);
          else assert.notEqual(shown[field], 'password', `${name}: ${field} is no secret`);
        }
        assert.ok(await page.locator('#certflow-dns-test').isVisible(), `${name}: the Test button`);
        await page
          .locator('.red-ui-tray')
          .last()
          .screenshot({ path: editor.screenshotPath('nodes', `certflow-dns-${name}.png`) });
      }

      // Test: the zones each token can edit, from the provider's API (a local fake of it).
      const answers = {};
      for (const [name, label, fill] of [
        ['cloudflare', 'Cloudflare', { token: TOKEN }],
        ['desec', 'deSEC', { token: TOKEN }],
        ['hetzner', 'Hetzner', { token: TOKEN }],
        ['route53', 'Route 53', { accessKeyId: AWS.accessKeyId, secret: AWS.secretAccessKey }],
      ]) {
        await provider.selectOption(name);
        await editor.typeInto(page, '#node-config-input-apiUrl', fakes[name].url);
        for (const [field, value] of Object.entries(fill)) await editor.typeInto(page, `#node-config-input-${field}`, value);
        answers[name] = await pressTest();
        t.diagnostic(`${name}: ${answers[name].text}`);
        assert.equal(answers[name].error, false, `${name}: ${answers[name].text}`);
        assert.equal(answers[name].text, expectedZones(label));
      }

      // RFC 2136 against a real BIND: the zone, with the TSIG key.
      await provider.selectOption('rfc2136');
      await editor.typeInto(page, '#node-config-input-server', bind.server);
      await editor.typeInto(page, '#node-config-input-keyName', bind.key.name);
      await page.locator('#node-config-input-algorithm').selectOption(bind.key.algorithm);
      await editor.typeInto(page, '#node-config-input-secret', bind.key.secret);
      await editor.typeInto(page, '#node-config-input-zone', 'example.test');
      const rfc2136 = await pressTest();
      assert.equal(rfc2136.error, false, rfc2136.text);
      assert.match(rfc2136.text, /accepts these credentials for: example\.test$/);

      // A wrong token: a clear error naming the provider, the refusal and the fix; never the token.
      await provider.selectOption('cloudflare');
      await editor.typeInto(page, '#node-config-input-token', WRONG_TOKEN);
      const wrong = await pressTest();
      t.diagnostic(`wrong token: ${wrong.text}`);
      assert.equal(wrong.error, true, 'the answer should be shown as an error');
      assert.match(
        wrong.text,
        /^Cloudflare refused listing the zones \(HTTP 403\): the token is not valid or lacks a permission: it needs Zone:DNS:Edit/,
      );
      await page
        .locator('.red-ui-tray')
        .last()
        .screenshot({ path: editor.screenshotPath('nodes', 'certflow-dns-wrong-token.png') });
      const pageText = await page.evaluate(() => document.body.innerText);
      assert.ok(!pageText.includes(WRONG_TOKEN), 'the wrong token is shown in the page');
      assert.ok(!pageText.includes(TOKEN), 'the token is shown in the page');

      // Save the right token and deploy: a credential, never in the flows, never sent back or logged.
      await editor.typeInto(page, '#node-config-input-token', TOKEN);
      await editor.typeInto(page, '#node-config-input-apiUrl', fakes.cloudflare.url);
      await page.locator(editor.SEL.configDone).click();
      await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });
      await page.waitForFunction(() => {
        const v = document.getElementById('node-input-dnsProvider').value;
        return v && v !== '_ADD_';
      });
      await page.locator('#node-input-autoRenew').setChecked(false); // no order at deploy
      await page.locator('#node-input-btn-account-add').click(); // an account, so the node is complete
      await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
      await editor.traysSettled(page);
      await editor.typeInto(page, '#node-config-input-contact', 'admin@example.com');
      await page.locator('#node-config-input-agreeTos').setChecked(true);
      await page.locator(editor.SEL.configDone).click();
      await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });
      await editor.clickDone(page);
      const logBefore = nodeRed.log().length;
      const result = await editor.deploy(page);
      assert.ok(result.ok, `deploy failed: ${JSON.stringify(result.notifications)}`);
      const { flows } = await nodeRed.adminGet('/flows');
      const dns = flows.find((n) => n.type === 'certflow-dns');
      assert.ok(dns, 'the DNS provider was deployed');
      assert.equal(dns.provider, 'cloudflare');
      assert.equal(flows.find((n) => n.id === id).dnsProvider, dns.id);
      assert.ok(!JSON.stringify(flows).includes(TOKEN), 'the token is in the flows');
      const credentials = await nodeRed.adminGet(`/credentials/certflow-dns/${dns.id}`);
      assert.ok(!JSON.stringify(credentials).includes(TOKEN), 'the admin API returned the token');
      assert.equal(credentials.has_token, true);

      // Reopened, the token field shows the editor's placeholder: Test uses the deployed token.
      await editor.openNodeDialog(page, id);
      await page.locator('#node-input-btn-dnsProvider-edit').click();
      await page.locator(editor.SEL.configDone).waitFor({ state: 'visible' });
      await editor.traysSettled(page);
      assert.notEqual(await page.locator('#node-config-input-token').inputValue(), TOKEN);
      const again = await pressTest();
      assert.equal(again.text, expectedZones('Cloudflare'));
      await page.locator('#node-config-dialog-cancel').click();
      await page.locator(editor.SEL.configDone).waitFor({ state: 'detached' });
      await page.locator(editor.SEL.cancel).click();

      assert.ok(!nodeRed.log().includes(TOKEN) && !nodeRed.log().includes(WRONG_TOKEN), 'a token reached the log');
      assert.doesNotMatch(nodeRed.log().slice(logBefore), /\[(error|warn)\]/, 'deploying logged a problem');
    } catch (err) {
      await page.screenshot({ path: editor.screenshotPath('failures', 'dns-dialog.png') }).catch(() => {});
      throw err;
    }
  },
);

test('DNS provider dialog: the page raised no script errors and made no outside requests', () => {
  assert.deepEqual(browser.pageErrors, [], 'uncaught errors in the editor page');
  assert.deepEqual(browser.blockedRequests, [], 'the editor tried to reach the internet');
});
