/**
 * When to renew: the CA's ACME Renewal Information (RFC 9773) when it has it, otherwise when
 * 1/3 of the lifetime remains (1/2 for lifetimes of 10 days or less), at once when nearly
 * expired.
 */
import { X509Certificate } from 'node:crypto';
import { CertflowError } from '../errors';
import { objectOf } from '../guards';
import { certificateBlocks } from '../inspect/pem-blocks';
import { x509 } from '../pki/x509';
import type { AcmeAccount } from './account';
import { AcmeTransport, parseRetryAfter } from './transport';
import type { RenewalInfo, RenewalPlan } from './types';

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;
/** Default time between two renewal checks without ARI guidance (the node adds jitter). */
export const DEFAULT_CHECK_INTERVAL_MS = 6 * HOUR;

function firstCertificate(certPem: string): string {
  const first = certificateBlocks(String(certPem))[0];
  if (!first) throw new CertflowError('ACME_NO_CERTIFICATE', 'no PEM certificate given');
  return first;
}

/**
 * ARI certificate ID: base64url(AKI keyIdentifier) '.' base64url(serial number DER content
 * bytes, with the leading zero byte DER needs for a positive number).
 */
export function certificateId(certPem: string): string {
  const cert = new x509.X509Certificate(firstCertificate(certPem));
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
  if (!aki || !aki.keyId) {
    throw new CertflowError('ACME_NO_AKI', 'the certificate has no Authority Key Identifier, so the CA cannot give renewal information for it');
  }
  let serialHex = cert.serialNumber.toLowerCase();
  if (serialHex.length % 2) serialHex = `0${serialHex}`;
  // DER INTEGER: a set high bit needs a leading 00 to stay positive
  if (/^[89a-f]/.test(serialHex)) serialHex = `00${serialHex}`;
  const serial = Buffer.from(serialHex, 'hex');
  return `${Buffer.from(aki.keyId, 'hex').toString('base64url')}.${serial.toString('base64url')}`;
}

/** A time in a JSON answer (RFC 3339 text, or a number as Date reads it); an invalid Date for anything else. */
function timeOf(value: unknown): Date {
  return typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(NaN);
}

/**
 * Asks the CA's renewalInfo endpoint. Undefined when the CA has no ARI or does not know the
 * certificate (404).
 */
export async function fetchRenewalInfo(source: AcmeAccount | AcmeTransport, certPem: string): Promise<RenewalInfo | undefined> {
  const transport = source instanceof AcmeTransport ? source : source.transport;
  const directory = await transport.getDirectory();
  if (typeof directory.renewalInfo !== 'string') return undefined;
  const certId = certificateId(certPem);
  const url = `${directory.renewalInfo.replace(/\/+$/, '')}/${certId}`;
  const resp = await transport.request(url, 'get');
  if (resp.status === 404) return undefined;
  if (resp.status >= 400) throw transport.problemError(resp, url);
  const data = objectOf(resp.data);
  const window = objectOf(data.suggestedWindow);
  const start = timeOf(window.start);
  const end = timeOf(window.end);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) {
    throw new CertflowError('ACME_BAD_ARI', `the CA's renewal information for ${certId} has no valid suggestedWindow`);
  }
  const retryAfterMs = parseRetryAfter(resp.headers['retry-after']);
  return {
    certId,
    start,
    end,
    explanationUrl: typeof data.explanationURL === 'string' ? data.explanationURL : undefined,
    retryAfter: retryAfterMs !== undefined ? new Date(Date.now() + retryAfterMs) : undefined,
  };
}

export interface PlanRenewalOptions {
  certPem: string;
  renewalInfo?: RenewalInfo;
  now?: Date;
  /** Random number in [0,1) for the point in the ARI window (tests pass a fixed one). */
  random?: () => number;
  /** Keep the time chosen earlier when the CA's window did not change (no renewal twice). */
  previous?: { due: Date | string; window?: { start: Date | string; end: Date | string } };
  /** Time between checks when the CA gives no Retry-After (default 6 h). */
  checkIntervalMs?: number;
  /** Why ARI is not used (shown in the explanation). */
  ariNote?: string;
}

