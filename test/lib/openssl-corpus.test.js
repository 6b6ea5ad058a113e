'use strict';
// pyca/cryptography's test vectors as a corpus: every fact lib/ reports about a certificate, CSR,
// key or PKCS#12 file must be what `openssl` says of the same file. Where we refuse a file, the
// refusal must be our own CertflowError (openssl refusing it too is counted apart).
// The vectors: the system's (python3-cryptography-vectors), else .cache/cryptography-vectors,
// which npm test fetches from Debian. CERTIFLOW_DIST=<dir> runs it against another build.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { openssl } = require('../helpers/openssl');

const dist = process.env.CERTFLOW_DIST ? path.resolve(process.env.CERTFLOW_DIST) : path.join(__dirname, '../../dist/lib');
const { inspectCertificate } = require(path.join(dist, 'inspect/inspect'));
const { parseCsr } = require(path.join(dist, 'pki/csr'));
const { importPkcs12 } = require(path.join(dist, 'inspect/pkcs12'));
const { loadPrivateKey, loadPublicKey, describeKey } = require(path.join(dist, 'pki/keys'));

const root = path.join(__dirname, '../..');
const VECTORS = ['/', path.join(root, '.cache/cryptography-vectors')]
  .map((base) => path.join(base, 'usr/lib/python3/dist-packages/cryptography_vectors'))
  .find((dir) => fs.existsSync(path.join(dir, 'x509')));

function files(dir, pattern = /\.(pem|der)$/) {
  const full = path.join(VECTORS, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full)
    .filter((f) => pattern.test(f) && !/crl|ocsp|sct|PKITS/i.test(f))
    .map((f) => path.join(dir, f));
}

/**
 * Files OpenSSL refuses to load (a public key it cannot decode, a name it will not store) that
 * lib/inspect reads, since it decodes certificates itself (lib/pki/der) and asks OpenSSL only for checks.
 * Known and listed in issue 10's report; each should become a clear refusal.
 */
const KNOWN_DIFFERENCES = new Set([
  'x509/e-trust.ru.der',
  'x509/custom/unsupported_subject_public_key_info.pem',
  'x509/custom/invalid_utf8_common_name.pem',
  'x509/custom/long-form-name-attribute.pem',
]);

