/**
 * ACME problem documents (RFC 8555 section 6.7, RFC 7807): parsed into something an error
 * message can name - the problem type, the CA's detail, subproblems per identifier - plus a
 * hint a Node-RED user can act on.
 */

import { CertflowError } from '../errors';
import { textOf } from '../guards';

const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

export interface AcmeSubproblem {
  type: string;
  /** Type without the 'urn:ietf:params:acme:error:' prefix, e.g. 'rejectedIdentifier'. */
  shortType: string;
  detail: string;
  identifier?: { type: string; value: string };
}

export interface AcmeProblem extends AcmeSubproblem {
  status?: number;
  subproblems: AcmeSubproblem[];
}

function shorten(type: string): string {
  return type.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type;
}

function toSubproblem(raw: Record<string, unknown>): AcmeSubproblem {
  const type = typeof raw.type === 'string' ? raw.type : 'about:blank';
  const identifier = raw.identifier as { type?: unknown; value?: unknown } | undefined;
  return {
    type,
    shortType: shorten(type),
    detail: typeof raw.detail === 'string' ? raw.detail.replace(/\s+/g, ' ').trim() : '',
    identifier: identifier && typeof identifier.value === 'string' ? { type: textOf(identifier.type ?? 'dns'), value: identifier.value } : undefined,
  };
}

/** Reads a problem document (or an object with an `error` member, like a challenge). */
export function parseAcmeProblem(data: unknown, status?: number): AcmeProblem | undefined {
  if (!data || typeof data !== 'object') return undefined;
  let raw = data as Record<string, unknown>;
  if (raw.error && typeof raw.error === 'object' && typeof raw.type !== 'string') {
    raw = raw.error as Record<string, unknown>;
  } else if (raw.error && typeof raw.error === 'object' && typeof raw.status === 'string') {
    raw = raw.error as Record<string, unknown>; // a challenge or authorization object
  }
  if (typeof raw.type !== 'string' && typeof raw.detail !== 'string') return undefined;
  const base = toSubproblem(raw);
  const subproblems = Array.isArray(raw.subproblems)
    ? raw.subproblems.filter((s) => s && typeof s === 'object').map((s) => toSubproblem(s as Record<string, unknown>))
    : [];
  return { ...base, status: typeof raw.status === 'number' ? raw.status : status, subproblems };
}

/** Short advice per problem type; the CA's detail is always shown too. */
const HINTS: Record<string, string> = {
  accountDoesNotExist: 'the account is unknown to this CA; it will be created again on the next try',
  badCSR: 'the CA refused the certificate request (key type or names not accepted)',
  badPublicKey: 'the CA does not accept this key type or size',
  badSignatureAlgorithm: 'the CA does not accept this key type for signatures',
  caa: 'a CAA record in DNS forbids this CA for the name',
  externalAccountRequired: 'this CA needs External Account Binding (key ID and HMAC key from its web site)',
  invalidContact: 'the CA refused the contact e-mail address',
  rejectedIdentifier: 'the CA will not issue certificates for this name',
  unsupportedIdentifier: 'the CA does not issue certificates for this kind of identifier',
  userActionRequired: "the CA's terms of service changed or need action on its web site",
  alreadyRevoked: 'the certificate is already revoked',
  badRevocationReason: 'the CA does not accept this revocation reason',
};

/** One-line description: 'rejectedIdentifier: <detail> (<hint>); a.example: ...'. */
export function describeAcmeProblem(problem: AcmeProblem): string {
  const hint = HINTS[problem.shortType];
  let text = `${problem.shortType}${problem.detail ? `: ${problem.detail}` : ''}`;
  if (hint) text += ` (${hint})`;
  const subs = problem.subproblems
    .map((s) => `${s.identifier ? `${s.identifier.value}: ` : ''}${s.shortType}${s.detail ? ` - ${s.detail}` : ''}`)
    .filter((s) => !problem.detail.includes(s));
  if (subs.length) text += `; ${subs.join('; ')}`;
  return text;
}

/** Error code for a problem type: 'ACME_RATE_LIMITED', 'ACME_REJECTED_IDENTIFIER', ... */
export function problemCode(problem: AcmeProblem): string {
  const snake = problem.shortType
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();
  return snake ? `ACME_${snake}` : 'ACME_ERROR';
}

