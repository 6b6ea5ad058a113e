/**
 * One named certificate kept current: files and state under a folder the caller chooses
 * (the node uses `<userDir>/certflow/acme/<name>/`), issue when missing or when the names
 * changed, renew when due (ARI or lifetime), otherwise hand back what is stored.
 *
 *   privkey.pem (0600)  cert.pem  chain.pem  fullchain.pem  state.json
 *
 * Files are replaced one by one with atomic renames (lib/atomic-file.ts), state.json last;
 * on load the key is checked against the certificate, so a crash between two renames is
 * noticed and repaired by a new order. A failed order changes no file.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, SECRET_FILE_MODE, PUBLIC_FILE_MODE } from '../atomic-file';
import { CertflowError } from '../errors';
import { keyMatchesCertificate, loadPrivateKey } from '../keys';
import type { AcmeAccount } from './account';
import { parseIdentifiers, sameIdentifiers } from './identifiers';
import { issueCertificate, type IssuedCertificate } from './order';
import { checkRenewal, certificateId, planRenewal } from './renewal';
import { revokeCertificate, type RevocationReason } from './revoke';
import type {
  AcmeIdentifier,
  CertificateKeyAlgorithm,
  CertificateKeySource,
  ChallengeOptions,
  ProgressCallback,
  RenewalPlan,
} from './types';

/** Gives the account when needed (the account config node opens it lazily). */
export type AccountProvider = (onProgress?: ProgressCallback) => Promise<AcmeAccount>;

export interface CertificateManagerOptions {
  /** Certificate name (msg.topic of the output; used in texts). */
  name: string;
  /** Folder for this certificate's files and state (created 0700). */
  baseDir: string;
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

export type EnsureReason = 'new' | 'identifiers-changed' | 'forced' | 'due' | 'revoked' | 'key-mismatch' | 'current';

export interface EnsureResult {
  /** True when a certificate was issued by this call. */
  renewed: boolean;
  reason: EnsureReason;
  certificate: StoredCertificate;
  renewal: RenewalPlan;
  /** The CA's final order object (when issued now); `replaces` shows what it replaced. */
  order?: Record<string, unknown>;
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

const FILES = { key: 'privkey.pem', cert: 'cert.pem', chain: 'chain.pem', fullchain: 'fullchain.pem', state: 'state.json' };

/** One in-flight ensure() per folder, shared by every manager of the process. */
const inFlight = new Map<string, Promise<EnsureResult>>();

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

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
  readonly dir: string;
  private readonly options: CertificateManagerOptions;
  private lastError?: string;

  constructor(options: CertificateManagerOptions) {
    if (!options || !options.name) throw new CertflowError('ACME_NO_NAME', 'a certificate needs a name');
    if (!options.baseDir) throw new CertflowError('ACME_NO_DIR', 'no folder given for the certificate files');
    this.options = options;
    this.name = options.name;
    this.dir = path.resolve(options.baseDir);
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  private async account(onProgress?: ProgressCallback): Promise<AcmeAccount> {
    const a = this.options.account;
    return typeof a === 'function' ? a(onProgress) : a;
  }

  /** state.json, or undefined. */
  async state(): Promise<CertificateState | undefined> {
    const text = await readText(path.join(this.dir, FILES.state));
    if (!text) return undefined;
    try {
      return JSON.parse(text) as CertificateState;
    } catch {
      return undefined; // damaged state: treated as no state, the certificate files still count
    }
  }

  /** The stored certificate (and key), or undefined when there is none. */
  async current(): Promise<StoredCertificate | undefined> {
    const [keyPem, certPem, chainPem, fullchainPem, state] = await Promise.all([
      readText(path.join(this.dir, FILES.key)),
      readText(path.join(this.dir, FILES.cert)),
      readText(path.join(this.dir, FILES.chain)),
      readText(path.join(this.dir, FILES.fullchain)),
      this.state(),
    ]);
    if (!certPem) return undefined;
    const leaf = new X509Certificate(certPem);
    const chain = (chainPem ?? '').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((b) => `${b}\n`) ?? [];
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
   * Concurrent calls for the same folder share one run.
   */
  ensure(opts: EnsureOptions = {}): Promise<EnsureResult> {
    const running = inFlight.get(this.dir);
    if (running) return running;
    const run = this.ensureOnce(opts)
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
        if (inFlight.get(this.dir) === run) inFlight.delete(this.dir);
      });
    inFlight.set(this.dir, run);
    return run;
  }

