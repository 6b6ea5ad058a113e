/**
 * One certificate order, start to finish, on acme-client's low-level API (its auto() cannot
 * do IP identifiers, profiles or ARI `replaces`): newOrder -> authorizations -> answer
 * challenges -> poll -> finalize with our CSR (lib/pki/csr.ts, which supports IP SANs) -> poll ->
 * download (preferred chain by issuer name). Responders, token files and TXT records are
 * always cleaned up, also on failure.
 *
 * An order a previous holder left half-way (order-journal.ts) is continued where the CA has it:
 * challenges it already answered are only awaited, a ready order is finalized, a valid one
 * downloaded, so a crash or a dead cluster instance costs no second order.
 */
import { X509Certificate } from 'node:crypto';
import { CertflowError } from '../errors';
import { isObject, objectOf, textOf } from '../guards';
import { keyMatchesCertificate, loadPrivateKey } from '../pki/keys';
import type { AcmeAccount } from './account';
import { identifiersFromCsr, prepareKeyAndCsr, type PreparedKey } from './certificate-key';
import { commonNameOf, downloadCertificate } from './chain';
import { certificateBlocks } from '../inspect/pem-blocks';
import { describeChallengeFailure, RESPONDER_NAMES, Responders, type Pending } from './challenges/responders';
import { checkPersistRecord, dnsAccountRecordName } from './dns/persist';
import { challengeTypeFor, identifierLabel, parseIdentifiers, sameIdentifiers } from './identifiers';
import { pollStatus } from './polling';
import type { OrderRecorder, ResumableOrder } from './order-journal';
import { parseAcmeProblem, refusalMayConcernReplaces, stepError } from './problems';
import { certificateId } from './renewal';
import type { AcmeIdentifier, AcmeResource, CertificateKeySource, ChallengeOptions, Dns01Record, ProgressCallback } from './types';

export interface IssueOptions {
  account: AcmeAccount;
  /** Names/addresses; may be omitted when `key` is a CSR (its SANs are used). */
  identifiers?: string | ReadonlyArray<string | AcmeIdentifier>;
  challenges?: ChallengeOptions;
  /** Default: generate EC P-256. */
  key?: CertificateKeySource;
  /** Profile name from the directory's meta.profiles (name one: some CAs pick one at random). */
  profile?: string;
  /** ARI certificate ID of the certificate this order replaces (RFC 9773). */
  replaces?: string;
  /** Issuer common name of the preferred chain (when the CA offers alternates). */
  preferredChain?: string;
  onProgress?: ProgressCallback;
  /** An order a previous holder left: continued when the CA still has it open for these names. */
  resume?: ResumableOrder;
  /** Only continue `resume`; never place a new order (throws ACME_ORDER_NOT_CONTINUED when it cannot be continued). */
  continueOnly?: boolean;
  /** TXT records a previous holder left: removed with this order's own. */
  leftoverTxt?: readonly Dns01Record[];
  /** Told when the order is placed, before each TXT record is set, when the key is ready and when the TXT records are gone. */
  recorder?: OrderRecorder;
}

