'use strict';
// The openssl CLI, run asynchronously, as the independent judge of what lib/ reads and writes;
// temp dirs that clean up; and a few one-liners that make keys and certificates with openssl
// alone (a CA, an intermediate, leaves, expired and weak ones), so tests can compare lib/
// against certificates it did not make.
const { execFile } = require('node:child_process');
const fs = require('node:fs/promises');
const path = require('node:path');
const { tempDir: makeTempDir } = require('../harness/temp-dir');

const INSTALL_HINT = 'openssl (the CLI) is missing: install it with `apt-get install -y openssl`';

/** Runs openssl; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
function openssl(args, { input, cwd, encoding = 'utf8' } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { cwd, encoding, maxBuffer: 32 * 1024 * 1024, timeout: 30000 }, (err, stdout, stderr) => {
      if (err && err.code === 'ENOENT') return reject(new Error(INSTALL_HINT));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Like openssl() but throws with openssl's stderr on a non-zero exit; resolves stdout. */
async function opensslOk(args, options) {
  const result = await openssl(args, options);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.code}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** A temp dir under os.tmpdir(): `file(name)` is a path in it, `write` returns one, `cleanup` removes all. */
async function tempDir(prefix = 'certflow-test-') {
  const dir = makeTempDir(prefix);
  return {
    dir,
    file: (name) => path.join(dir, name),
    write: async (name, data) => {
      const file = path.join(dir, name);
      await fs.writeFile(file, data);
      return file;
    },
    read: (name, encoding) => fs.readFile(path.join(dir, name), encoding),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

const KEY_ARGS = {
  ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** A private key file made by `openssl genpkey`. */
async function makeKey(tmp, name, type = 'ec') {
  const file = tmp.file(`${name}.key`);
  await opensslOk(['genpkey', ...KEY_ARGS[type], '-out', file]);
  return file;
}

/**
 * A CA certificate: self-signed root, or (with issuer) an intermediate. Returns
 * { key, cert, pem, keyPem } (key/cert are file paths).
 */
async function makeCa(tmp, name, { subject = `/CN=${name}`, keyType = 'ec', issuer, pathlen, days = 3650 } = {}) {
  const key = await makeKey(tmp, name, keyType);
  const cert = tmp.file(`${name}.pem`);
  const ext = await tmp.write(
    `${name}.ext`,
    [
      `basicConstraints=critical,CA:TRUE${pathlen !== undefined ? `,pathlen:${pathlen}` : ''}`,
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      ...(issuer ? ['authorityKeyIdentifier=keyid'] : []),
    ].join('\n'),
  );
  if (issuer) {
    const csr = tmp.file(`${name}.csr`);
    await opensslOk(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    await signCsrWithOpenssl({ csr, issuer, serial: randomSerial(), days, md: 'sha256', ext, cert });
  } else {
    await opensslOk([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      subject,
      '-days',
      String(days),
      '-sha256',
      '-config',
      await minimalReqConfig(tmp),
      '-extensions',
      'v3',
      '-addext',
      `basicConstraints=critical,CA:TRUE${pathlen !== undefined ? `,pathlen:${pathlen}` : ''}`,
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      cert,
    ]);
  }
  return { key, cert, pem: await fs.readFile(cert, 'utf8'), keyPem: await fs.readFile(key, 'utf8') };
}

/**
 * A leaf signed by issuer ({ key, cert } paths). Options: subject, san ('DNS:a,IP:1.2.3.4'),
 * keyType, days, md ('sha256', 'sha1'), serial (hex), extra extension lines, or
 * startdate/enddate ('20200101000000Z') for certificates outside their validity (openssl ca),
 * isCa for an intermediate with such dates.
 */
async function makeLeaf(
  tmp,
  name,
  { issuer, subject = `/CN=${name}`, san, keyType = 'ec', days = 90, md = 'sha256', serial, extra = [], startdate, enddate, isCa = false } = {},
) {
  const key = await makeKey(tmp, name, keyType);
  const csr = tmp.file(`${name}.csr`);
  const cert = tmp.file(`${name}.pem`);
  await opensslOk(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  const ext = await tmp.write(
    `${name}.ext`,
    [
      ...(isCa
        ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
        : [
            'basicConstraints=critical,CA:FALSE',
            keyType.startsWith('rsa') ? 'keyUsage=critical,digitalSignature,keyEncipherment' : 'keyUsage=critical,digitalSignature',
            ...(extra.some((l) => l.startsWith('extendedKeyUsage')) ? [] : ['extendedKeyUsage=serverAuth']),
          ]),
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      ...(san ? [`subjectAltName=${san}`] : []),
      ...extra,
    ].join('\n'),
  );
  if (startdate || enddate) {
    await signWithOpensslCa(tmp, name, { issuer, csr, ext, cert, md, startdate, enddate });
  } else {
    await signCsrWithOpenssl({ csr, issuer, serial: serial ? `0x${serial}` : randomSerial(), days, md, ext, cert });
  }
  return { key, cert, pem: await fs.readFile(cert, 'utf8'), keyPem: await fs.readFile(key, 'utf8') };
}

/** `openssl x509 -req`: the CSR file signed by issuer ({ key, cert } paths) with the extensions file ext, to cert. */
async function signCsrWithOpenssl({ csr, issuer, serial, days, md, ext, cert }) {
  await opensslOk([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    issuer.cert,
    '-CAkey',
    issuer.key,
    '-set_serial',
    serial,
    '-days',
    String(days),
    `-${md}`,
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
}

/** `openssl ca`, the one openssl 3.0 command that sets any notBefore/notAfter. */
async function signWithOpensslCa(tmp, name, { issuer, csr, ext, cert, md, startdate, enddate }) {
  const dir = tmp.file(`ca-${name}`);
  await fs.mkdir(path.join(dir, 'new'), { recursive: true });
  await fs.writeFile(path.join(dir, 'index.txt'), '');
  await fs.writeFile(path.join(dir, 'serial'), `${randomSerial().slice(2)}\n`);
  const config = await tmp.write(
    `ca-${name}.cnf`,
    [
      '[ca]',
      'default_ca = local',
      '[local]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir/new',
      'serial = $dir/serial',
      `default_md = ${md}`,
      'policy = any',
      'unique_subject = no',
      'default_days = 30',
      '[any]',
      'commonName = supplied',
    ].join('\n'),
  );
  const args = [
    'ca',
    '-batch',
    '-notext',
    '-config',
    config,
    '-cert',
    issuer.cert,
    '-keyfile',
    issuer.key,
    '-in',
    csr,
    '-out',
    cert,
    '-extfile',
    ext,
  ];
  if (startdate) args.push('-startdate', startdate);
  if (enddate) args.push('-enddate', enddate);
  await opensslOk(args);
}

async function minimalReqConfig(tmp) {
  return tmp.write('req.cnf', '[req]\ndistinguished_name = dn\n[dn]\n[v3]\nsubjectKeyIdentifier = hash\n');
}

function randomSerial() {
  // positive, 16 bytes, high bit clear: what most CAs write
  return `0x${(0x10 + Math.floor(Math.random() * 0x6f)).toString(16)}${require('node:crypto').randomBytes(15).toString('hex')}`;
}

/**
 * `openssl req` arguments that make a new P-256 key (unencrypted, to keyFile) and a self-signed
 * certificate or, with csr, a CSR (to outFile). utf8 (-utf8), addext (-addext lines) and days
 * are optional. Arguments only, for openssl(), opensslOk() or a spawn of one's own.
 */
function newEcKeyReqArgs({ keyFile, outFile, subject, csr = false, utf8 = false, addext = [], days }) {
  return [
    'req',
    csr ? '-new' : '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    ...(utf8 ? ['-utf8'] : []),
    '-subj',
    subject,
    ...addext.flatMap((line) => ['-addext', line]),
    ...(days === undefined ? [] : ['-days', String(days)]),
    '-out',
    outFile,
  ];
}

/**
 * `openssl pkcs12 -export` of cert and key (paths) to out with the password; certfile (more
 * certificates), name (the friendly name) and extra arguments are optional.
 */
async function exportPkcs12WithOpenssl({ cert, key, certfile, name, password, out, extra = [] }) {
  await opensslOk([
    'pkcs12',
    '-export',
    '-in',
    cert,
    '-inkey',
    key,
    ...(certfile ? ['-certfile', certfile] : []),
    ...(name ? ['-name', name] : []),
    '-passout',
    `pass:${password}`,
    ...extra,
    '-out',
    out,
  ]);
}

/** `openssl x509 -noout <flags>` on PEM text; resolves stdout. */
async function x509Fields(pem, flags) {
  return opensslOk(['x509', '-noout', ...flags], { input: pem });
}

module.exports = {
  openssl,
  opensslOk,
  tempDir,
  makeKey,
  makeCa,
  makeLeaf,
  x509Fields,
  newEcKeyReqArgs,
  exportPkcs12WithOpenssl,
  INSTALL_HINT,
};
