/**
 * Revocation (RFC 8555 section 7.6) with a reason code (RFC 5280 section 5.3.1).
 */
import { CertflowError } from '../errors';
import { certificateBlocks } from '../inspect/pem-blocks';
import type { AcmeAccount } from './account';
import type { ProgressCallback } from './types';

/** Reason names a flow may use -> RFC 5280 CRLReason codes CAs accept. */
export const REVOCATION_REASONS = Object.freeze({
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
});

export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** Reason name or code -> code; clear error for anything else. */
export function revocationReasonCode(reason: RevocationReason | number | (string & {}) | undefined): number {
  if (reason === undefined || reason === null || reason === '') return 0;
  if (typeof reason === 'number' || /^\d+$/.test(String(reason))) {
    const code = Number(reason);
    if (Object.values(REVOCATION_REASONS).includes(code as never)) return code;
  } else {
    const match = Object.entries(REVOCATION_REASONS).find(
      ([name]) =>
        name.toLowerCase() ===
        String(reason)
          .replace(/[\s_-]/g, '')
          .toLowerCase(),
    );
    if (match) return match[1];
  }
  throw new CertflowError(
    'ACME_BAD_REVOCATION_REASON',
    `"${String(reason)}" is not a revocation reason (use ${Object.entries(REVOCATION_REASONS)
      .map(([n, c]) => `${n} (${c})`)
      .join(', ')})`,
  );
}

/** Revokes a certificate (PEM, first block used) with the account that ordered it. */
export async function revokeCertificate(
  account: AcmeAccount,
  certPem: string,
  reason?: RevocationReason | number | (string & {}),
  onProgress?: ProgressCallback,
): Promise<void> {
  const first = certificateBlocks(String(certPem))[0];
  if (!first) throw new CertflowError('ACME_NO_CERTIFICATE', 'nothing to revoke: no PEM certificate given');
  const code = revocationReasonCode(reason);
  onProgress?.('revoking', { step: 'revoke' });
  try {
    await account.client.revokeCertificate(first, { reason: code });
  } catch (err) {
    if (err instanceof CertflowError)
      throw new CertflowError(err.code, `revoking the certificate failed: ${err.message}`, err.details, { cause: err });
    throw err;
  }
}
