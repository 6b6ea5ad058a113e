'use strict';
// End to end with real processes: this package from `npm pack` in a fresh userDir, a real
// Node-RED 4 process with the settings helper, flows deployed through the admin API, TLS
// clients (node:tls, openssl s_client) judging what the server presents.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { X509Certificate, createPrivateKey } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { startHttpsNodeRed, httpsUserDir, sleep } = require('../harness/node-red-process');
const { userDirWithPackage } = require('../harness/packed-package');
const { servedCertificate, adminRequest, pressInject, waitForNewCertificate } = require('../harness/tls-client');
const { createLocalCa } = require('../../dist/lib/pki/local-ca');
const { startPebble, freeTcpPort } = require('../harness/pebble');
const { accountNode } = require('../harness/acme-flows');

const KILL_ROUNDS = Number(process.env.CERTFLOW_KILL_ROUNDS || 20);

/** inject -> generate key -> create CSR -> sign by the test CA -> Node-RED HTTPS. */
function signingFlow(ca, { loop = false } = {}) {
  const p = loop ? 'loop-' : '';
  // Nodes need x/y: Node-RED takes a node without a position for a config node.
  let x = 0;
  const placed = (node) => (node.type === 'tab' ? node : { x: (x += 150), y: 100, ...node });
  return [
    { id: `${p}tab`, type: 'tab', label: loop ? 'install loop' : 'install' },
    loop
      ? {
          id: `${p}inject`,
          z: `${p}tab`,
          type: 'inject',
          once: true,
          onceDelay: 0.1,
          repeat: '',
          props: [{ p: 'payload' }],
          payload: '',
          payloadType: 'date',
          wires: [[`${p}key`]],
        }
      : {
          id: `${p}inject`,
          z: `${p}tab`,
          type: 'inject',
          once: false,
          repeat: '',
          props: [{ p: 'payload' }],
          payload: '',
          payloadType: 'date',
          wires: [[`${p}key`]],
        },
    { id: `${p}key`, z: `${p}tab`, type: 'certflow-key', algorithm: 'ec-p256', passphraseFromType: 'none', wires: [[`${p}csr`]] },
    {
      id: `${p}csr`,
      z: `${p}tab`,
      type: 'certflow-csr',
      keyFromType: 'bundle',
      passphraseFromType: 'none',
      cn: 'localhost',
      cnType: 'str',
      altNames: 'localhost 127.0.0.1',
      altNamesType: 'str',
      wires: [[`${p}sign`]],
    },
    {
      id: `${p}sign`,
      z: `${p}tab`,
      type: 'certflow-sign',
      mode: 'csr',
      days: '30',
      caKeyFrom: '',
      caKeyFromType: 'pasted',
      caCertFrom: '',
      caCertFromType: 'pasted',
      caCertPem: ca.certPem,
      caKeyPassphraseFromType: 'none',
      credentials: { caKeyPem: ca.keyPem },
      wires: [[`${p}https`]],
    },
    // In the loop, each install's message goes straight back to make the next certificate.
    { id: `${p}https`, z: `${p}tab`, type: 'certflow-https', store: 'node-red', serve: true, files: [], wires: [loop ? [`${p}key`] : []] },
  ].map(placed);
}

const ACME_NAME = 'node-red.example.test';

/**
 * inject -> ACME certificate (Pebble, http-01 answered by Node-RED's own route) -> Node-RED
 * HTTPS. A second inject sends msg.renew = true: a renewal, as the renewal timer would do.
 */
function acmeFlow(pebble) {
  let y = 0;
  const placed = (node) => (node.type === 'tab' || node.type === 'certflow-acme-account' ? node : { x: 200, y: (y += 80), ...node });
  return [
    { id: 'acme-tab', type: 'tab', label: 'ACME' },
    accountNode(pebble),
    { id: 'acme-inject', z: 'acme-tab', type: 'inject', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['acme']] },
    {
      id: 'acme-renew',
      z: 'acme-tab',
      type: 'inject',
      props: [{ p: 'payload' }, { p: 'renew', v: 'true', vt: 'bool' }],
      payload: '',
      payloadType: 'date',
      wires: [['acme']],
    },
    {
      id: 'acme',
      z: 'acme-tab',
      type: 'certflow-acme',
      account: 'acct',
      identifiers: ACME_NAME,
      profile: 'shortlived',
      http01Method: 'route',
      keySource: 'new',
      autoRenew: false,
      wires: [['acme-https'], []],
    },
    { id: 'acme-https', z: 'acme-tab', type: 'certflow-https', store: 'node-red', serve: true, files: [], wires: [[]] },
  ].map(placed);
}
function opensslSClient(port, caFile, name = 'localhost') {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-verify_return_error', '-verify_hostname', name, '-CAfile', caFile],
      { encoding: 'utf8', timeout: 15000 },
      (err, stdout, stderr) => {
        if (err && err.code === 'ENOENT') throw new Error('openssl is missing: apt-get install -y openssl');
        resolve({ code: err ? err.code : 0, stdout, stderr });
      },
    );
    child.stdin.end('Q\n');
  });
}

