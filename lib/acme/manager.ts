/**
 * One named certificate kept current: issue when missing or when the names changed, renew
 * when due (ARI or lifetime), otherwise hand back what is stored.
 *
 * Everything lives in the certificate's RECORD of the storage (lib/storage/, by default
 * `<userDir>/certificates/<name>/`): each issued certificate is one generation (privkey.pem,
 * cert.pem, chain.pem, fullchain.pem, meta.json with the ACME facts) published in one step, so
 * a crash leaves the old certificate or the new one, never a torn mix that would cost a new
 * order; `state.json` beside it holds what changes between orders (renewal plan, revocation)
 * and counts only while it names the stored serial. A failed order changes nothing.
 * A storage lock per certificate keeps two processes (a cluster) from ordering it twice, and
 * the order in flight is journaled (order-journal.ts): whoever takes the lock after a crash or
 * a dead holder continues that order instead of placing another.
 */
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { CertflowError } from '../errors';
import { certificateBlocks } from '../inspect/pem-blocks';
import { keyMatchesCertificate, loadPrivateKey } from '../pki/keys';
import type { AcmeAccount } from './account';
import { parseIdentifiers, sameIdentifiers } from './identifiers';
import { issueCertificate, type IssuedCertificate } from './order';
import { OrderJournal, digestOf, orderMayContinue } from './order-journal';
import { checkRenewal, certificateId, planRenewal } from './renewal';
import { revokeCertificate, type RevocationReason } from './revoke';
import { generationFiles } from '../serve/store';
import { FileStorage, acmeLock, acmeStateKey, deliveredKey, isNotFound, loadTextOrUndefined, validateKey, withLock, type Storage } from '../storage';
import type { AcmeIdentifier, CertificateKeyAlgorithm, CertificateKeySource, ChallengeOptions, ProgressCallback, RenewalPlan } from './types';

/** Gives the account when needed (the account config node opens it lazily). */
export type AccountProvider = (onProgress?: ProgressCallback) => Promise<AcmeAccount>;

export interface CertificateManagerOptions {
  /** Certificate name (msg.topic of the output; used in texts); also its record in the storage. */
  name: string;
  /** Where the certificate is kept (the node gives the userDir's storage). */
  storage?: Storage;
  /** Record name in the storage when it differs from `name`. */
  record?: string;
  /** Without `storage`: a folder of its own (file storage rooted at its parent, record = its name). */
  baseDir?: string;
  account: AcmeAccount | AccountProvider;
  /** Names/addresses; may be empty when every ensure() passes a CSR. */
  identifiers?: string | ReadonlyArray<string | AcmeIdentifier>;
  challenges?: ChallengeOptions;
  /** 'new' = a new key per order (default), 'reuse' = keep the stored key. */
  keyPolicy?: 'new' | 'reuse';
  /** Type of new keys (default 'ec-p256'). */
  keyAlgorithm?: CertificateKeyAlgorithm;
  /** Profile to order (remembered in state.json). */
  profile?: string;
  /** Issuer common name of the preferred chain. */
  preferredChain?: string;
  onProgress?: ProgressCallback;
  /** Time between renewal checks when the CA gives no Retry-After (default 6 h). */
  checkIntervalMs?: number;
  /** Clock (tests). */
  now?: () => Date;
}

export interface EnsureOptions {
  /** Order a new certificate even if the current one is healthy (msg.renew = true). */
  force?: boolean;
  /** Ask the CA's renewal information now, even before its Retry-After. */
  refreshRenewalInfo?: boolean;
  /** Use this key for the order (msg bundle key). */
  keyPem?: string;
  keyPassphrase?: string;
  /** Send this CSR (msg bundle csr); its names must match the identifiers when both are set. */
  csrPem?: string;
  /** Identifiers for this call (from msg), replacing the configured ones. */
  identifiers?: string | ReadonlyArray<string | AcmeIdentifier>;
  onProgress?: ProgressCallback;
}

export interface StoredCertificate {
  /** Unencrypted PKCS#8 PEM; absent when the certificate came from a given CSR. SECRET. */
  keyPem?: string;
  certPem: string;
  chain: string[];
  chainPem: string;
  fullchainPem: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
  identifiers: AcmeIdentifier[];
  certId?: string;
}