export function stepError(step: string, err: unknown): Error {
  if (err instanceof CertflowError) return new CertflowError(err.code, `${step} failed: ${err.message}`, { ...err.details, step }, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new CertflowError('ACME_FAILED', `${step} failed: ${message}`, { step }, { cause: err });
}

/**
 * Problems that say nothing about the certificate named in `replaces` (the account, the names,
 * the rate limit, a spent nonce): ordering again without `replaces` would fail the same way.
 */
const NOT_ABOUT_REPLACES = new Set([
  'rateLimited',
  'badNonce',
  'accountDoesNotExist',
  'externalAccountRequired',
  'userActionRequired',
  'rejectedIdentifier',
  'unsupportedIdentifier',
  'caa',
  'invalidContact',
  'unsupportedContact',
  'badPublicKey',
  'badSignatureAlgorithm',
]);

/**
 * Was a newOrder carrying `replaces` (RFC 9773 section 5) refused for a reason that may concern
 * the replaced certificate? Any answer of the CA counts except the problems above: CAs word
 * this freely (Pebble 2.10: `serverInternal: could not find an order for the given
 * certificate` for a serial with a leading 00 byte; others `conflict`, `alreadyReplaced`,
 * `malformed`). The order is then tried again without `replaces`: renewing matters more than
 * the hint. A failure without an answer (network, timeout) is not a refusal.
 */
export function refusalMayConcernReplaces(err: unknown): boolean {
  if (!(err instanceof CertflowError)) return false;
  const details = err.details ?? {};
  if (typeof details.status !== 'number' || details.status < 400) return false;
  if (err.code === 'ACME_RATE_LIMITED' || details.status === 429) return false;
  const type = typeof details.problemType === 'string' ? details.problemType.replace(/^urn:ietf:params:acme:error:/, '') : '';
  return !NOT_ABOUT_REPLACES.has(type);
}

/** What a flow gets when an order or renewal failed (the ACME node's 3rd output): enough for an alert. */
export interface FailureReport {
  /** The certificate's name (its record). */
  certificate: string;
  /** Where it failed: 'account', 'order', 'challenge', 'propagation', 'finalize', 'download', 'store', 'renewal-check'. */
  stage: string;
  /** The step in words, e.g. 'http-01 for a.example.com'. */
  step?: string;
  /** The name or address it failed for, when one is known. */
  identifier?: string;
  identifiers: string[];
  /** The CA's problem document, when the CA answered with one. */
  problem?: { type: string; shortType: string; detail: string; status?: number };
  error: { code: string; message: string };
  /** When the node tries again (ISO time), or null when nothing is scheduled. */
  nextRetry: string | null;
  /** Days left on the certificate in use (null: none stored yet). */
  daysLeft: number | null;
  notAfter: string | null;
  /** Failures in a row for this certificate (1 = the first). */
  failures: number;
  at: string;
}

export function failureReport(
  err: unknown,
  facts: { certificate: string; identifiers: string[]; stage?: string; nextRetry?: Date; notAfter?: Date; failures: number; now?: Date },
): FailureReport {
  const now = facts.now ?? new Date();
  const details = (err instanceof CertflowError ? err.details : undefined) ?? {};
  const type = typeof details.problemType === 'string' ? details.problemType : undefined;
  const code = err instanceof CertflowError ? err.code : 'ACME_FAILED';
  const step = typeof details.step === 'string' ? details.step : undefined;
  const stage = facts.stage ?? (code === 'ACME_CHALLENGE_FAILED' ? 'challenge' : step?.startsWith('finalizing') ? 'finalize' : 'order');
  return {
    certificate: facts.certificate,
    stage,
    step,
    identifier: typeof details.identifier === 'string' ? details.identifier : facts.identifiers.length === 1 ? facts.identifiers[0] : undefined,
    identifiers: facts.identifiers,
    problem: type
      ? {
          type,
          shortType: type.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type,
          detail: typeof details.problemDetail === 'string' ? details.problemDetail : '',
          status: typeof details.status === 'number' ? details.status : undefined,
        }
      : undefined,
    error: { code, message: err instanceof Error ? err.message : String(err) },
    nextRetry: facts.nextRetry ? facts.nextRetry.toISOString() : null,
    daysLeft: facts.notAfter ? Math.floor((facts.notAfter.getTime() - now.getTime()) / 86400000) : null,
    notAfter: facts.notAfter ? facts.notAfter.toISOString() : null,
    failures: facts.failures,
    at: now.toISOString(),
  };
}