function storedPair(userDir) {
  const dir = path.join(userDir, 'certificates', 'node-red');
  return {
    key: fs.readFileSync(path.join(dir, 'privkey.pem'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
  };
}

describe(
  'Node-RED serving HTTPS through @certflow/node-red-certificates (real processes)',
  { timeout: 480000 } /* a guard against a hang, not a speed check: 20 Node-RED boots take minutes on a busy machine */,
  () => {
    let userDir;
    let nodeRed;
    let testCa;
    let localCaPem;
    let caFile;
    let trust; // CAs an admin client trusts: the bootstrap local CA and the test CA
    let pebble;
    let port80; // stands in for port 80: redirects http-01 requests to Node-RED's HTTPS port
    const timings = {};

    before(async () => {
      let t0 = Date.now();
      // Let's Encrypt asks http://<name>:80/.well-known/acme-challenge/<token> and follows a
      // redirect to https; with Node-RED on HTTPS that is how http-01 reaches its route.
      port80 = http.createServer((req, res) => {
        const host = String(req.headers.host || '').replace(/:\d+$/, '');
        res.writeHead(301, { location: `https://${host}:${nodeRed.port}${req.url}` }).end();
      });
      const port80Port = await freeTcpPort();
      await new Promise((resolve) => port80.listen(port80Port, '127.0.0.1', resolve));
      [userDir, testCa, pebble] = await Promise.all([
        userDirWithPackage().then((dir) => {
          return httpsUserDir({ userDir: dir, linkPackage: false });
        }),
        createLocalCa({ commonName: 'certflow e2e test CA' }),
        startPebble({ httpPort: port80Port }),
      ]);
      timings.packAndInstall = Date.now() - t0;
      caFile = path.join(userDir, 'test-ca.pem');
      fs.writeFileSync(caFile, testCa.certPem);
      t0 = Date.now();
      nodeRed = await startHttpsNodeRed(userDir);
      timings.firstStart = Date.now() - t0;
    });

    after(async () => {
      await nodeRed?.stop();
      await pebble?.stop();
      port80?.close();
      if (userDir && !process.env.KEEP_TEST_DIRS) fs.rmSync(userDir, { recursive: true, force: true });
      console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
    });

    it('1. serves the bootstrap certificate from the first boot, issued by the local CA for localhost and 127.0.0.1', async () => {
      const cert = await servedCertificate(nodeRed.port);
      localCaPem = fs.readFileSync(path.join(userDir, 'certificates', 'local-ca', 'ca.pem'), 'utf8');
      const localCa = new X509Certificate(localCaPem);
      assert.match(cert.subjectAltName, /DNS:localhost/);
      assert.match(cert.subjectAltName, /IP Address:127\.0\.0\.1/);
      assert.equal(cert.issuer, localCa.subject);
      assert.ok(cert.verify(localCa.publicKey));
      assert.equal(cert.fingerprint256, new X509Certificate(storedPair(userDir).cert).fingerprint256);
      assert.match(nodeRed.log(), /made a bootstrap certificate for .*localhost.*127\.0\.0\.1/);
      trust = [localCaPem, testCa.certPem];
    });

    let installed;
    it('2. a flow deployed through the admin API installs a new certificate: the next TLS connection gets it, no restart', async () => {
      const before = (await servedCertificate(nodeRed.port)).fingerprint256;
      await adminRequest(nodeRed.port, trust, 'POST', '/flows', signingFlow(testCa));
      const t0 = Date.now();
      await pressInject(nodeRed.port, trust, 'inject');
      const cert = await waitForNewCertificate(nodeRed.port, before);
      timings.injectToServed = Date.now() - t0;
      assert.equal(cert.issuer, new X509Certificate(testCa.certPem).subject);
      assert.equal(cert.fingerprint256, new X509Certificate(storedPair(userDir).cert).fingerprint256, 'served = stored');
      installed = cert.fingerprint256;

      const sClient = await opensslSClient(nodeRed.port, caFile);
      assert.equal(sClient.code, 0, sClient.stderr);
      assert.match(sClient.stdout, /Verify return code: 0 \(ok\)/);
      // the admin API keeps answering on the swapped certificate
      const flows = await adminRequest(nodeRed.port, [testCa.certPem], 'GET', '/flows');
      assert.ok(Array.isArray(flows));
    });

    it('3. after a restart the stored certificate is served from the boot', async () => {
      await nodeRed.stop();
      const t0 = Date.now();
      nodeRed = await startHttpsNodeRed(userDir);
      timings.restart = Date.now() - t0;
      assert.equal((await servedCertificate(nodeRed.port)).fingerprint256, installed);
      assert.doesNotMatch(nodeRed.log(), /bootstrap certificate|\[warn\] \[certflow-https\]/);
    });

    it('4. a second install changes the served fingerprint again; the first one is kept as previous', async () => {
      await pressInject(nodeRed.port, [testCa.certPem], 'inject');
      const cert = await waitForNewCertificate(nodeRed.port, installed);
      assert.notEqual(cert.fingerprint256, installed);
      const previous = fs.readFileSync(path.join(userDir, 'certificates', 'node-red', 'previous', 'cert.pem'), 'utf8');
      assert.equal(new X509Certificate(previous).fingerprint256, installed);
      assert.equal((await opensslSClient(nodeRed.port, caFile)).code, 0);
    });

    it(`5. kill -9 during installs, ${KILL_ROUNDS} times: the store always holds a key and certificate that match`, async () => {
      // A flow that installs certificates back to back, from the moment the flows start.
      await adminRequest(nodeRed.port, [testCa.certPem], 'POST', '/flows', signingFlow(testCa, { loop: true }));
      await nodeRed.stop();
      const generation = () => fs.readlinkSync(path.join(userDir, 'certificates', 'node-red', 'current'));
      const t0 = Date.now();
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const before = generation();
        const proc = await startHttpsNodeRed(userDir);
        // Wait until the loop has installed at least once (start-up is slow on a busy machine),
        // then let it run a random while (an install takes tens of ms) and pull the plug.
        const deadline = Date.now() + 90000;
        while (generation() === before && Date.now() < deadline) await sleep(20);
        assert.notEqual(generation(), before, `round ${round}: the install loop did not install within 90 s of the start`);
        await sleep(Math.random() * 300);
        await proc.kill();
        const { key, cert } = storedPair(userDir);
        assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)), `round ${round}: privkey.pem and cert.pem do not match`);
      }
      timings.killRounds = { rounds: KILL_ROUNDS, ms: Date.now() - t0 };

      // And Node-RED boots on what the crash left: no flows this time, the stored pair is served.
      fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
      nodeRed = await startHttpsNodeRed(userDir);
      const served = await servedCertificate(nodeRed.port);
      assert.equal(served.fingerprint256, new X509Certificate(storedPair(userDir).cert).fingerprint256);
      assert.equal((await opensslSClient(nodeRed.port, caFile)).code, 0);
    });
    let acmeServed;
    it("6. ACME: inject -> certflow-acme (Pebble, http-01 through Node-RED's route) -> certflow-https: Pebble's certificate is served, no restart", async () => {
      const pebbleRootFile = path.join(userDir, 'pebble-root.pem');
      fs.writeFileSync(pebbleRootFile, pebble.rootPem);
      const before = (await servedCertificate(nodeRed.port)).fingerprint256;
      await adminRequest(nodeRed.port, [testCa.certPem], 'POST', '/flows', acmeFlow(pebble));
      const t0 = Date.now();
      await pressInject(nodeRed.port, [testCa.certPem], 'acme-inject');
      const cert = await waitForNewCertificate(nodeRed.port, before, 30000);
      timings.acmeInjectToServed = Date.now() - t0;
      assert.equal(cert.issuer, new X509Certificate(pebble.intermediatePem).subject);
      assert.ok(cert.checkHost(ACME_NAME));
      assert.ok(cert.checkIssued(new X509Certificate(pebble.intermediatePem)));
      const days = (new Date(cert.validTo) - new Date(cert.validFrom)) / 86400_000;
      assert.ok(days <= 7, `the shortlived profile was used (${days} days)`);
      assert.equal(cert.fingerprint256, new X509Certificate(storedPair(userDir).cert).fingerprint256);
      const sClient = await opensslSClient(nodeRed.port, pebbleRootFile, ACME_NAME);
      assert.equal(sClient.code, 0, sClient.stderr);
      assert.match(sClient.stdout, /Verify return code: 0 \(ok\)/);
      acmeServed = cert.fingerprint256;
    });

    it('7. ACME: a renewal changes the served fingerprint again, no restart', async () => {
      await pressInject(nodeRed.port, [pebble.rootPem, pebble.intermediatePem], 'acme-renew', { name: ACME_NAME }); // the admin API over the ACME certificate
      const cert = await waitForNewCertificate(nodeRed.port, acmeServed, 30000);
      assert.notEqual(cert.fingerprint256, acmeServed);
      assert.equal(cert.issuer, new X509Certificate(pebble.intermediatePem).subject);
      acmeServed = cert.fingerprint256;
    });

    it('8. ACME: after a restart the renewed certificate is served from the boot', async () => {
      await nodeRed.stop();
      nodeRed = await startHttpsNodeRed(userDir);
      assert.equal((await servedCertificate(nodeRed.port)).fingerprint256, acmeServed);
      assert.equal((await opensslSClient(nodeRed.port, path.join(userDir, 'pebble-root.pem'), ACME_NAME)).code, 0);
    });
  },
);