  /** Asks the CA (ARI) or the lifetime rule when to renew; stores the answer. */
  async checkRenewal(opts: { refresh?: boolean; onProgress?: ProgressCallback } = {}): Promise<RenewalPlan | undefined> {
    const stored = await this.current();
    if (!stored) return undefined;
    const state = await this.state();
    return this.renewalPlan(stored, state, !!opts.refresh, opts.onProgress ?? this.options.onProgress);
  }

  private async renewalPlan(stored: StoredCertificate, state: CertificateState | undefined, refresh: boolean, onProgress?: ProgressCallback): Promise<RenewalPlan> {
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
    await writeFileAtomic(path.join(this.dir, FILES.state), `${JSON.stringify(state, null, 2)}\n`, PUBLIC_FILE_MODE);
  }

  private async ensureOnce(opts: EnsureOptions): Promise<EnsureResult> {
    const onProgress = opts.onProgress ?? this.options.onProgress;
    const configured = opts.identifiers ?? this.options.identifiers;
    const hasConfigured = configured !== undefined && configured !== '' && !(Array.isArray(configured) && configured.length === 0);
    const wanted = hasConfigured ? parseIdentifiers(configured) : undefined;
    if (!wanted && !opts.csrPem) throw new CertflowError('ACME_NO_IDENTIFIERS', `no DNS name or IP address set for certificate "${this.name}"`);

    const [stored, state] = await Promise.all([this.current(), this.state()]);
    let reason: EnsureReason | undefined;
    if (!stored) reason = 'new';
    else if (wanted && !sameIdentifiers(stored.identifiers, wanted)) reason = 'identifiers-changed';
    else if (opts.force) reason = 'forced';
    else if (state?.revokedAt) reason = 'revoked';
    else if (stored.keyPem && !keyMatchesCertificate(loadPrivateKey(stored.keyPem), stored.certPem)) reason = 'key-mismatch';

    if (!reason && stored) {
      const plan = await this.renewalPlan(stored, state, !!opts.refreshRenewalInfo, onProgress);
      if (plan.due.getTime() > this.now().getTime()) {
        return { renewed: false, reason: 'current', certificate: stored, renewal: plan };
      }
      reason = 'due';
    }

    const account = await this.account(onProgress);
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
      stored && reason !== 'new' && reason !== 'identifiers-changed' && stored.certId && (!state?.accountUrl || state.accountUrl === account.accountUrl)
        ? stored.certId
        : undefined;
    const profile = this.options.profile ?? state?.profile;

    const issued = await issueCertificate({
      account,
      identifiers: wanted,
      challenges: this.options.challenges,
      key,
      profile: profile || undefined,
      replaces,
      preferredChain: this.options.preferredChain,
      onProgress,
    });

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
    const days = Math.floor((issued.notAfter.getTime() - now.getTime()) / 86400000);
    onProgress?.(`issued, expires in ${days} d`, { step: 'store' });
    const certificate = (await this.current())!;
    return { renewed: true, reason: reason ?? 'forced', certificate, renewal: plan, order: issued.order };
  }

  private async store(issued: IssuedCertificate, state: CertificateState): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (issued.keyPem) await writeFileAtomic(path.join(this.dir, FILES.key), issued.keyPem, SECRET_FILE_MODE);
    else await fs.rm(path.join(this.dir, FILES.key), { force: true }); // CSR given: no key of ours matches
    await writeFileAtomic(path.join(this.dir, FILES.cert), issued.certPem, PUBLIC_FILE_MODE);
    await writeFileAtomic(path.join(this.dir, FILES.chain), issued.chainPem, PUBLIC_FILE_MODE);
    await writeFileAtomic(path.join(this.dir, FILES.fullchain), issued.fullchainPem, PUBLIC_FILE_MODE);
    await this.saveState(state);
  }

  /** Revokes the stored certificate at the CA; the next ensure() orders a new one. */
  async revoke(opts: { reason?: RevocationReason | number | string; onProgress?: ProgressCallback } = {}): Promise<void> {
    const stored = await this.current();
    if (!stored) throw new CertflowError('ACME_NO_CERTIFICATE', `certificate "${this.name}" has not been issued yet: nothing to revoke`);
    const onProgress = opts.onProgress ?? this.options.onProgress;
    const account = await this.account(onProgress);
    await revokeCertificate(account, stored.certPem, opts.reason, onProgress);
    const state = await this.state();
    if (state) await this.saveState({ ...state, revokedAt: this.now().toISOString() });
  }
}