function days(ms: number): string {
  const d = ms / DAY;
  return d >= 2 ? `${Math.round(d)} days` : `${Math.max(0, Math.round(ms / HOUR))} hours`;
}

/** Renewal time for a certificate: ARI window, or lifetime rule, or now when nearly expired. */
export function planRenewal(opts: PlanRenewalOptions): RenewalPlan {
  const now = opts.now ?? new Date();
  const cert = new X509Certificate(firstCertificate(opts.certPem));
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const lifetime = Math.max(notAfter.getTime() - notBefore.getTime(), 1);
  const remaining = notAfter.getTime() - now.getTime();
  const interval = opts.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const info = opts.renewalInfo;
  const defaultNext = new Date(now.getTime() + interval);
  let certId = info?.certId;
  if (!certId) {
    try {
      certId = certificateId(opts.certPem);
    } catch {
      certId = undefined;
    }
  }

  // nearly expired (last tenth of the lifetime, or gone): renew at once whatever ARI says
  if (remaining <= lifetime / 10) {
    return {
      due: now,
      source: 'expiry',
      nextCheck: defaultNext,
      explanation:
        remaining <= 0
          ? `the certificate expired on ${notAfter.toISOString()}: renew now`
          : `the certificate expires in ${days(remaining)}: renew now`,
      certId,
      notAfter,
    };
  }

  if (info) {
    const window = { start: info.start, end: info.end };
    const nextCheck = info.retryAfter && info.retryAfter > now ? info.retryAfter : defaultNext;
    if (info.end <= now) {
      return {
        due: now,
        source: 'ari',
        nextCheck,
        explanation: `the CA asks to renew now (its renewal window ended ${info.end.toISOString()}${info.explanationUrl ? `; see ${info.explanationUrl}` : ''})`,
        window,
        certId,
        notAfter,
      };
    }
    const prev = opts.previous;
    const sameWindow =
      prev?.window && new Date(prev.window.start).getTime() === info.start.getTime() && new Date(prev.window.end).getTime() === info.end.getTime();
    // RFC 9773 section 4.2: a uniformly random time in the window, kept while the window stays
    const due = sameWindow
      ? new Date(prev.due)
      : new Date(info.start.getTime() + (opts.random ?? Math.random)() * (info.end.getTime() - info.start.getTime()));
    return {
      due,
      source: 'ari',
      nextCheck: due > now && due < nextCheck ? due : nextCheck,
      explanation: `the CA suggests renewing between ${info.start.toISOString()} and ${info.end.toISOString()}; chosen ${due.toISOString()}`,
      window,
      certId,
      notAfter,
    };
  }

  const fraction = lifetime <= 10 * DAY ? 1 / 2 : 1 / 3;
  const due = new Date(notAfter.getTime() - lifetime * fraction);
  return {
    due,
    source: 'lifetime',
    nextCheck: due > now && due < defaultNext ? due : defaultNext,
    explanation: `${opts.ariNote ? `${opts.ariNote}; ` : ''}renewing when ${fraction === 1 / 2 ? 'half' : 'a third'} of the ${days(lifetime)} lifetime remains (${due.toISOString()})`,
    certId,
    notAfter,
  };
}

/** Asks ARI (when the CA has it) and plans; ARI errors fall back to the lifetime rule. */
export async function checkRenewal(
  source: AcmeAccount | AcmeTransport | undefined,
  certPem: string,
  opts: Omit<PlanRenewalOptions, 'certPem' | 'renewalInfo'> = {},
): Promise<RenewalPlan> {
  let renewalInfo: RenewalInfo | undefined;
  let ariNote: string | undefined;
  if (source) {
    try {
      renewalInfo = await fetchRenewalInfo(source, certPem);
      if (!renewalInfo) ariNote = 'the CA gives no renewal information for this certificate';
    } catch (err) {
      ariNote = `renewal information unavailable (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return planRenewal({ ...opts, certPem, renewalInfo, ariNote });
}