/** 'continued': the certificate was current, but an order a crash cut short was finished (order-journal.ts). */
export type EnsureReason = 'new' | 'identifiers-changed' | 'forced' | 'due' | 'revoked' | 'key-mismatch' | 'continued' | 'current';

export interface EnsureResult {
  /** True when a certificate was issued by this call. */
  renewed: boolean;
  reason: EnsureReason;
  certificate: StoredCertificate;
  renewal: RenewalPlan;
  /** The CA's final order object (when issued now); `replaces` shows what it replaced. */
  order?: Record<string, unknown>;
  /** Issued by finishing an order an earlier run left (a crash, a dead cluster instance), not a new one. */
  continued?: boolean;
}

/** state.json */
export interface CertificateState {
  version: 1;
  name: string;
  directoryUrl?: string;
  accountUrl?: string;
  identifiers: AcmeIdentifier[];
  profile?: string;
  certId?: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  orderUrl?: string;
  replaces?: string;
  keySource: 'generated' | 'reused' | 'given' | 'csr';
  revokedAt?: string;
  renewal?: {
    due: string;
    source: RenewalPlan['source'];
    nextCheck: string;
    explanation: string;
    window?: { start: string; end: string };
    checkedAt: string;
  };
}

export interface ManagerStatus {
  name: string;
  hasCertificate: boolean;
  identifiers?: AcmeIdentifier[];
  notAfter?: Date;
  daysLeft?: number;
  profile?: string;
  renewal?: { due: Date; source: RenewalPlan['source']; nextCheck: Date; explanation: string; checkedAt: Date };
  /** Last error of this manager instance (not stored on disk). */
  lastError?: string;
}

const GENERATION_READ = ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json'] as const;
/** An order may wait minutes for dns-01 propagation; another process waits that long for the lock. */
const ORDER_LOCK_TIMEOUT_MS = 15 * 60 * 1000;

/** One in-flight ensure() per record, shared by every manager of the process; `forced`: a renewal was asked for. */
const inFlight = new Map<string, { run: Promise<EnsureResult>; forced: boolean }>();

interface AcmeGeneration {
  generation: string;
  files: Record<(typeof GENERATION_READ)[number], string | undefined>;
  acme: CertificateState;
}

const noop = (): void => undefined;

function planFromState(state: CertificateState, certPem: string): RenewalPlan | undefined {
  const r = state.renewal;
  if (!r) return undefined;
  return {
    due: new Date(r.due),
    source: r.source,
    nextCheck: new Date(r.nextCheck),
    explanation: r.explanation,
    window: r.window ? { start: new Date(r.window.start), end: new Date(r.window.end) } : undefined,
    certId: state.certId,
    notAfter: new Date(new X509Certificate(certPem).validTo),
  };
}

export class CertificateManager {
  readonly name: string;
  /** The certificate's record in the storage. */
  readonly record: string;
  readonly storage: Storage;
  /** Where the record lives (for messages). */
  readonly dir: string;
  private readonly options: CertificateManagerOptions;
  private lastError?: string;

