/**
 * Inspect: what a certificate, chain, CSR, key or PKCS#12 file says, and whether it is healthy
 * (chain, trust, host name, key match, expiry, weak algorithms). The result is plain JSON with
 * a one-line `summary` first, because it lands in Node-RED's Debug sidebar.
 *
 * Speed (bench/inspect.bench.js): a certificate is decoded once by lib/pki/der (a DER reader,
 * ~20x cheaper than asn1js), the extensions through @peculiar/x509's extension classes, memoized by their
 * bytes since certificates from one CA repeat most of them. Node's X509Certificate (OpenSSL) is
 * made only when a check needs it: signatures, host names, key match.
 */
import { KeyObject, X509Certificate } from 'node:crypto';
import { analyzeChain, ChainReport } from './chain';
import { parseCsr, ParsedCsr } from '../pki/csr';
import { CertflowError } from '../errors';
import { describeKey, KeyDescription, loadPrivateKey, loadPublicKey } from '../pki/keys';
import { yieldIfDue } from '../limits';
import { certificateItems, DecodedItem, decodeInput } from './pem';
import { importPkcs12 } from './pkcs12';
import { parseCertificateAt, type CertificateInfo, type ParsedCertificate } from './certificate-facts';
import { certificateWarnings, hostMatches, namesOf } from './health-checks';
import { day, summarize } from './summary';
import { trustAnchorsFor, type TrustAnchorChoice } from './trust-anchors';

export { inspectCertificate, parseCertificate } from './certificate-facts';
export type { CertificateInfo, ParsedCertificate, PublicKeyInfo } from './certificate-facts';

export interface InspectOptions {
  /** Password of a PKCS#12 input. */
  password?: string;
  /** Passphrase of an encrypted private key (in the input, or given as privateKey). */
  passphrase?: string;
  /** Check the (first) certificate is valid for this DNS name or IP address. */
  host?: string;
  /** Check this private key belongs to the (first) certificate. A key in the input is checked too. */
  privateKey?: string | Buffer | KeyObject;
  /** PEM certificates to trust, or 'system' for Node's root store (default), or 'none'. */
  trustAnchors?: TrustAnchorChoice;
  /** Warn when fewer days than this remain (default 30). */
  warnDays?: number;
  /** The moment to judge validity at (default: now). */
  now?: Date;
}

export interface InspectChecks {
  host?: { name: string; matches: boolean };
  keyMatchesCertificate?: boolean;
  chainOk?: boolean;
  /** Days left on the certificate that expires first. */
  daysRemaining?: number;
}

export type InspectKind = 'certificate' | 'chain' | 'csr' | 'private-key' | 'public-key' | 'pkcs12';

export interface InspectResult {
  summary: string;
  /** True when there are no problems (warnings are allowed). */
  ok: boolean;
  kind: InspectKind;
  certificates: CertificateInfo[];
  chain?: ChainReport;
  csr?: ParsedCsr;
  key?: KeyDescription;
  checks: InspectChecks;
  problems: string[];
  warnings: string[];
}

const DEFAULT_WARN_DAYS = 30;

// ---- inspect ----------------------------------------------------------------------------------

/** Inspects PEM / DER / base64 / a bundle object / PKCS#12 (with opts.password). */
export async function inspect(input: unknown, opts: InspectOptions = {}): Promise<InspectResult> {
  try {
    return await inspectInput(input, opts);
  } catch (err) {
    if (err instanceof CertflowError) throw err;
    // a dependency failed on something none of our checks foresaw: still our error, with its cause
    throw new CertflowError('INPUT_INVALID', 'the input could not be read: it is damaged or in a form this package does not know', undefined, {
      cause: err,
    });
  }
}

async function inspectInput(input: unknown, opts: InspectOptions): Promise<InspectResult> {
  const items = decodeInput(input);
  const pkcs12 = items.find((i) => i.kind === 'pkcs12');
  if (pkcs12) return inspectPkcs12(pkcs12, opts);
  return inspectItems(items, opts, undefined);
}

async function inspectPkcs12(item: DecodedItem, opts: InspectOptions): Promise<InspectResult> {
  const content = await importPkcs12(item.der, opts.password ?? '');
  const bundle = { cert: content.certificates, key: content.privateKeyPem };
  const items = content.certificates.length || content.privateKeyPem ? decodeInput(bundle) : [];
  if (items.length === 0) throw new CertflowError('P12_EMPTY', 'the PKCS#12 file holds no certificate and no key');
  // A PKCS#12 file's key is not encrypted once opened: no passphrase needed.
  return inspectItems(orderLeafFirst(items), { ...opts, passphrase: undefined }, 'pkcs12');
}

