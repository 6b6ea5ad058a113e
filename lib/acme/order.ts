/**
 * One certificate order, start to finish, on acme-client's low-level API (its auto() cannot
 * do IP identifiers, profiles or ARI `replaces`): newOrder -> authorizations -> answer
 * challenges -> poll -> finalize with our CSR (lib/csr.ts, which supports IP SANs) -> poll ->
 * download (preferred chain by issuer name). Responders, token files and TXT records are
 * always cleaned up, also on failure.
 */
import { X509Certificate } from 'node:crypto';
import { CertflowError } from '../errors';
import { createCsr, parseCsr } from '../csr';
import { exportPrivateKeyPem, generateKey, keyMatchesCertificate, loadPrivateKey } from '../keys';
import type { AcmeAccount } from './account';
import { http01Registry } from './challenges/http01-registry';
import { startHttp01Listener, type Http01Listener } from './challenges/http01-standalone';
import { writeWebrootToken } from './challenges/http01-webroot';
import { startTlsAlpnListener, type TlsAlpnListener } from './challenges/tls-alpn01';
import { waitForTxtPropagation } from './challenges/dns01';
import { challengeTypeFor, dns01RecordName, identifierLabel, parseIdentifiers, sameIdentifiers } from './identifiers';
import { parseAcmeProblem, type AcmeProblem } from './problems';
import { certificateId } from './renewal';
import { parseRetryAfter, sleep, type AcmeResponse } from './transport';
import type {
  AcmeIdentifier,
  CertificateKeySource,
  ChallengeOptions,
  ChallengeType,
  Dns01Record,
  ProgressCallback,
} from './types';

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
}

type Api = { apiRequest(url: string, payload: unknown, valid?: number[]): Promise<AcmeResponse> };

function apiOf(account: AcmeAccount): Api {
  // acme-client src/api.js AcmeApi#apiRequest: POST-as-GET with kid, our transport underneath
  return (account.client as unknown as { api: Api }).api;
}

function splitPemCertificates(pem: string): string[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}

function commonNameOf(dn: string): string {
  const line = dn.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : dn;
}