  constructor(options: CertificateManagerOptions) {
    if (!options || !options.name) throw new CertflowError('ACME_NO_NAME', 'a certificate needs a name');
    if (!options.storage && !options.baseDir) throw new CertflowError('ACME_NO_DIR', 'no storage given for the certificate');
    this.options = options;
    this.name = options.name;
    if (options.storage) {
      this.storage = options.storage;
      this.record = validateKey(options.record ?? options.name);
    } else {
      const dir = path.resolve(options.baseDir!);
      this.storage = new FileStorage(path.dirname(dir));
      this.record = validateKey(path.basename(dir));
    }
    this.dir = this.storage.describe(this.record);
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private async account(onProgress?: ProgressCallback): Promise<AcmeAccount> {
    const a = this.options.account;
    return typeof a === 'function' ? a(onProgress) : a;
  }

  /**
   * The newest generation of the record that this manager issued (current, else previous: an
   * https node may have installed another certificate into the same record since).
   */
  private async acmeGeneration(): Promise<AcmeGeneration | undefined> {
    for (const which of ['current', 'previous'] as const) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const generation = await this.storage.generation(this.record, which);
        if (!generation) break;
        let raw: Record<string, Buffer | undefined>;
        try {
          raw = await this.storage.loadGeneration(this.record, generation, GENERATION_READ);
        } catch (err) {
          if (isNotFound(err)) continue; // replaced while we read: resolve the pointer again
          throw err;
        }
        const files = Object.fromEntries(GENERATION_READ.map((f) => [f, raw[f]?.toString('utf8')])) as AcmeGeneration['files'];
        let acme: CertificateState | undefined;
        try {
          acme = files['meta.json'] ? (JSON.parse(files['meta.json']) as { acme?: CertificateState }).acme : undefined;
        } catch {
          acme = undefined;
        }
        if (acme && files['cert.pem']) return { generation, files, acme };
        break;
      }
    }
    return undefined;
  }

  /** The ACME state of the stored certificate (with the latest renewal plan), or undefined. */
  async state(): Promise<CertificateState | undefined> {
    const stored = await this.acmeGeneration();
    return stored ? this.stateOf(stored) : undefined;
  }

  private async stateOf(stored: AcmeGeneration): Promise<CertificateState> {
    const text = await loadTextOrUndefined(this.storage, acmeStateKey(this.record));
    try {
      const saved = text ? (JSON.parse(text) as CertificateState) : undefined;
      // state.json counts only for the certificate it names (a crash may have left an older one)
      if (saved && saved.serialNumber === stored.acme.serialNumber) return saved;
    } catch {
      // damaged: the facts in the generation still count
    }
    return stored.acme;
  }

  /** The stored certificate (and key), or undefined when there is none. */
  async current(): Promise<StoredCertificate | undefined> {
    const stored = await this.acmeGeneration();
    if (!stored) return undefined;
    const state = await this.stateOf(stored);
    const { 'privkey.pem': keyPem, 'cert.pem': certPem, 'chain.pem': chainPem, 'fullchain.pem': fullchainPem } = stored.files;
    if (!certPem) return undefined;
    const leaf = new X509Certificate(certPem);
    const chain = certificateBlocks(chainPem ?? '');
    let certId = state?.certId;
    if (!certId) {
      try {
        certId = certificateId(certPem);
      } catch {
        certId = undefined;
      }
    }
    return {
      keyPem,
      certPem,
      chain,
      chainPem: chain.join(''),
      fullchainPem: fullchainPem ?? certPem + chain.join(''),
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      serialNumber: leaf.serialNumber,
      identifiers: state?.identifiers ?? [],
      certId,
    };
  }

  /** What a status line needs. */
  async status(): Promise<ManagerStatus> {
    const [stored, state] = await Promise.all([this.current(), this.state()]);
    if (!stored) return { name: this.name, hasCertificate: false, lastError: this.lastError };
    const r = state?.renewal;
    return {
      name: this.name,
      hasCertificate: true,
      identifiers: stored.identifiers,
      notAfter: stored.notAfter,
      daysLeft: Math.floor((stored.notAfter.getTime() - this.now().getTime()) / 86400000),
      profile: state?.profile,
      renewal: r
        ? { due: new Date(r.due), source: r.source, nextCheck: new Date(r.nextCheck), explanation: r.explanation, checkedAt: new Date(r.checkedAt) }
        : undefined,
      lastError: this.lastError,
    };
  }

  /**
   * Issues, renews when due, or returns the current certificate (`renewed: false`).
   * Concurrent calls for the same folder share one run; a forced renewal asked for while a plain
   * check runs (the start-up check, a timer) runs after that check instead of taking its answer.
   */
  ensure(opts: EnsureOptions = {}): Promise<EnsureResult> {
    const running = inFlight.get(this.dir);
    if (running && (running.forced || !opts.force)) return running.run;
    const checkFirst = running ? running.run.then(noop, noop) : Promise.resolve();
    const onWait = (reason: string) => (opts.onProgress ?? this.options.onProgress)?.(reason, { step: 'storage' });
    // Cluster: a forced renewal asked for while another instance renews it is served by that renewal.
    const seen = opts.force
      ? this.acmeGeneration().then(
          (g) => g?.generation ?? null,
          () => undefined,
        )
      : Promise.resolve(undefined);
    const run = Promise.all([seen, checkFirst])
      .then(([seenGeneration]) =>
        withLock(this.storage, acmeLock(this.record), () => this.ensureOnce(opts, seenGeneration), { timeoutMs: ORDER_LOCK_TIMEOUT_MS, onWait }),
      )
      .then(
        (result) => {
          this.lastError = undefined;
          return result;
        },
        (err) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          throw err;
        },
      )
      .finally(() => {
        if (inFlight.get(this.dir)?.run === run) inFlight.delete(this.dir);
      });
    inFlight.set(this.dir, { run, forced: !!opts.force });
    return run;
  }

  /** Asks the CA (ARI) or the lifetime rule when to renew; stores the answer. */
  async checkRenewal(opts: { refresh?: boolean; onProgress?: ProgressCallback } = {}): Promise<RenewalPlan | undefined> {
    const stored = await this.current();
    if (!stored) return undefined;
    const state = await this.state();
    return this.renewalPlan(stored, state, !!opts.refresh, opts.onProgress ?? this.options.onProgress);
  }

  private async renewalPlan(
    stored: StoredCertificate,
    state: CertificateState | undefined,
    refresh: boolean,
    onProgress?: ProgressCallback,
  ): Promise<RenewalPlan> {
    const now = this.now();
    const saved = state ? planFromState(state, stored.certPem) : undefined;
    if (saved && !refresh && now < saved.nextCheck) {
      // before the CA's Retry-After: keep the plan, but the expiry rule still applies
      const local = planRenewal({ certPem: stored.certPem, now, previous: undefined, checkIntervalMs: this.options.checkIntervalMs });
      return local.source === 'expiry' ? local : saved;
    }
    onProgress?.('checking renewal', { step: 'renewal-check' });
    let account: AcmeAccount | undefined;
    try {
      account = await this.account(onProgress);
    } catch {
      account = undefined; // no account now: the lifetime rule still gives a time
    }
    const plan = await checkRenewal(account, stored.certPem, {
      now,
      checkIntervalMs: this.options.checkIntervalMs,
      previous: state?.renewal ? { due: state.renewal.due, window: state.renewal.window } : undefined,
    });
    if (state) await this.saveState({ ...state, renewal: this.renewalState(plan, now) });
    return plan;
  }

  private renewalState(plan: RenewalPlan, now: Date): CertificateState['renewal'] {
    return {
      due: plan.due.toISOString(),
      source: plan.source,
      nextCheck: plan.nextCheck.toISOString(),
      explanation: plan.explanation,
      window: plan.window ? { start: plan.window.start.toISOString(), end: plan.window.end.toISOString() } : undefined,
      checkedAt: now.toISOString(),
    };
  }

  private async saveState(state: CertificateState): Promise<void> {
    await this.storage.store(acmeStateKey(this.record), `${JSON.stringify(state, null, 2)}\n`);
  }

  private async ensureOnce(opts: EnsureOptions, seenGeneration?: string | null): Promise<EnsureResult> {
    const onProgress = opts.onProgress ?? this.options.onProgress;
    const configured = opts.identifiers ?? this.options.identifiers;
    const hasConfigured = configured !== undefined && configured !== '' && !(Array.isArray(configured) && configured.length === 0);
    const wanted = hasConfigured ? parseIdentifiers(configured) : undefined;
    if (!wanted && !opts.csrPem) throw new CertflowError('ACME_NO_IDENTIFIERS', `no DNS name or IP address set for certificate "${this.name}"`);

    const [stored, state] = await Promise.all([this.current(), this.state()]);
    let reason: EnsureReason | undefined;
    if (!stored) reason = 'new';
    else if (wanted && !sameIdentifiers(stored.identifiers, wanted)) reason = 'identifiers-changed';
    else if (opts.force && !(seenGeneration !== undefined && (await this.acmeGeneration())?.generation !== (seenGeneration ?? undefined)))
      reason = 'forced';
    else if (state?.revokedAt) reason = 'revoked';
    else if (stored.keyPem && !keyMatchesCertificate(loadPrivateKey(stored.keyPem), stored.certPem)) reason = 'key-mismatch';

    // a journal older than the stored certificate is a leftover of the order that gave it
    const since = stored ? (state?.issuedAt ? new Date(state.issuedAt) : stored.notBefore) : undefined;
    let current: EnsureResult | undefined;
    if (!reason && stored) {
      const plan = await this.renewalPlan(stored, state, !!opts.refreshRenewalInfo, onProgress);
      if (plan.due.getTime() > this.now().getTime()) {
        current = { renewed: false, reason: 'current', certificate: stored, renewal: plan };
        // an order a crash cut short (a renewal asked for, a certificate issued but not stored) is finished, not left at the CA
        if (!(await OrderJournal.interrupted(this.storage, this.record, since, this.now()))) return current;
        reason = 'continued';
      } else {
        reason = 'due';
      }
    }

    // finishing a cut-short order is a bonus: without the account now, the current certificate stands
    const account = current ? await this.account(onProgress).catch(() => undefined) : await this.account(onProgress);
    if (!account) return current!;
    let key: CertificateKeySource;
    let keySource: CertificateState['keySource'];
    if (opts.csrPem) {
      key = { kind: 'csr', csrPem: opts.csrPem };
      keySource = 'csr';
    } else if (opts.keyPem) {
      key = { kind: 'key', keyPem: opts.keyPem, passphrase: opts.keyPassphrase };
      keySource = 'given';
    } else if (this.options.keyPolicy === 'reuse' && stored?.keyPem) {
      key = { kind: 'key', keyPem: stored.keyPem };
      keySource = 'reused';
    } else {
      key = { kind: 'generate', algorithm: this.options.keyAlgorithm ?? 'ec-p256' };
      keySource = 'generated';
    }
    // replaces: only for a renewal of the same names by the same account (RFC 9773 section 5)
    const replaces =
      stored &&
      reason !== 'new' &&
      reason !== 'identifiers-changed' &&
      stored.certId &&
      (!state?.accountUrl || state.accountUrl === account.accountUrl)
        ? stored.certId
        : undefined;
    const profile = this.options.profile ?? state?.profile;

    const journal = await OrderJournal.open(
      this.storage,
      this.record,
      {
        directoryUrl: account.directoryUrl,
        accountUrl: account.accountUrl,
        keySource,
        inputDigest: opts.csrPem ? digestOf(opts.csrPem) : opts.keyPem ? digestOf(opts.keyPem) : undefined,
      },
      () => this.now(),
      since,
    );
    const resume = journal.previous;
    if (current && !resume) return current; // left by another account or key choice: not ours to finish

    const issued = await issueCertificate({
      account,
      identifiers: wanted,
      challenges: this.options.challenges,
      key,
      profile: profile || undefined,
      replaces,
      preferredChain: this.options.preferredChain,
      onProgress,
      resume,
      continueOnly: !!current,
      leftoverTxt: journal.leftoverTxtRecords,
      recorder: journal,
    }).catch(async (err: unknown) => {
      // a failed order changes nothing stored, and leaves a journal only while the order may go on
      if (current || !orderMayContinue(err)) await journal.abandon().catch(() => undefined);
      if (!current) throw err;
      // finishing a cut-short order is a bonus: the stored certificate is current, nothing failed
      onProgress?.(`the order an earlier run left was not finished (${err instanceof Error ? err.message : String(err)})`, {
        step: 'order',
        warn: true,
      });
      return undefined;
    });
    if (!issued) return current!;

    onProgress?.('storing certificate', { step: 'store' });
    const now = this.now();
    const plan = await checkRenewal(account, issued.certPem, { now, checkIntervalMs: this.options.checkIntervalMs });
    await this.store(issued, {
      version: 1,
      name: this.name,
      directoryUrl: account.directoryUrl,
      accountUrl: account.accountUrl,
      identifiers: issued.identifiers,
      profile: issued.profile,
      certId: issued.certId,
      serialNumber: issued.serialNumber,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      issuedAt: now.toISOString(),
      orderUrl: issued.orderUrl,
      replaces: issued.replaces,
      keySource,
      renewal: this.renewalState(plan, now),
    });
    // stored: nothing is left to continue (a journal that stays is older than this certificate, so ignored)
    await journal.clear().catch(() => undefined);
    const days = Math.floor((issued.notAfter.getTime() - now.getTime()) / 86400000);
    onProgress?.(`issued, expires in ${days} d`, { step: 'store' });
    const certificate = (await this.current())!;
    return { renewed: true, reason: reason ?? 'forced', certificate, renewal: plan, order: issued.order, continued: issued.continued };
  }

  /**
   * One generation (key, certificate, chain and the ACME facts together), published in one
   * step; then state.json with the renewal plan. A crash between the two leaves a state.json
   * naming the old serial, which is then ignored: the facts in the generation count.
   */
  private async store(issued: IssuedCertificate, state: CertificateState): Promise<void> {
    const leaf = new X509Certificate(issued.certPem);
    const { renewal: _renewal, revokedAt: _revoked, ...acme } = state;
    const meta = {
      name: this.record,
      installedAt: state.issuedAt,
      source: 'acme',
      subject: (leaf.subject ?? '').replace(/\n/g, ', ') || issued.identifiers.map((i) => i.value)[0] || '',
      issuer: (leaf.issuer ?? '').replace(/\n/g, ', '),
      serialNumber: leaf.serialNumber,
      notBefore: new Date(leaf.validFrom).toISOString(),
      notAfter: new Date(leaf.validTo).toISOString(),
      fingerprint256: leaf.fingerprint256,
      acme,
    };
    const chain = certificateBlocks(issued.chainPem);
    // CSR given: no key of ours matches, the generation holds none
    await this.storage.publishGeneration(
      this.record,
      generationFiles({ key: issued.keyPem, cert: issued.certPem, chain, fullchain: issued.fullchainPem }, meta),
    );
    await this.saveState(state);
  }

  /**
   * Remembers (in the record, `delivered.json`) that the flow has this certificate: the node
   * calls it once the message carrying it was handled downstream.
   */
  async markDelivered(certificate: Pick<StoredCertificate, 'certPem' | 'serialNumber'>): Promise<void> {
    const delivered = {
      serialNumber: certificate.serialNumber,
      fingerprint256: new X509Certificate(certificate.certPem).fingerprint256,
      deliveredAt: this.now().toISOString(),
    };
    await this.storage.store(deliveredKey(this.record), `${JSON.stringify(delivered, null, 2)}\n`);
  }

  /**
   * The stored certificate when the flow never received it (a stop or kill came between the
   * store and the send, or before the message was handled), with its renewal plan as stored;
   * undefined when there is none or it was delivered. A certificate stored before this was
   * remembered at all (no delivered.json) counts as undelivered: sending it again is harmless.
   */
  async undelivered(): Promise<{ certificate: StoredCertificate; renewal: RenewalPlan } | undefined> {
    const stored = await this.acmeGeneration();
    if (!stored) return undefined;
    const certificate = await this.current();
    if (!certificate) return undefined;
    const text = await loadTextOrUndefined(this.storage, deliveredKey(this.record));
    try {
      const delivered = text ? (JSON.parse(text) as { fingerprint256?: string }) : undefined;
      if (delivered?.fingerprint256 === new X509Certificate(certificate.certPem).fingerprint256) return undefined;
    } catch {
      // damaged: send again
    }
    const state = await this.stateOf(stored);
    const renewal =
      planFromState(state, certificate.certPem) ??
      planRenewal({ certPem: certificate.certPem, now: this.now(), checkIntervalMs: this.options.checkIntervalMs });
    return { certificate, renewal };
  }

  /** Revokes the stored certificate at the CA; the next ensure() orders a new one. */
  async revoke(opts: { reason?: RevocationReason | number | (string & {}); onProgress?: ProgressCallback } = {}): Promise<void> {
    const stored = await this.current();
    if (!stored) throw new CertflowError('ACME_NO_CERTIFICATE', `certificate "${this.name}" has not been issued yet: nothing to revoke`);
    const onProgress = opts.onProgress ?? this.options.onProgress;
    const account = await this.account(onProgress);
    await revokeCertificate(account, stored.certPem, opts.reason, onProgress);
    const state = await this.state();
    if (state) await this.saveState({ ...state, revokedAt: this.now().toISOString() });
  }
}
