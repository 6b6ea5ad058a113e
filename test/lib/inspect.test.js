'use strict';
// lib/inspect: every field agrees with what `openssl x509` says, on certificates openssl makes,
// certificates lib/sign makes and a real root from Node's store; plus the checks, warnings, and
// the clear errors for keys, CSRs and PKCS#12 inputs.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { inspect, inspectCertificate } = require('../../dist/lib/inspect/inspect');
const keys = require('../../dist/lib/pki/keys');
const { createCsr } = require('../../dist/lib/pki/csr');
const sign = require('../../dist/lib/pki/sign');
const { tempDir, makeCa, makeLeaf, opensslOk, x509Fields, exportPkcs12WithOpenssl } = require('../helpers/openssl');
const { rootValidNow } = require('../harness/system-roots');

let tmp;
let ca; // openssl: EC P-256 root
let intermediate; // openssl: RSA 2048 intermediate, pathlen 0
let rich; // openssl: RSA leaf with every extension inspect reads
before(async () => {
  tmp = await tempDir('certflow-inspect-');
  ca = await makeCa(tmp, 'Inspect Root', { subject: '/C=US/O=Certflow Tests/CN=Inspect Root' });
  intermediate = await makeCa(tmp, 'Inspect Intermediate', { keyType: 'rsa2048', issuer: ca, pathlen: 0 });
  rich = await makeLeaf(tmp, 'rich.example', {
    issuer: intermediate,
    subject: '/C=DE/ST=Berlin/L=Berlin/O=Example, Inc./OU=Ops/CN=rich.example/emailAddress=ops@rich.example',
    keyType: 'rsa2048',
    san: 'DNS:rich.example,DNS:*.rich.example,IP:192.0.2.10,IP:2001:db8::10,email:ops@rich.example,URI:https://rich.example/id',
    extra: [
      'extendedKeyUsage=serverAuth,clientAuth',
      'authorityInfoAccess=OCSP;URI:http://ocsp.rich.example,caIssuers;URI:http://ca.rich.example/int.crt',
      'crlDistributionPoints=URI:http://crl.rich.example/int.crl',
      'certificatePolicies=2.23.140.1.2.2,1.3.6.1.4.1.99999.1',
    ],
  });
});
after(() => tmp.cleanup());

// ---- what openssl says ---------------------------------------------------------------------

const EKU_NAMES = {
  'TLS Web Server Authentication': 'serverAuth',
  'TLS Web Client Authentication': 'clientAuth',
  'Code Signing': 'codeSigning',
  'E-mail Protection': 'emailProtection',
  'Time Stamping': 'timeStamping',
  'OCSP Signing': 'OCSPSigning',
};
const KU_NAMES = {
  'Digital Signature': 'digitalSignature',
  'Non Repudiation': 'nonRepudiation',
  'Key Encipherment': 'keyEncipherment',
  'Data Encipherment': 'dataEncipherment',
  'Key Agreement': 'keyAgreement',
  'Certificate Sign': 'keyCertSign',
  'CRL Sign': 'cRLSign',
  'Encipher Only': 'encipherOnly',
  'Decipher Only': 'decipherOnly',
};
const NAMEOPT = ['-nameopt', 'esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_der,sep_comma_plus_space,sname'];

/** The lines under an `openssl x509 -text` heading (more indented than it). */
function section(text, heading) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim().startsWith(heading));
  if (at < 0) return undefined;
  const indent = lines[at].search(/\S/);
  const body = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '' || line.search(/\S/) <= indent) break;
    body.push(line.trim());
  }
  return body;
}