const bitsOf = (text) => Number(/(?:Public|Private)-Key: \((\d+) bit/.exec(text)?.[1] ?? NaN);
const isOurs = (err) => err?.name === 'CertflowError';

/** Compares our facts with openssl's for one file; returns 'agree' | 'both-refuse' | 'we-refuse' or throws a difference. */
async function compare(kind, file, tally) {
  const full = path.join(VECTORS, file);
  const der = file.endsWith('.der') || file.endsWith('.p12');
  const data = fs.readFileSync(full);
  const form = der ? ['-inform', 'DER'] : [];
  let ours;
  let ourError;
  try {
    if (kind === 'cert') ours = inspectCertificate(data, { now: new Date('2030-01-01T00:00:00Z') });
    if (kind === 'csr') ours = await parseCsr(data);
    if (kind === 'p12') ours = await importPkcs12(data, /no-pwd|no-password/.test(file) ? '' : 'cryptography');
    if (kind === 'key') ours = describeKey(/pub|public/i.test(file) ? loadPublicKey(data) : loadPrivateKey(data));
  } catch (err) {
    ourError = err;
  }
  let theirs;
  if (kind === 'cert')
    theirs = await openssl(['x509', ...form, '-in', full, '-noout', '-serial', '-startdate', '-enddate', '-text', '-nameopt', 'multiline,utf8']);
  if (kind === 'csr') theirs = await openssl(['req', ...form, '-in', full, '-noout', '-text', '-verify', '-nameopt', 'multiline,utf8']);
  if (kind === 'p12')
    theirs = await openssl(['pkcs12', '-legacy', '-in', full, '-nokeys', '-passin', `pass:${/no-pwd|no-password/.test(file) ? '' : 'cryptography'}`]);
  if (kind === 'key')
    theirs = await openssl(['pkey', ...form, ...(/pub|public/i.test(file) ? ['-pubin'] : []), '-in', full, '-noout', '-text', '-passin', 'pass:x']);
  const text = `${theirs.stdout}\n${theirs.stderr}`;
  const opensslRefuses = theirs.code !== 0 || /Bad time value|unable to load/i.test(text);
  if (ourError) {
    if (!isOurs(ourError)) throw new Error(`${file}: not our error: ${ourError.stack}`);
    return opensslRefuses ? 'both-refuse' : 'we-refuse';
  }
  if (opensslRefuses && kind !== 'csr')
    throw new Error(`${file}: openssl refuses it (${text.split('\n').find((l) => /error|bad/i.test(l))}) but we read it`);
  const differ = (fact, a, b) => {
    tally.facts++;
    if (String(a) !== String(b)) throw new Error(`${file}: ${fact}: ours ${JSON.stringify(a)}, openssl ${JSON.stringify(b)}`);
  };
  if (kind === 'cert') {
    differ('serial', ours.serial.toUpperCase().replace(/^(-?)0+(?=.)/, '$1'), /serial=(\S*)/.exec(text)[1].replace(/^(-?)0+(?=.)/, '$1'));
    differ('notBefore', new Date(ours.notBefore).getTime(), new Date(/notBefore=(.*)/.exec(text)[1]).getTime());
    differ('notAfter', new Date(ours.notAfter).getTime(), new Date(/notAfter=(.*)/.exec(text)[1]).getTime());
    const key = bitsOf(text);
    if (!Number.isNaN(key)) differ('key bits', ours.publicKey.bits, key);
    const sanLine = /X509v3 Subject Alternative Name:.*\n\s*(.*)/.exec(text)?.[1] ?? '';
    const dns = [...sanLine.matchAll(/DNS:([^,\n]*)/g)].map((m) => m[1]);
    if (!/X509v3 Subject Alternative Name: critical\n\s*<|Unable to/.test(text))
      differ(
        'DNS names',
        ours.altNames
          .filter((n) => n.type === 'dns')
          .map((n) => n.value)
          .join(','),
        dns.join(','),
      );
    const cn = /Subject:[\s\S]*?commonName\s+= (.*)/.exec(text.slice(text.indexOf('Subject:')))?.[1];
    // openssl escapes non-ASCII bytes as \XX: turn them back into the UTF-8 they are
    const unescaped =
      cn === undefined
        ? undefined
        : Buffer.from(
            cn.replace(/\\([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8');
    if (cn !== undefined && typeof ours.subjectFields.CN === 'string') differ('subject CN', ours.subjectFields.CN, unescaped);
  }
  if (kind === 'csr') {
    differ('signature valid', ours.signatureValid, /verify OK/.test(text));
    const key = bitsOf(text);
    if (!Number.isNaN(key)) differ('key bits', ours.publicKey.bits, key);
  }
  if (kind === 'p12') differ('certificates', ours.certificates.length, (text.match(/BEGIN CERTIFICATE/g) ?? []).length);
  if (kind === 'key') {
    const bits = bitsOf(text);
    if (!Number.isNaN(bits) && !/ED25519|X25519|ED448|X448/.test(text)) differ('key bits', ours.bits, bits);
  }
  return 'agree';
}

test('every fact we report about the pyca/cryptography vectors is what openssl says', { timeout: 300_000 }, async (t) => {
  assert.ok(
    VECTORS,
    'the pyca/cryptography test vectors are missing: npm test fetches them into .cache/cryptography-vectors, or run apt-get install python3-cryptography-vectors',
  );
  const corpus = [
    ...['x509', 'x509/custom', 'x509/ed25519', 'x509/ed448'].flatMap((d) => files(d)).map((f) => ['cert', f]),
    ...files('x509/requests').map((f) => ['csr', f]),
    ...files('pkcs12', /\.p12$/).map((f) => ['p12', f]),
    ...[
      'asymmetric/PEM_Serialization',
      'asymmetric/DER_Serialization',
      'asymmetric/Traditional_OpenSSL_Serialization',
      'asymmetric/public/PKCS1',
      'asymmetric/PKCS8',
    ]
      .flatMap((d) => files(d, /\.(pem|der)$/))
      .filter((f) => !/enc|encrypted|password|README/i.test(f))
      .map((f) => ['key', f]),
  ];
  const tally = { facts: 0, agree: 0, 'both-refuse': 0, 'we-refuse': 0 };
  const differences = [];
  const refused = [];
  const known = [];
  for (const [kind, file] of corpus) {
    try {
      const outcome = await compare(kind, file, tally);
      tally[outcome]++;
      if (outcome === 'we-refuse') refused.push(file);
    } catch (err) {
      if (KNOWN_DIFFERENCES.has(file)) known.push(err.message.split('\n')[0]);
      else differences.push(err.message.split('\n')[0]);
    }
  }
  t.diagnostic(
    `${corpus.length} files: ${tally.agree} agree (${tally.facts} facts compared), ${tally['both-refuse']} refused by both, ${tally['we-refuse']} refused by us with a clear error only, ${differences.length} differ, ${known.length} known differences`,
  );
  for (const line of known) t.diagnostic(`known difference: ${line}`);
  for (const file of refused) t.diagnostic(`we refuse (clearly): ${file}`);
  for (const line of differences) t.diagnostic(`differs: ${line}`);
  assert.deepEqual(differences, []);
});
