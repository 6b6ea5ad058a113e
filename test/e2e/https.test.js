'use strict';
// End to end with real processes: this package from `npm pack` in a fresh userDir, a real
// Node-RED 4 process with the settings helper, flows deployed through the admin API, TLS
// clients (node:tls, openssl s_client) judging what the server presents.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const { X509Certificate, createPrivateKey } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { userDirWithPackage, startNodeRed, servedCertificate, adminRequest, pressInject, waitForNewCertificate, sleep } = require('./https-node-red');
const { createLocalCa } = require('../../dist/lib/local-ca');

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
      ? { id: `${p}inject`, z: `${p}tab`, type: 'inject', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [[`${p}key`]] }
      : { id: `${p}inject`, z: `${p}tab`, type: 'inject', once: false, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [[`${p}key`]] },
    { id: `${p}key`, z: `${p}tab`, type: 'certflow-key', algorithm: 'ec-p256', passphraseFromType: 'none', wires: [[`${p}csr`]] },
    { id: `${p}csr`, z: `${p}tab`, type: 'certflow-csr', keyFromType: 'bundle', passphraseFromType: 'none', cn: 'localhost', cnType: 'str', altNames: 'localhost 127.0.0.1', altNamesType: 'str', wires: [[`${p}sign`]] },
    {
      id: `${p}sign`, z: `${p}tab`, type: 'certflow-sign', mode: 'csr', days: '30',
      caKeyFrom: '', caKeyFromType: 'pasted', caCertFrom: '', caCertFromType: 'pasted', caCertPem: ca.certPem, caKeyPassphraseFromType: 'none',
      credentials: { caKeyPem: ca.keyPem },
      wires: [[`${p}https`]],
    },
    // In the loop, each install's message goes straight back to make the next certificate.
    { id: `${p}https`, z: `${p}tab`, type: 'certflow-https', store: 'node-red', serve: true, files: [], wires: [loop ? [`${p}key`] : []] },
  ].map(placed);
}

function opensslSClient(port, caFile) {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-verify_return_error', '-verify_hostname', 'localhost', '-CAfile', caFile],
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

describe('Node-RED serving HTTPS through @certflow/node-red-certificates (real processes)', { timeout: 170000 }, () => {
  let userDir;
  let nodeRed;
  let testCa;
  let localCaPem;
  let caFile;
  let trust; // CAs an admin client trusts: the bootstrap local CA and the test CA
  const timings = {};

  before(async () => {
    let t0 = Date.now();
    [userDir, testCa] = await Promise.all([userDirWithPackage(), createLocalCa({ commonName: 'certflow e2e test CA' })]);
    timings.packAndInstall = Date.now() - t0;
    caFile = path.join(userDir, 'test-ca.pem');
    fs.writeFileSync(caFile, testCa.certPem);
    t0 = Date.now();
    nodeRed = await startNodeRed(userDir);
    timings.firstStart = Date.now() - t0;
  });

  after(async () => {
    await nodeRed?.stop();
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
    nodeRed = await startNodeRed(userDir);
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
    let roundsWithInstalls = 0;
    const t0 = Date.now();
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const before = generation();
      const proc = await startNodeRed(userDir);
      // Let the loop run a random while (an install takes tens of ms), then pull the plug.
      await sleep(250 + Math.random() * 500);
      await proc.kill();
      if (generation() !== before) roundsWithInstalls += 1;
      const { key, cert } = storedPair(userDir);
      assert.ok(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)), `round ${round}: privkey.pem and cert.pem do not match`);
    }
    timings.killRounds = { rounds: KILL_ROUNDS, ms: Date.now() - t0, roundsWithInstalls };
    assert.ok(roundsWithInstalls >= KILL_ROUNDS * 0.75, `installs ran in only ${roundsWithInstalls} of ${KILL_ROUNDS} rounds`);

    // And Node-RED boots on what the crash left: no flows this time, the stored pair is served.
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    nodeRed = await startNodeRed(userDir);
    const served = await servedCertificate(nodeRed.port);
    assert.equal(served.fingerprint256, new X509Certificate(storedPair(userDir).cert).fingerprint256);
    assert.equal((await opensslSClient(nodeRed.port, caFile)).code, 0);
  });
});
