/**
 * ACME layer (RFC 8555 + RFC 8738 IP identifiers + RFC 9773 ARI + profiles) on top of
 * acme-client's low-level API. Plain TypeScript, no Node-RED import.
 *
 * Typical use by a node:
 *   const account = await openAccount({ directory: 'letsencrypt', contact: ['me@x.org'], termsOfServiceAgreed: true, accountKeyPem });
 *   // store account.accountKeyPem (credentials) and account.accountUrl when account.keyGenerated
 *   const manager = new CertificateManager({ name, baseDir, account, identifiers: ['a.example.com'],
 *                                            challenges: { http01: { method: 'route' } }, profile: 'default' });
 *   const result = await manager.ensure();          // issues, renews when due, or returns the current one
 *   // Node-RED route: GET /.well-known/acme-challenge/:token -> http01Registry.lookup(token) (404 when undefined)
 *
 * API changes after first publication (all additive or stricter input):
 * - TransportOptions.onRetry + type RetryInfo (retries reported for a status line).
 * - parseIdentifiers() splits text on commas, semicolons and newlines only: a space inside an
 *   entry is reported ("exa mple.com" is not a valid DNS name) instead of splitting it.
 */
export * from './types';
export { CA_PRESETS, resolveDirectoryUrl, fetchDirectoryMeta } from './directories';
export type { CaPreset } from './directories';
export { AcmeTransport, createAcmeClient, ACME_USER_AGENT } from './transport';
export type { AcmeResponse, AcmeClientOptions } from './transport';
export { parseAcmeProblem, describeAcmeProblem, failureReport } from './problems';
export type { AcmeProblem, FailureReport } from './problems';
export { generateAccountKey, openAccount, rolloverAccountKey, deactivateAccount, accountUrlForKey } from './account';
export type { AcmeAccount } from './account';
export { AccountStore } from './account-store';
export type { StoredAccount } from './account-store';
export { parseIdentifiers, identifierLabel, challengeTypeFor, dns01RecordName, sameIdentifiers, isDnsChallenge } from './identifiers';
export { Http01Registry, http01Registry, HTTP01_PATH_PREFIX } from './challenges/http01-registry';
export { startHttp01Listener } from './challenges/http01-standalone';
export type { Http01Listener } from './challenges/http01-standalone';
export { startHttp01RedirectListener } from './challenges/http01-redirect';
export type { Http01RedirectListener, RedirectTarget } from './challenges/http01-redirect';
export { writeWebrootToken } from './challenges/http01-webroot';
export { createTlsAlpnCertificate, startTlsAlpnListener } from './challenges/tls-alpn01';
export type { TlsAlpnListener } from './challenges/tls-alpn01';
export { waitForTxtPropagation, lookupTxt } from './challenges/dns01';
export { issueCertificate } from './order';
export type { IssueOptions, IssuedCertificate } from './order';
export { revokeCertificate, REVOCATION_REASONS } from './revoke';
export type { RevocationReason } from './revoke';
export { certificateId, fetchRenewalInfo, planRenewal, checkRenewal } from './renewal';
export { CertificateManager } from './manager';
export { RenewalScheduler, MAX_TIMER_MS } from './scheduler';
export type { RenewalSchedulerOptions, Clock } from './scheduler';
/** DNS providers and propagation checks for dns-01 (lib/acme/dns/index.ts lists them). */
export * as dns from './dns';
export type {
  CertificateManagerOptions,
  EnsureOptions,
  EnsureResult,
  StoredCertificate,
  CertificateState,
  ManagerStatus,
  AccountProvider,
} from './manager';