/** Wraps an error with the step (and identifier) it happened in, keeping code and details. */
function stepError(step: string, err: unknown): Error {
  if (err instanceof CertflowError) return new CertflowError(err.code, `${step} failed: ${err.message}`, { ...err.details, step }, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new CertflowError('ACME_FAILED', `${step} failed: ${message}`, { step }, { cause: err });
}

const RESPONDER_NAMES: Record<string, string> = {
  route: 'this Node-RED',
  standalone: "this Node-RED's http-01 listener",
  webroot: 'the web server that serves the webroot',
};

/** A challenge failure as a person reads it: what failed where, and what to check. */
function describeChallengeFailure(type: ChallengeType, label: string, problem: AcmeProblem | undefined, responder: string): string {
  if (!problem) return `${type} for ${label} failed (the CA gave no reason)`;
  const detail = problem.detail || problem.shortType;
  const address = detail.match(/(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+)/);
  const where = address ? `${address[1]}:${address[2]}` : undefined;
  const port = address ? address[2] : type === 'http-01' ? '80' : '443';
  let text: string;
  if (/refused/i.test(detail)) {
    text = `connection refused${where ? ` at ${where}` : ''} - is port ${port} forwarded to ${responder}?`;
  } else if (problem.shortType === 'connection' || /timeout|timed out|no route|unreachable/i.test(detail)) {
    text = `the CA could not connect${where ? ` to ${where}` : ''} (${detail}) - is port ${port} open and forwarded to ${responder}?`;
  } else if (problem.shortType === 'unauthorized' || problem.shortType === 'incorrectResponse') {
    text =
      type === 'dns-01'
        ? `the CA saw a wrong or missing TXT record (${detail})`
        : `the CA got a wrong answer (${detail}) - is another server answering port ${port} instead of ${responder}?`;
  } else if (problem.shortType === 'dns') {
    text = `DNS problem at the CA: ${detail}`;
  } else {
    text = `${problem.shortType}: ${detail}`;
  }
  return `${type} for ${label} failed: ${text}`;
}

interface PreparedKey {
  csrPem: string;
  keyPem?: string;
  identifiers: AcmeIdentifier[];
}

async function prepareKeyAndCsr(source: CertificateKeySource, identifiers: AcmeIdentifier[]): Promise<PreparedKey> {
  if (source.kind === 'csr') {
    const parsed = await parseCsr(source.csrPem);
    if (!parsed.signatureValid) throw new CertflowError('ACME_BAD_CSR', 'the given CSR has an invalid signature (damaged or tampered)');
    return { csrPem: parsed.pem, identifiers };
  }
  const key =
    source.kind === 'key'
      ? loadPrivateKey(source.keyPem, source.passphrase)
      : (await generateKey(source.algorithm ?? 'ec-p256')).key;
  const firstName = identifiers.find((i) => i.type === 'dns' && i.value.length <= 64);
  const csrPem = await createCsr({
    key,
    subject: firstName ? { CN: firstName.value } : undefined,
    altNames: identifiers.map((i) => ({ type: i.type, value: i.value })),
  });
  return { csrPem, keyPem: exportPrivateKeyPem(key), identifiers };
}

/** Identifiers of a CSR (its DNS and IP SANs, and a CN that is a name). */
async function identifiersFromCsr(csrPem: string): Promise<AcmeIdentifier[]> {
  const parsed = await parseCsr(csrPem);
  const names: (string | AcmeIdentifier)[] = parsed.altNames
    .filter((n) => n.type === 'dns' || n.type === 'ip')
    .map((n) => ({ type: n.type as 'dns' | 'ip', value: n.value }));
  if (names.length === 0 && parsed.subject.CN) names.push(parsed.subject.CN);
  return parseIdentifiers(names);
}

interface Pending {
  identifier: AcmeIdentifier;
  label: string;
  type: ChallengeType;
  authz: Record<string, any>;
  challenge: Record<string, any>;
  keyAuthorization: string;
}

/** Everything set up to answer challenges, torn down in reverse order. */
class Responders {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private http01Listener?: Promise<Http01Listener>;
  private tlsListener?: Promise<TlsAlpnListener>;

  constructor(private readonly options: ChallengeOptions, private readonly onProgress?: ProgressCallback) {}

  async prepare(p: Pending): Promise<void> {
    if (p.type === 'http-01') {
      const http01 = this.options.http01 ?? { method: 'route' as const };
      if (http01.method === 'webroot') {
        this.cleanups.push(await writeWebrootToken(http01.webroot, p.challenge.token, p.keyAuthorization));
      } else if (http01.method === 'standalone') {
        if (!this.http01Listener) {
          this.http01Listener = startHttp01Listener({ host: http01.host, port: http01.port });
          this.http01Listener.then((l) => this.cleanups.push(() => l.release()), () => undefined);
        }
        const listener = await this.http01Listener;
        this.cleanups.push(listener.registry.add(p.challenge.token, p.keyAuthorization, p.label));
      } else {
        const registry = http01.registry ?? http01Registry;
        this.cleanups.push(registry.add(p.challenge.token, p.keyAuthorization, p.label));
      }
    } else if (p.type === 'tls-alpn-01') {
      if (!this.tlsListener) {
        this.tlsListener = startTlsAlpnListener({ host: this.options.tlsAlpn01?.host, port: this.options.tlsAlpn01?.port });
        this.tlsListener.then((l) => this.cleanups.push(() => l.release()), () => undefined);
      }
      const listener = await this.tlsListener;
      this.cleanups.push(await listener.add(p.identifier, p.keyAuthorization));
    }
  }

  /** dns-01: all records through the hook, then one propagation check per record name. */
  async prepareDns(pending: Pending[]): Promise<void> {
    if (pending.length === 0) return;
    const dns01 = this.options.dns01!;
    const byName = new Map<string, Dns01Record[]>();
    for (const p of pending) {
      const record: Dns01Record = { name: dns01RecordName(p.identifier), value: p.keyAuthorization, identifier: p.label };
      this.onProgress?.(`dns-01 for ${p.label}: setting TXT ${record.name}`, { step: 'challenge', identifier: p.label, challenge: 'dns-01' });
      // register the removal first: a hook that fails half-way is still asked to clean up
      this.cleanups.push(async () => {
        await dns01.hook.remove(record);
      });
      try {
        await dns01.hook.set(record);
      } catch (err) {
        throw new CertflowError('ACME_DNS_HOOK_FAILED', `dns-01 for ${p.label}: setting TXT ${record.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      byName.set(record.name, [...(byName.get(record.name) ?? []), record]);
    }
    if (dns01.checkPropagation === false) return;
    await Promise.all(
      [...byName.entries()].map(async ([name, records]) => {
        this.onProgress?.(`dns-01: waiting for ${name} to propagate`, { step: 'propagation', identifier: records[0].identifier, challenge: 'dns-01' });
        try {
          await waitForTxtPropagation({
            name,
            values: records.map((r) => r.value),
            resolvers: dns01.resolvers,
            timeoutMs: dns01.propagationTimeoutMs,
            pollMs: dns01.propagationPollMs,
          });
        } catch (err) {
          throw stepError(`dns-01 for ${records.map((r) => r.identifier).join(', ')}`, err);
        }
      }),
    );
  }

  /** Runs every cleanup; failures are reported as progress, never thrown (they would hide the real error). */
  async cleanup(): Promise<void> {
    // listeners that are still opening must be released too
    await Promise.allSettled([this.http01Listener, this.tlsListener].filter(Boolean));
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        this.onProgress?.(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`, { step: 'cleanup' });
      }
    }
  }
}

/** Polls an order or authorization (POST-as-GET) until it leaves the pending states. */
async function pollStatus(account: AcmeAccount, url: string, pendingStates: string[], what: string): Promise<Record<string, any>> {
  const { pollInitialMs, pollMaxMs, pollTimeoutMs } = account.transport.options;
  const api = apiOf(account);
  const deadline = Date.now() + pollTimeoutMs;
  let delay = pollInitialMs;
  for (;;) {
    const resp = await api.apiRequest(url, null, [200]);
    const data = resp.data as Record<string, any>;
    if (!pendingStates.includes(String(data.status))) return { ...data, url };
    if (Date.now() >= deadline) {
      throw new CertflowError('ACME_POLL_TIMEOUT', `${what} was still "${data.status}" after ${Math.round(pollTimeoutMs / 1000)} s`);
    }
    // honour Retry-After (RFC 8555 section 7.4), but never wait past the deadline
    const retryAfter = parseRetryAfter(resp.headers['retry-after']) ?? 0;
    const wait = Math.min(Math.max(delay, Math.min(retryAfter, 30000)), Math.max(0, deadline - Date.now()));
    await sleep(wait);
    delay = Math.min(Math.round(delay * 1.6), pollMaxMs);
  }
}

/** newOrder with profile/replaces (acme-client sends the payload as given: src/api.js createOrder). */
async function createOrder(
  account: AcmeAccount,
  identifiers: AcmeIdentifier[],
  profile: string | undefined,
  replaces: string | undefined,
  onProgress?: ProgressCallback,
): Promise<Record<string, any>> {
  const payload: Record<string, unknown> = { identifiers };
  if (profile) payload.profile = profile;
  if (replaces) payload.replaces = replaces;
  try {
    return (await account.client.createOrder(payload as never)) as unknown as Record<string, any>;
  } catch (err) {
    if (err instanceof CertflowError && err.code === 'ACME_ACCOUNT_DOES_NOT_EXIST') {
      // the CA forgot the account (e.g. a reset test CA): register the same key again, once
      await account.register(onProgress);
      return (await account.client.createOrder(payload as never)) as unknown as Record<string, any>;
    }
    if (replaces && err instanceof CertflowError && /replace/i.test(`${err.details?.problemType} ${err.details?.problemDetail}`)) {
      // RFC 9773 section 5: when the CA refuses `replaces`, order without it
      onProgress?.('ordering (without replaces: the CA refused it)', { step: 'order' });
      delete payload.replaces;
      return (await account.client.createOrder(payload as never)) as unknown as Record<string, any>;
    }
    throw err;
  }
}

async function downloadCertificate(account: AcmeAccount, certificateUrl: string, preferredChain: string | undefined, onProgress?: ProgressCallback): Promise<string> {
  const api = apiOf(account);
  const first = await api.apiRequest(certificateUrl, null, [200]);
  const chains = [String(first.data)];
  if (preferredChain) {
    const links = String(first.headers.link ?? '')
      .split(/,\s*(?=<)/)
      .map((l) => l.match(/^<([^>]+)>\s*;.*rel\s*=\s*"?alternate"?/i)?.[1])
      .filter((u): u is string => !!u)
      .map((u) => new URL(u, certificateUrl).toString());
    for (const link of links) chains.push(String((await api.apiRequest(link, null, [200])).data));
    const wanted = preferredChain.trim().toLowerCase();
    let best: { pem: string; distance: number } | undefined;
    for (const pem of chains) {
      const issuers = splitPemCertificates(pem).map((c) => commonNameOf(new X509Certificate(c).issuer).toLowerCase());
      const index = issuers.lastIndexOf(wanted);
      if (index >= 0) {
        const distance = issuers.length - index; // closer to the root wins, as in acme-client
        if (!best || distance < best.distance) best = { pem, distance };
      }
    }
    if (best) return best.pem;
    onProgress?.(`preferred chain "${preferredChain}" not offered by the CA; using its default chain`, { step: 'download' });
  }
  return chains[0];
}

/** Issues one certificate. Errors name the step, the identifier and the CA's problem. */
export async function issueCertificate(opts: IssueOptions): Promise<IssuedCertificate> {
  const { account, onProgress } = opts;
  const challengeOptions = opts.challenges ?? {};
  const keySource: CertificateKeySource = opts.key ?? { kind: 'generate', algorithm: 'ec-p256' };

  let identifiers: AcmeIdentifier[];
  if (opts.identifiers === undefined || opts.identifiers === null || (Array.isArray(opts.identifiers) && opts.identifiers.length === 0) || opts.identifiers === '') {
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
  if ([...types.values()].includes('dns-01') && !challengeOptions.dns01?.hook) {
    const names = identifiers.filter((i) => types.get(i.value) === 'dns-01').map(identifierLabel);
    throw new CertflowError('ACME_NO_DNS_HOOK', `dns-01 is needed for ${names.join(', ')} but no DNS updater is set up`);
  }

  // key generation (RSA 4096 takes ~1 s) runs while the CA validates
  const keyPromise = prepareKeyAndCsr(keySource, identifiers);
  keyPromise.catch(() => undefined);

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

  onProgress?.('ordering', { step: 'order' });
  let order: Record<string, any>;
  try {
    order = await createOrder(account, identifiers, opts.profile, replaces, onProgress);
  } catch (err) {
    throw stepError(`ordering a certificate for ${names}`, err);
  }

  const responders = new Responders(challengeOptions, onProgress);
  try {
    let authzs: Record<string, any>[];
    try {
      authzs = (await account.client.getAuthorizations(order as never)) as unknown as Record<string, any>[];
    } catch (err) {
      throw stepError(`reading the authorizations for ${names}`, err);
    }
    const pending: Pending[] = [];
    for (const authz of authzs) {
      const value = String(authz.identifier?.value ?? '');
      const label = authz.wildcard ? `*.${value}` : value;
      const identifier = identifiers.find((i) => i.value === label) ?? { type: authz.identifier?.type === 'ip' ? 'ip' : 'dns', value: label };
      if (authz.status === 'valid') continue; // authorization reused by the CA
      if (authz.status !== 'pending') {
        throw new CertflowError('ACME_AUTHZ_INVALID', `the authorization for ${label} is "${authz.status}" at the CA`);
      }
      const type = types.get(label) ?? challengeTypeFor(identifier as AcmeIdentifier, challengeOptions);
      const challenge = (authz.challenges as Record<string, any>[]).find((c) => c.type === type);
      if (!challenge) {
        const available = (authz.challenges as Record<string, any>[]).map((c) => c.type).join(', ');
        throw new CertflowError('ACME_CHALLENGE_NOT_OFFERED', `the CA does not offer ${type} for ${label} (it offers: ${available})`);
      }
      const keyAuthorization = await account.client.getChallengeKeyAuthorization(challenge as never);
      pending.push({ identifier: identifier as AcmeIdentifier, label, type, authz, challenge, keyAuthorization });
    }

    const responderName =
      challengeOptions.http01?.method === 'standalone' ? RESPONDER_NAMES.standalone
      : challengeOptions.http01?.method === 'webroot' ? RESPONDER_NAMES.webroot
      : RESPONDER_NAMES.route;
    for (const p of pending.filter((x) => x.type !== 'dns-01')) {
      try {
        await responders.prepare(p);
      } catch (err) {
        throw stepError(`${p.type} for ${p.label}`, err);
      }
    }
    await responders.prepareDns(pending.filter((p) => p.type === 'dns-01'));

    await Promise.all(
      pending.map(async (p) => {
        const step = `${p.type} for ${p.label}`;
        onProgress?.(step, { step: 'challenge', identifier: p.label, challenge: p.type });
        try {
          await account.client.completeChallenge(p.challenge as never);
        } catch (err) {
          throw stepError(step, err);
        }
        let authz: Record<string, any>;
        try {
          authz = await pollStatus(account, p.authz.url, ['pending'], `the authorization for ${p.label}`);
        } catch (err) {
          throw stepError(step, err);
        }
        if (authz.status !== 'valid') {
          const challenge = (authz.challenges as Record<string, any>[] | undefined)?.find((c) => c.type === p.type);
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
      }),
    );
  } finally {
    await responders.cleanup();
  }

  let prepared: PreparedKey;
  try {
    prepared = await keyPromise;
  } catch (err) {
    throw stepError('preparing the certificate request', err);
  }

  onProgress?.('finalizing', { step: 'finalize' });
  try {
    order = await pollStatus(account, order.url, ['pending'], 'the order');
    if (order.status !== 'ready' && order.status !== 'valid') {
      const problem = parseAcmeProblem(order.error);
      throw new CertflowError('ACME_ORDER_INVALID', `the order is "${order.status}" at the CA${problem ? `: ${problem.detail}` : ''}`);
    }
    if (order.status === 'ready') {
      order = { ...((await account.client.finalizeOrder(order as never, prepared.csrPem)) as unknown as Record<string, any>), url: order.url };
    }
    order = await pollStatus(account, order.url, ['processing', 'ready'], 'the order');
    if (order.status !== 'valid') {
      const problem = parseAcmeProblem(order.error);
      throw new CertflowError('ACME_ORDER_INVALID', `the order ended "${order.status}"${problem ? `: ${problem.shortType}: ${problem.detail}` : ''}`);
    }
  } catch (err) {
    throw stepError(`finalizing the order for ${names}`, err);
  }

  onProgress?.('downloading certificate', { step: 'download' });
  let pem: string;
  try {
    pem = await downloadCertificate(account, String(order.certificate), opts.preferredChain, onProgress);
  } catch (err) {
    throw stepError('downloading the certificate', err);
  }
  const blocks = splitPemCertificates(pem);
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
  };
}