/** PKCS#12 files list certificates in any order: put the one matching the key first. */
function orderLeafFirst(items: DecodedItem[]): DecodedItem[] {
  const key = items.find((i) => i.kind === 'private-key');
  if (!key) return items;
  const privateKey = loadPrivateKey(key.pem);
  const certs = items.filter((i) => i.kind === 'certificate');
  const leaf = certs.find((c) => {
    try {
      return new X509Certificate(c.der).checkPrivateKey(privateKey);
    } catch {
      return false; // a certificate OpenSSL cannot read is not the key's
    }
  });
  if (!leaf) return items;
  return [leaf, ...items.filter((i) => i !== leaf)];
}

async function inspectItems(items: DecodedItem[], opts: InspectOptions, container: 'pkcs12' | undefined): Promise<InspectResult> {
  const now = opts.now ?? new Date();
  const warnDays = opts.warnDays ?? DEFAULT_WARN_DAYS;
  const certItems = items.some((i) => i.kind === 'certificate') ? certificateItems(items) : [];
  const parsed: ParsedCertificate[] = [];
  let slice = performance.now();
  for (const [index, item] of certItems.entries()) {
    parsed.push(parseCertificateAt(item.der, now, index, certItems.length));
    slice = await yieldIfDue(slice); // a bundle of a thousand certificates must not hold the loop
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const checks: InspectChecks = {};

  // The key: from the options, else from the input.
  let key: KeyDescription | undefined;
  let keyObject: KeyObject | undefined;
  const keyItem = items.find((i) => i.kind === 'private-key' || i.kind === 'encrypted-private-key');
  if (opts.privateKey !== undefined && opts.privateKey !== null && opts.privateKey !== '') {
    keyObject = loadPrivateKey(opts.privateKey, opts.passphrase);
  } else if (keyItem) {
    keyObject = loadPrivateKey(keyItem.pem, opts.passphrase);
  }
  if (keyObject) key = describeKey(keyObject);
  const publicKeyItem = items.find((i) => i.kind === 'public-key');
  if (!key && publicKeyItem) key = describeKey(loadPublicKey(publicKeyItem.pem));

  const csrItem = items.find((i) => i.kind === 'csr');
  const csr = csrItem ? await parseCsr(csrItem.pem) : undefined;

  let chain: ChainReport | undefined;
  let leaf: ParsedCertificate | undefined;
  if (parsed.length) {
    // A chain is checked when there is one, when trust was asked about, or when a bundle brings its CA.
    const bundleCa = certItems.every((i) => i.field !== 'ca') && items.some((i) => i.kind === 'certificate' && i.field === 'ca');
    // "none" asks only that the links of a chain fit: a lone certificate has no links.
    if (parsed.length > 1 || (opts.trustAnchors !== undefined && opts.trustAnchors !== 'none') || bundleCa) {
      chain = analyzeChain(parsed, { anchors: trustAnchorsFor(opts.trustAnchors, bundleCa ? items : []), now });
      checks.chainOk = chain.ok;
      problems.push(...chain.problems);
    }
    leaf = parsed[(chain?.leaf ?? 1) - 1];
    if (!chain) {
      if (leaf.info.expired) problems.push(`${leaf.label} expired on ${day(leaf.notAfter)}`);
      if (leaf.info.notYetValid) problems.push(`${leaf.label} is not valid before ${day(leaf.notBefore)}`);
    }
    if (opts.host !== undefined && opts.host !== '') {
      const matches = hostMatches(leaf, opts.host);
      checks.host = { name: opts.host, matches };
      if (!matches) problems.push(`wrong host: ${leaf.label} is for ${namesOf(leaf.info)}, not ${opts.host}`);
    }
    if (keyObject) {
      checks.keyMatchesCertificate = leaf.x509().checkPrivateKey(keyObject);
      if (!checks.keyMatchesCertificate)
        problems.push(`the private key (${key!.label}) does not match the certificate ${leaf.label} (${leaf.info.publicKey.label})`);
    }
    checks.daysRemaining = Math.min(...parsed.map((p) => p.info.daysRemaining));
    warnings.push(...certificateWarnings(parsed, warnDays));
  } else if (csr && keyObject) {
    checks.keyMatchesCertificate = csr.publicKey.spkiSha256 === key!.spkiSha256;
    if (!checks.keyMatchesCertificate) problems.push(`the private key (${key!.label}) does not match the CSR's public key (${csr.publicKey.label})`);
  }
  if (csr && !csr.signatureValid) problems.push("the CSR's signature does not verify: it was altered or damaged");
  if (csr?.publicKey.type === 'RSA' && csr.publicKey.bits < 2048)
    warnings.push(`the CSR has a weak RSA ${csr.publicKey.bits} key: use at least 2048 bits`);

  const kind: InspectKind =
    container ?? (parsed.length > 1 ? 'chain' : parsed.length ? 'certificate' : csr ? 'csr' : keyObject ? 'private-key' : 'public-key');
  const result: InspectResult = {
    summary: '',
    ok: problems.length === 0,
    kind,
    certificates: parsed.map((p) => p.info),
    ...(chain ? { chain } : {}),
    ...(csr ? { csr } : {}),
    ...(key ? { key } : {}),
    checks,
    problems,
    warnings,
  };
  result.summary = summarize(result, leaf);
  return result;
}