/** 2001:DB8:0:0:0:0:0:10 and 2001:db8::10 compare equal. */
function canonicalIp(ip) {
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.toLowerCase().split('::');
  const a = head ? head.split(':') : [];
  const b = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? a : [...a, ...Array(8 - a.length - b.length).fill('0'), ...b];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

async function opensslFacts(pem) {
  const out = await x509Fields(pem, ['-serial', '-fingerprint', '-sha256', '-dates', '-subject', '-issuer', ...NAMEOPT]);
  const sha1 = await x509Fields(pem, ['-fingerprint', '-sha1']);
  const text = await x509Fields(pem, ['-text']);
  const value = (re, from = out) => re.exec(from)?.[1]?.trim();
  const san = section(text, 'X509v3 Subject Alternative Name')?.join(', ');
  const bc = section(text, 'X509v3 Basic Constraints')?.[0];
  return {
    serial: value(/^serial=(.*)$/m).toLowerCase(),
    fingerprintSha256: value(/^sha256 Fingerprint=(.*)$/im),
    fingerprintSha1: value(/^sha1 Fingerprint=(.*)$/im, sha1),
    notBefore: new Date(value(/^notBefore=(.*)$/m)).toISOString(),
    notAfter: new Date(value(/^notAfter=(.*)$/m)).toISOString(),
    subject: value(/^subject=(.*)$/m),
    issuer: value(/^issuer=(.*)$/m),
    altNames: san
      ? san.split(', ').map((entry) => {
          const [, type, v] = /^(DNS|IP Address|email|URI):(.*)$/.exec(entry);
          return { type: { DNS: 'dns', 'IP Address': 'ip', email: 'email', URI: 'uri' }[type], value: type === 'IP Address' ? canonicalIp(v) : v };
        })
      : [],
    bits: Number(value(/Public-Key: \((\d+) bit\)/, text) ?? 0),
    curve: value(/NIST CURVE: (\S+)/, text),
    keyAlgorithm: value(/Public Key Algorithm: (\S+)/, text),
    signatureAlgorithm: value(/Signature Algorithm: (\S+)/, text),
    isCa: bc ? bc.startsWith('CA:TRUE') : false,
    pathLength: bc && /pathlen:(\d+)/.test(bc) ? Number(/pathlen:(\d+)/.exec(bc)[1]) : undefined,
    keyUsage: (section(text, 'X509v3 Key Usage')?.[0] ?? '')
      .split(', ')
      .filter(Boolean)
      .map((k) => KU_NAMES[k]),
    extendedKeyUsage: (section(text, 'X509v3 Extended Key Usage')?.[0] ?? '')
      .split(', ')
      .filter(Boolean)
      .map((k) => EKU_NAMES[k] ?? k),
    subjectKeyIdentifier: section(text, 'X509v3 Subject Key Identifier')?.[0],
    authorityKeyIdentifier: section(text, 'X509v3 Authority Key Identifier')?.[0]?.replace(/^keyid:/, ''),
    ocspUrls: (section(text, 'Authority Information Access') ?? []).filter((l) => l.startsWith('OCSP - URI:')).map((l) => l.slice(11)),
    caIssuersUrls: (section(text, 'Authority Information Access') ?? []).filter((l) => l.startsWith('CA Issuers - URI:')).map((l) => l.slice(17)),
    crlDistributionPoints: (section(text, 'X509v3 CRL Distribution Points') ?? []).filter((l) => l.startsWith('URI:')).map((l) => l.slice(4)),
    // openssl names the one policy it knows (anyPolicy); inspect reports every policy by its OID
    policies: (section(text, 'X509v3 Certificate Policies') ?? [])
      .filter((l) => l.startsWith('Policy:'))
      .map((l) => l.slice(8))
      .map((policy) => (policy === 'X509v3 Any Policy' ? '2.5.29.32.0' : policy)),
  };
}

async function spkiPinByOpenssl(pem) {
  const publicKey = await x509Fields(pem, ['-pubkey']);
  const der = await opensslOk(['pkey', '-pubin', '-outform', 'DER'], { input: publicKey, encoding: 'buffer' });
  return require('node:crypto').createHash('sha256').update(der).digest('base64');
}

async function assertAgreesWithOpenssl(pem, what) {
  const info = inspectCertificate(pem);
  const facts = await opensslFacts(pem);
  const same = (field, ours = info[field]) => assert.deepEqual(ours, facts[field], `${what}: ${field}`);
  for (const field of [
    'serial',
    'fingerprintSha256',
    'fingerprintSha1',
    'notBefore',
    'notAfter',
    'subject',
    'issuer',
    'signatureAlgorithm',
    'isCa',
    'keyUsage',
    'extendedKeyUsage',
    'ocspUrls',
    'caIssuersUrls',
    'crlDistributionPoints',
    'policies',
  ])
    same(field);
  same(
    'altNames',
    info.altNames.map((n) => ({ type: n.type, value: n.type === 'ip' ? canonicalIp(n.value) : n.value })),
  );
  same('pathLength');
  same('subjectKeyIdentifier');
  same('authorityKeyIdentifier');
  if (facts.curve) assert.equal(info.publicKey.curve, facts.curve, `${what}: curve`);
  if (facts.keyAlgorithm === 'ED25519') assert.equal(info.publicKey.type, 'Ed25519', `${what}: key type`);
  else assert.equal(info.publicKey.bits, facts.bits, `${what}: key bits`);
  assert.equal(info.spkiPin, await spkiPinByOpenssl(pem), `${what}: SPKI pin`);
  return info;
}

// ---- agreement with openssl ------------------------------------------------------------------

test('certificates openssl made: every field agrees with `openssl x509`', async () => {
  const info = await assertAgreesWithOpenssl(rich.pem, 'openssl leaf');
  // the facts are really there (not two empty lists agreeing)
  assert.equal(info.subject, 'C=DE, ST=Berlin, L=Berlin, O=Example\\, Inc., OU=Ops, CN=rich.example, emailAddress=ops@rich.example');
  assert.deepEqual(info.subjectFields, {
    C: 'DE',
    ST: 'Berlin',
    L: 'Berlin',
    O: 'Example, Inc.',
    OU: 'Ops',
    CN: 'rich.example',
    emailAddress: 'ops@rich.example',
  });
  assert.deepEqual(info.altNames, [
    { type: 'dns', value: 'rich.example' },
    { type: 'dns', value: '*.rich.example' },
    { type: 'ip', value: '192.0.2.10' },
    { type: 'ip', value: '2001:db8::10' },
    { type: 'email', value: 'ops@rich.example' },
    { type: 'uri', value: 'https://rich.example/id' },
  ]);
  assert.deepEqual(info.extendedKeyUsage, ['serverAuth', 'clientAuth']);
  assert.deepEqual(info.policies, ['2.23.140.1.2.2', '1.3.6.1.4.1.99999.1']);
  assert.equal(info.signatureAlgorithm, 'sha256WithRSAEncryption');
  assert.deepEqual(info.publicKey, { type: 'RSA', bits: 2048, label: 'RSA 2048', spkiSha256: info.publicKey.spkiSha256 });
  assert.equal(info.version, 3);

  const intInfo = await assertAgreesWithOpenssl(intermediate.pem, 'openssl intermediate');
  assert.equal(intInfo.isCa, true);
  assert.equal(intInfo.pathLength, 0);
  assert.deepEqual(intInfo.keyUsage, ['keyCertSign', 'cRLSign']);
  const rootInfo = await assertAgreesWithOpenssl(ca.pem, 'openssl root');
  assert.equal(rootInfo.selfSigned, true);
  assert.equal(rootInfo.signatureAlgorithm, 'ecdsa-with-SHA256');
  assert.equal(rootInfo.publicKey.label, 'EC P-256');
});

test('serial numbers: high bit set, leading zero bytes, tiny ones, all as `openssl x509 -serial` prints them', async () => {
  for (const serial of ['8f00aa11223344556677889900aabbcc', '00ff', '01', '7fffffff', '1000']) {
    const leaf = await makeLeaf(tmp, `serial-${serial}`, { issuer: ca, serial });
    const info = inspectCertificate(leaf.pem);
    const printed = (await x509Fields(leaf.pem, ['-serial'])).trim().replace('serial=', '').toLowerCase();
    assert.equal(info.serial, printed, serial);
  }
});

test('certificates lib/sign made (EC P-384 root, RSA intermediate, EC leaf with clientAuth, Ed25519 self-signed) agree with openssl', async () => {
  const rootKey = await keys.generateKey('ec-p384');
  const root = await sign.createCaCertificate({ key: rootKey.key, subject: { CN: 'Sign Root', O: 'Certflow' }, pathLength: 1 });
  const intKey = await keys.generateKey('rsa-2048');
  const int = await sign.createCaCertificate({ key: intKey.key, subject: { CN: 'Sign Intermediate' }, issuer: { key: rootKey.key, cert: root } });
  const leafKey = await keys.generateKey('ec-p256');
  const csr = await createCsr({ key: leafKey.key, subject: { CN: 'svc.example.com' }, altNames: ['svc.example.com', '10.1.2.3', 'fd00::5'] });
  const leaf = await sign.signCsr({ csr, caKey: intKey.key, caCert: int, clientAuth: true, days: 30 });
  const edKey = await keys.generateKey('ed25519');
  const selfSigned = await sign.createSelfSigned({ key: edKey.key, subject: { CN: 'ed.example' }, days: 10 });

  const rootInfo = await assertAgreesWithOpenssl(root, 'lib root');
  assert.equal(rootInfo.pathLength, 1);
  assert.equal(rootInfo.publicKey.curve, 'P-384');
  await assertAgreesWithOpenssl(int, 'lib intermediate');
  const leafInfo = await assertAgreesWithOpenssl(leaf, 'lib leaf');
  assert.deepEqual(leafInfo.extendedKeyUsage, ['serverAuth', 'clientAuth']);
  assert.deepEqual(
    leafInfo.altNames.map((n) => n.value),
    ['svc.example.com', '10.1.2.3', 'fd00::5'],
  );
  assert.equal(leafInfo.publicKey.spkiSha256, leafKey.description.spkiSha256, 'the same SPKI hash describeKey gives for the key');
  assert.equal(leafInfo.lifetimeDays, 30);
  const edInfo = await assertAgreesWithOpenssl(selfSigned, 'lib Ed25519');
  assert.equal(edInfo.signatureAlgorithm, 'ED25519');
  assert.equal(edInfo.publicKey.label, 'Ed25519');
  assert.equal(edInfo.selfSigned, true);
});

test("a real root from Node's store agrees with openssl", async () => {
  const root = rootValidNow();
  const info = await assertAgreesWithOpenssl(root.pem, `system root ${root.subject}`);
  assert.equal(info.isCa, true);
  assert.equal(info.selfSigned, true);
});

// ---- time, summary, warnings -----------------------------------------------------------------

test('days remaining, lifetime and percentage follow opts.now; the summary says it in one line', async () => {
  const info = inspectCertificate(rich.pem);
  const notBefore = new Date(info.notBefore);
  const halfway = new Date(notBefore.getTime() + 45 * 86400e3);
  const result = await inspect(rich.pem, { now: halfway });
  const c = result.certificates[0];
  assert.equal(c.lifetimeDays, 90);
  assert.equal(c.daysRemaining, 45);
  assert.equal(c.percentRemaining, 50);
  assert.equal(result.summary, `CN=rich.example, expires in 45 days (${info.notAfter.slice(0, 10)}), issued by Inspect Intermediate`);
  assert.equal(Object.keys(result)[0], 'summary', 'summary comes first in the Debug sidebar');
  assert.equal(result.ok, true);

  const later = await inspect(rich.pem, { now: new Date(new Date(info.notAfter).getTime() + 3 * 86400e3 + 1000) });
  assert.equal(later.certificates[0].expired, true);
  assert.equal(later.certificates[0].daysRemaining, -4);
  assert.equal(later.ok, false);
  assert.equal(later.summary, `CN=rich.example, EXPIRED 3 days ago (${info.notAfter.slice(0, 10)}), issued by Inspect Intermediate`);
  assert.deepEqual(later.problems, [`CN=rich.example expired on ${info.notAfter.slice(0, 10)}`]);

  const early = await inspect(rich.pem, { now: new Date(notBefore.getTime() - 86400e3) });
  assert.equal(early.certificates[0].notYetValid, true);
  assert.match(early.problems[0], /not valid before/);
});

test('warnings: RSA 1024, SHA-1 signature, lifetime over 398 days, and expiring within warnDays', async () => {
  const weak = await makeLeaf(tmp, 'weak.example', { issuer: intermediate, keyType: 'rsa1024' });
  const sha1 = await makeLeaf(tmp, 'sha1.example', { issuer: intermediate, md: 'sha1' });
  const long = await makeLeaf(tmp, 'long.example', { issuer: intermediate, days: 825 });
  const soon = await makeLeaf(tmp, 'soon.example', { issuer: intermediate, days: 10 });

  assert.deepEqual((await inspect(weak.pem)).warnings, ['CN=weak.example has a weak RSA 1024 key: use at least 2048 bits']);
  const sha1Result = await inspect(sha1.pem);
  assert.equal(sha1Result.certificates[0].signatureAlgorithm, 'sha1WithRSAEncryption');
  assert.deepEqual(sha1Result.warnings, ['CN=sha1.example is signed with sha1WithRSAEncryption, which clients reject: reissue it with SHA-256']);
  assert.deepEqual((await inspect(long.pem)).warnings, [
    'CN=long.example is valid for 825 days, more than the 398 browsers accept for a server certificate',
  ]);
  const soonResult = await inspect(soon.pem);
  assert.match(soonResult.warnings[0], /^CN=soon\.example expires in (9|10) days \(\d{4}-\d\d-\d\d\)$/);
  assert.match(soonResult.summary, /, 1 warning$/);
  assert.deepEqual((await inspect(soon.pem, { warnDays: 5 })).warnings, [], 'warnDays moves the threshold');
  assert.deepEqual((await inspect(rich.pem)).warnings, []);
});

test('host name and IP checks on the leaf', async () => {
  const good = await inspect(rich.pem, { host: 'www.rich.example' });
  assert.deepEqual(good.checks.host, { name: 'www.rich.example', matches: true });
  assert.match(good.summary, /valid for www\.rich\.example$/);
  assert.equal((await inspect(rich.pem, { host: '192.0.2.10' })).checks.host.matches, true);
  assert.equal((await inspect(rich.pem, { host: '2001:db8::10' })).checks.host.matches, true);
  const wrong = await inspect(rich.pem, { host: 'other.example' });
  assert.equal(wrong.ok, false);
  assert.deepEqual(wrong.checks.host, { name: 'other.example', matches: false });
  assert.deepEqual(wrong.problems, ['wrong host: CN=rich.example is for rich.example, *.rich.example, 192.0.2.10, 2001:db8::10, not other.example']);
  assert.match(wrong.summary, /WRONG HOST other\.example/);
  assert.equal((await inspect(rich.pem, { host: 'a.b.rich.example' })).checks.host.matches, false, 'a wildcard covers one label');
});

// ---- keys, CSRs, PKCS#12 ----------------------------------------------------------------------

test('private key and certificate: a match is confirmed, a mismatch is a clear problem', async () => {
  const matching = await inspect({ cert: rich.pem, key: rich.keyPem });
  assert.equal(matching.checks.keyMatchesCertificate, true);
  assert.equal(matching.ok, true);
  assert.equal(matching.key.label, 'RSA 2048');
  assert.match(matching.summary, /key matches$/);

  const other = await inspect(rich.pem, { privateKey: ca.keyPem });
  assert.equal(other.checks.keyMatchesCertificate, false);
  assert.equal(other.ok, false);
  assert.deepEqual(other.problems, ['the private key (EC P-256) does not match the certificate CN=rich.example (RSA 2048)']);
  assert.match(other.summary, /KEY DOES NOT MATCH/);
});

test('a key alone is described, never shown; an encrypted key needs the right passphrase', async () => {
  const result = await inspect(rich.keyPem);
  assert.equal(result.kind, 'private-key');
  assert.equal(result.summary, 'private key RSA 2048');
  const json = JSON.stringify(result);
  const keyBody = rich.keyPem.split('\n')[3];
  assert.ok(!json.includes('PRIVATE KEY') && !json.includes(keyBody), 'no key material in the result');

  const encrypted = await opensslOk(['pkey', '-in', rich.key, '-aes256', '-passout', 'pass:open sesame']);
  assert.equal((await inspect(encrypted, { passphrase: 'open sesame' })).key.label, 'RSA 2048');
  await assert.rejects(inspect(encrypted), { code: 'KEY_PASSPHRASE_REQUIRED', message: 'the private key is encrypted: give its passphrase' });
  await assert.rejects(inspect(encrypted, { passphrase: 'wrong' }), (err) => {
    assert.equal(err.code, 'KEY_PASSPHRASE_WRONG');
    assert.equal(err.message, 'wrong passphrase for the private key');
    return true;
  });
  await assert.rejects(inspect({ cert: rich.pem, key: encrypted }), { code: 'KEY_PASSPHRASE_REQUIRED' });

  const publicKey = await opensslOk(['pkey', '-in', ca.key, '-pubout']);
  assert.equal((await inspect(publicKey)).summary, 'public key EC P-256');
});

test('a CSR is parsed (subject, names, key, signature) and can be checked against its key', async () => {
  const csrPem = await tmp.read('rich.example.csr', 'utf8');
  const result = await inspect(csrPem);
  assert.equal(result.kind, 'csr');
  assert.equal(result.csr.subject.CN, 'rich.example');
  assert.equal(result.csr.signatureValid, true);
  assert.match(result.summary, /^CSR for .*CN=rich\.example.*, RSA 2048, signature valid$/);
  const withKey = await inspect({ csr: csrPem, key: rich.keyPem });
  assert.equal(withKey.checks.keyMatchesCertificate, true);
  const wrongKey = await inspect({ csr: csrPem, key: ca.keyPem });
  assert.equal(wrongKey.ok, false);
  assert.match(wrongKey.problems[0], /does not match the CSR's public key/);
});

test('PKCS#12 (made by openssl) with its password; a wrong or missing password is a clear error', async () => {
  const p12 = tmp.file('rich.p12');
  await exportPkcs12WithOpenssl({ cert: rich.cert, key: rich.key, certfile: intermediate.cert, password: 'letmein', out: p12 });
  const data = await tmp.read('rich.p12');
  const result = await inspect(data, { password: 'letmein', trustAnchors: [ca.pem] });
  assert.equal(result.kind, 'pkcs12');
  assert.equal(result.certificates[0].subjectFields.CN, 'rich.example');
  assert.equal(result.checks.keyMatchesCertificate, true);
  assert.equal(result.chain.ok, true, result.chain.problems.join('; '));
  assert.match(result.summary, /^PKCS#12: CN=rich\.example, expires in/);
  await assert.rejects(inspect(data, { password: 'nope' }), (err) => {
    assert.equal(err.message, 'wrong password for the PKCS#12 file');
    assert.ok(!err.message.includes('nope'));
    return true;
  });
  await assert.rejects(inspect(data), { message: 'the PKCS#12 file is protected by a password: give its password' });
});

// ---- bad inputs and the result's shape -------------------------------------------------------------

test('bad inputs: empty, random bytes, truncated, damaged DER', async () => {
  await assert.rejects(inspect(''), { code: 'EMPTY_INPUT' });
  await assert.rejects(inspect(Buffer.alloc(0)), { code: 'EMPTY_INPUT' });
  await assert.rejects(inspect(require('node:crypto').randomBytes(200)), { code: 'UNRECOGNIZED_INPUT' });
  await assert.rejects(inspect(rich.pem.slice(0, 400)), { code: 'PEM_TRUNCATED', message: /cut off/ });
  const lines = rich.pem.trim().split('\n');
  const hollow = [lines[0], ...lines.slice(1, 6), lines[lines.length - 1]].join('\n');
  await assert.rejects(inspect(hollow), { code: 'CERT_INVALID', message: /^the certificate could not be read: it is damaged or incomplete/ });
  await assert.rejects(inspect(`${rich.pem}${hollow}`), { message: /^certificate 2 could not be read/ });
});

test('the result is plain JSON (no Buffers, KeyObjects or functions)', async () => {
  const result = await inspect({ cert: rich.pem, chain: [intermediate.pem], key: rich.keyPem }, { host: 'rich.example', trustAnchors: [ca.pem] });
  assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
  const walk = (v) => {
    if (v === null || typeof v !== 'object') return assert.notEqual(typeof v, 'function');
    assert.ok(Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype, `plain object, got ${v.constructor?.name}`);
    Object.values(v).forEach(walk);
  };
  walk(result);
});