export interface IssuedCertificate {
  /** Leaf certificate (PEM). */
  certPem: string;
  /** Intermediates (PEM each), leaf excluded. */
  chain: string[];
  chainPem: string;
  /** Leaf + intermediates. */
  fullchainPem: string;
  /** Unencrypted PKCS#8 PEM of the certificate key; absent when a CSR was given. SECRET. */
  keyPem?: string;
  csrPem: string;
  identifiers: AcmeIdentifier[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  /** Issuer DN of the leaf, e.g. 'CN=Pebble Intermediate CA 12ab34'. */
  issuer: string;
  /** Issuer of the last certificate in the chosen chain (what preferredChain matches). */
  chainIssuer: string;
  /** ARI certificate ID of the new certificate. */
  certId?: string;
  profile?: string;
  /** `replaces` as the CA echoed it in the order. */
  replaces?: string;
  orderUrl: string;
  /** The final order object from the CA. */
  order: Record<string, unknown>;
  /** True when this was an order a previous holder left, not a new one. */
  continued: boolean;
}

/** acme-client's order or authorization (with its URL) as the CA's JSON object it is: fields are checked where read. */
function resourceOf(value: { url: string }): AcmeResource {
  return value;
}

/** The challenge objects of an authorization (none when it has no list). */
function challengesOf(authz: AcmeResource): Record<string, unknown>[] {
  return Array.isArray(authz.challenges) ? authz.challenges.filter(isObject) : [];
}

async function createOrder(
  account: AcmeAccount,
  identifiers: AcmeIdentifier[],
  profile: string | undefined,
  replaces: string | undefined,
  onProgress?: ProgressCallback,
): Promise<AcmeResource> {
  const payload: Record<string, unknown> = { identifiers };
  if (profile) payload.profile = profile;
  if (replaces) payload.replaces = replaces;
  try {
    return resourceOf(await account.client.createOrder(payload as never));
  } catch (err) {
    if (err instanceof CertflowError && err.code === 'ACME_ACCOUNT_DOES_NOT_EXIST') {
      // the CA forgot the account (e.g. a reset test CA): register the same key again, once
      await account.register(onProgress);
      return resourceOf(await account.client.createOrder(payload as never));
    }
    if (replaces && refusalMayConcernReplaces(err)) {
      // RFC 9773 section 5: when the CA refuses the order with `replaces` (whatever its wording), order without it
      const why = err instanceof CertflowError ? err.message : String(err);
      onProgress?.(`ordering again without "replaces" (the CA refused the order naming the certificate it renews: ${why})`, {
        step: 'order',
        warn: true,
      });
      delete payload.replaces;
      return resourceOf(await account.client.createOrder(payload as never));
    }
    throw err;
  }
}

/**
 * The order a previous holder left, as the CA has it now, when it can still give this
 * certificate: same names (and profile), not invalid or expired, and - once finalized - with
 * the key it was finalized with at hand. Undefined otherwise (a new order is placed).
 */
async function continuableOrder(
  account: AcmeAccount,
  left: ResumableOrder,
  identifiers: AcmeIdentifier[],
  profile: string | undefined,
  keySource: CertificateKeySource,
  onProgress?: ProgressCallback,
): Promise<AcmeResource | undefined> {
  const skip = (why: string) => {
    onProgress?.(`placing a new order: the one left by an earlier run ${why}`, { step: 'order' });
    return undefined;
  };
  let order: AcmeResource;
  try {
    order = await pollStatus(account, left.orderUrl, [], 'the order');
  } catch (err) {
    return skip(`cannot be read at the CA (${err instanceof Error ? err.message : String(err)})`);
  }
  let theirs: AcmeIdentifier[];
  try {
    theirs = parseIdentifiers(Array.isArray(order.identifiers) ? (order.identifiers as AcmeIdentifier[]) : []);
  } catch {
    return skip('names identifiers this version does not read');
  }
  if (!sameIdentifiers(theirs, identifiers)) return skip('is for other names');
  if (profile && typeof order.profile === 'string' && order.profile !== profile) return skip(`is for the profile "${order.profile}"`);
  const status = textOf(order.status);
  const expires = typeof order.expires === 'string' ? Date.parse(order.expires) : NaN;
  if (status === 'invalid') return skip('failed at the CA');
  if (status !== 'valid' && expires <= Date.now()) return skip('has expired at the CA');
  if ((status === 'processing' || status === 'valid') && !(left.csrPem && (left.keyPem || keySource.kind === 'csr'))) {
    return skip('was finalized with a key this instance does not have');
  }
  if (!['pending', 'ready', 'processing', 'valid'].includes(status)) return skip(`is "${status}" at the CA`);
  return order;
}

export async function issueCertificate(opts: IssueOptions): Promise<IssuedCertificate> {
  const { account, onProgress } = opts;
  const challengeOptions = opts.challenges ?? {};
  const keySource: CertificateKeySource = opts.key ?? { kind: 'generate', algorithm: 'ec-p256' };

  let identifiers: AcmeIdentifier[];
  if (
    opts.identifiers === undefined ||
    opts.identifiers === null ||
    (Array.isArray(opts.identifiers) && opts.identifiers.length === 0) ||
    opts.identifiers === ''
  ) {
    if (keySource.kind !== 'csr') throw new CertflowError('ACME_NO_IDENTIFIERS', 'no DNS name or IP address given for the certificate');
    identifiers = await identifiersFromCsr(keySource.csrPem);
  } else {
    identifiers = parseIdentifiers(opts.identifiers);
    if (keySource.kind === 'csr') {
      const fromCsr = await identifiersFromCsr(keySource.csrPem);
      if (!sameIdentifiers(identifiers, fromCsr)) {
        throw new CertflowError(
          'ACME_CSR_MISMATCH',
          `the CSR is for ${fromCsr.map(identifierLabel).join(', ')} but the certificate should be for ${identifiers.map(identifierLabel).join(', ')}`,
        );
      }
    }
  }
  const types = new Map(identifiers.map((id) => [id.value, challengeTypeFor(id, challengeOptions)]));
  const writesTxt = (type: string | undefined) => type === 'dns-01' || type === 'dns-account-01';
  if ([...types.values()].some(writesTxt) && !challengeOptions.dns01?.hook) {
    const names = identifiers.filter((i) => writesTxt(types.get(i.value))).map(identifierLabel);
    throw new CertflowError('ACME_NO_DNS_HOOK', `${types.get(names[0])} is needed for ${names.join(', ')} but no DNS updater is set up`);
  }

  const directory = await account.directory().catch((err) => {
    throw stepError('reading the ACME directory', err);
  });
  const offered = directory.meta?.profiles && typeof directory.meta.profiles === 'object' ? Object.keys(directory.meta.profiles) : [];
  if (opts.profile && !offered.includes(opts.profile)) {
    throw new CertflowError(
      'ACME_UNKNOWN_PROFILE',
      offered.length
        ? `the CA has no profile "${opts.profile}" (it offers: ${offered.join(', ')})`
        : `the CA offers no certificate profiles, so "${opts.profile}" cannot be used: leave the profile empty`,
    );
  }
  const replaces = opts.replaces && typeof directory.renewalInfo === 'string' ? opts.replaces : undefined;
  const names = identifiers.map(identifierLabel).join(', ');

  let order = opts.resume ? await continuableOrder(account, opts.resume, identifiers, opts.profile, keySource, onProgress) : undefined;
  const continued = !!order;
  if (order) {
    onProgress?.(`continuing the order an earlier run left ("${textOf(order.status)}" at the CA)`, { step: 'order' });
  } else if (opts.continueOnly) {
    throw new CertflowError('ACME_ORDER_NOT_CONTINUED', `the order an earlier run left for ${names} cannot be continued`);
  } else {
    onProgress?.('ordering', { step: 'order' });
    try {
      order = await createOrder(account, identifiers, opts.profile, replaces, onProgress);
    } catch (err) {
      throw stepError(`ordering a certificate for ${names}`, err);
    }
  }
  await opts.recorder?.placed(order.url, { identifiers, profile: opts.profile });

  // key generation (RSA 4096 takes ~1 s) runs while the CA validates; a continued order keeps its key
  const left = continued ? opts.resume : undefined;
  const keyPromise: Promise<PreparedKey> =
    left?.csrPem && (left.keyPem || keySource.kind === 'csr')
      ? Promise.resolve({ csrPem: left.csrPem, keyPem: left.keyPem, identifiers })
      : prepareKeyAndCsr(keySource, identifiers);
  keyPromise.catch(() => undefined);

  const responders = new Responders(challengeOptions, onProgress, opts.recorder);
  responders.adoptDns(opts.leftoverTxt ?? []);
  try {
    let authzs: AcmeResource[];
    try {
      authzs = (await account.client.getAuthorizations(order as never)).map(resourceOf);
    } catch (err) {
      throw stepError(`reading the authorizations for ${names}`, err);
    }
    const pending: Pending[] = [];
    for (const authz of authzs) {
      const named = objectOf(authz.identifier);
      const value = textOf(named.value ?? '');
      const label = authz.wildcard ? `*.${value}` : value;
      const identifier: AcmeIdentifier = identifiers.find((i) => i.value === label) ?? { type: named.type === 'ip' ? 'ip' : 'dns', value: label };
      if (authz.status === 'valid') continue; // authorization reused by the CA
      if (authz.status !== 'pending') {
        throw new CertflowError('ACME_AUTHZ_INVALID', `the authorization for ${label} is "${textOf(authz.status)}" at the CA`);
      }
      const type = types.get(label) ?? challengeTypeFor(identifier, challengeOptions);
      const challenge = challengesOf(authz).find((c) => c.type === type);
      if (!challenge) {
        const available = challengesOf(authz)
          .map((c) => c.type)
          .join(', ');
        throw new CertflowError('ACME_CHALLENGE_NOT_OFFERED', `the CA does not offer ${type} for ${label} (it offers: ${available})`);
      }
      // dns-account-01 carries the dns-01 value (under another name); dns-persist-01 has no token
      const keyAuthorization =
        type === 'dns-persist-01'
          ? ''
          : await account.client.getChallengeKeyAuthorization((type === 'dns-account-01' ? { ...challenge, type: 'dns-01' } : challenge) as never);
      const recordName = type === 'dns-account-01' ? dnsAccountRecordName(account.accountUrl, label) : undefined;
      // a continued order: the CA may be looking already (only a pending challenge can be answered)
      const answered = challenge.status !== undefined && challenge.status !== 'pending';
      pending.push({ identifier, label, type, authz, challenge, keyAuthorization, recordName, answered });
    }

    const responderName =
      challengeOptions.http01?.method === 'standalone'
        ? RESPONDER_NAMES.standalone
        : challengeOptions.http01?.method === 'webroot'
          ? RESPONDER_NAMES.webroot
          : RESPONDER_NAMES.route;
    for (const p of pending.filter((x) => x.type === 'http-01' || x.type === 'tls-alpn-01')) {
      try {
        await responders.prepare(p);
      } catch (err) {
        throw stepError(`${p.type} for ${p.label}`, err);
      }
    }
    // dns-persist-01: nothing to write; check the record set once by hand is there
    for (const p of pending.filter((x) => x.type === 'dns-persist-01' && !x.answered)) {
      onProgress?.(`dns-persist-01 for ${p.label}: checking _validation-persist.${p.label.replace(/^\*\./, '')}`, {
        step: 'challenge',
        identifier: p.label,
        challenge: p.type,
      });
      const issuers = Array.isArray(p.challenge['issuer-domain-names']) ? (p.challenge['issuer-domain-names'] as string[]) : [];
      if (issuers.length === 0)
        throw new CertflowError('ACME_CHALLENGE_NOT_OFFERED', `the CA's dns-persist-01 challenge for ${p.label} names no issuer domain`);
      await checkPersistRecord({
        identifier: p.label,
        accountUrl: account.accountUrl,
        issuer: issuers[0],
        issuers,
        // one record with policy=wildcard serves a wildcard and its base name in the same order
        wildcard:
          challengeOptions.dns01?.persist?.wildcard ??
          pending.some((q) => q.type === 'dns-persist-01' && q.label === `*.${p.label.replace(/^\*\./, '')}`),
        persistUntil: challengeOptions.dns01?.persist?.persistUntil,
        resolver: { resolvers: challengeOptions.dns01?.resolvers },
      });
    }
    // a provider with one TXT value per name (DuckDNS) proves its names one after the other
    // an answered one keeps the record its earlier holder set (adopted above, removed at the end)
    const txt = pending.filter((p) => (p.type === 'dns-01' || p.type === 'dns-account-01') && !p.answered);
    const oneByOne = challengeOptions.dns01?.hook?.oneAtATime && txt.length > 1 ? txt : [];
    await responders.prepareDns(txt.filter((p) => !oneByOne.includes(p)));

    let failed = false;
    const validate = async (p: Pending) => {
      const step = `${p.type} for ${p.label}`;
      onProgress?.(step, { step: 'challenge', identifier: p.label, challenge: p.type });
      try {
        if (!p.answered) await account.client.completeChallenge(p.challenge as never);
      } catch (err) {
        throw stepError(step, err);
      }
      let authz: AcmeResource;
      try {
        authz = await pollStatus(account, p.authz.url, ['pending'], `the authorization for ${p.label}`);
      } catch (err) {
        throw stepError(step, err);
      }
      if (authz.status !== 'valid') {
        const challenge = challengesOf(authz).find((c) => c.type === p.type);
        const problem = parseAcmeProblem(challenge?.error) ?? parseAcmeProblem(challenge);
        const responder = p.type === 'tls-alpn-01' ? "this Node-RED's tls-alpn-01 listener" : responderName;
        throw new CertflowError('ACME_CHALLENGE_FAILED', describeChallengeFailure(p.type, p.label, problem, responder), {
          step,
          identifier: p.label,
          challenge: p.type,
          problemType: problem?.type,
          problemDetail: problem?.detail,
        });
      }
    };
    const remember = (work: Promise<void>) =>
      work.catch((err) => {
        failed = true; // stops the one-by-one chain before its next name
        throw err;
      });
    await Promise.all([
      ...pending.filter((p) => !oneByOne.includes(p)).map((p) => remember(validate(p))),
      remember(
        (async () => {
          for (const p of oneByOne) {
            if (failed) return;
            const own = new Responders(challengeOptions, onProgress);
            try {
              await own.prepareDns([p]);
              await validate(p);
            } finally {
              await own.cleanup();
            }
          }
        })(),
      ),
    ]);
  } finally {
    // a TXT record that could not be removed stays journaled: the next order tries again
    if (await responders.cleanup()) await opts.recorder?.txtRemoved().catch(() => undefined);
  }

  let prepared: PreparedKey;
  try {
    prepared = await keyPromise;
  } catch (err) {
    throw stepError('preparing the certificate request', err);
  }
  // a finalized order can only be downloaded with this key: journaled before the CA sees the CSR
  await opts.recorder?.keyReady(prepared.keyPem, prepared.csrPem);

  onProgress?.('finalizing', { step: 'finalize' });
  try {
    order = await pollStatus(account, order.url, ['pending'], 'the order');
    if (order.status !== 'ready' && order.status !== 'processing' && order.status !== 'valid') {
      const problem = parseAcmeProblem(order.error);
      throw new CertflowError('ACME_ORDER_INVALID', `the order is "${textOf(order.status)}" at the CA${problem ? `: ${problem.detail}` : ''}`);
    }
    if (order.status === 'ready') {
      order = { ...resourceOf(await account.client.finalizeOrder(order as never, prepared.csrPem)), url: order.url };
    }
    order = await pollStatus(account, order.url, ['processing', 'ready'], 'the order');
    if (order.status !== 'valid') {
      const problem = parseAcmeProblem(order.error);
      throw new CertflowError(
        'ACME_ORDER_INVALID',
        `the order ended "${textOf(order.status)}"${problem ? `: ${problem.shortType}: ${problem.detail}` : ''}`,
      );
    }
  } catch (err) {
    throw stepError(`finalizing the order for ${names}`, err);
  }

  onProgress?.('downloading certificate', { step: 'download' });
  let pem: string;
  try {
    pem = await downloadCertificate(account, textOf(order.certificate), opts.preferredChain, onProgress);
  } catch (err) {
    throw stepError('downloading the certificate', err);
  }
  const blocks = certificateBlocks(pem);
  if (blocks.length === 0) throw new CertflowError('ACME_BAD_CERTIFICATE', 'the CA sent no PEM certificate');
  const [certPem, ...chain] = blocks;
  const leaf = new X509Certificate(certPem);
  if (prepared.keyPem && !keyMatchesCertificate(loadPrivateKey(prepared.keyPem), certPem)) {
    throw new CertflowError('ACME_KEY_MISMATCH', 'the CA returned a certificate for a different key than the one in the request');
  }
  let certId: string | undefined;
  try {
    certId = certificateId(certPem);
  } catch {
    certId = undefined; // no AKI: no ARI for this certificate
  }
  const top = blocks[blocks.length - 1];
  return {
    certPem,
    chain,
    chainPem: chain.join(''),
    fullchainPem: blocks.join(''),
    keyPem: prepared.keyPem,
    csrPem: prepared.csrPem,
    identifiers,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    serialNumber: leaf.serialNumber,
    issuer: leaf.issuer.replace(/\n/g, ', '),
    chainIssuer: commonNameOf(new X509Certificate(top).issuer),
    certId,
    profile: typeof order.profile === 'string' ? order.profile : opts.profile,
    replaces: typeof order.replaces === 'string' ? order.replaces : undefined,
    orderUrl: String(order.url),
    order,
    continued,
  };
}
