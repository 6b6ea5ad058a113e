/**
 * Types shared by the ACME layer. No Node-RED import anywhere under lib/acme.
 */

/** An ACME identifier (RFC 8555 section 9.7.7, RFC 8738 for 'ip'). */
export interface AcmeIdentifier {
  type: 'dns' | 'ip';
  /** DNS name (lower case, may start with '*.') or an IP address in canonical form. */
  value: string;
}

/**
 * An order or authorization as the CA sent it (RFC 8555 section 7.1), with the URL it lives at:
 * JSON whose fields are checked where they are read (CAs send more than acme-client's types name).
 */
export type AcmeResource = Record<string, unknown> & { url: string };

/**
 * 'dns-account-01' (draft-ietf-acme-dns-account-label: the dns-01 value under an account label) and
 * 'dns-persist-01' (draft-ietf-acme-dns-persist: one TXT record set once by hand) are chosen by
 * type from what the CA offers.
 */
export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01' | 'dns-account-01' | 'dns-persist-01';

/** Key algorithms (same names as lib/pki/keys.ts KeyAlgorithm). */
export type CertificateKeyAlgorithm = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';

/**
 * Progress report. `text` is short and made for a node status ('ordering',
 * 'http-01 for a.example.com', 'finalizing'); never contains key material.
 */
export type ProgressCallback = (text: string, details?: ProgressDetails) => void;

export interface ProgressDetails {
  /** Machine-readable step: 'account', 'order', 'challenge', 'propagation', 'finalize', 'download', 'store', 'renewal-check', 'revoke', 'retry'. */
  step: string;
  identifier?: string;
  challenge?: ChallengeType;
  /** Worth a line in the log too, not only the status (e.g. a fallback the order took). */
  warn?: boolean;
}

/** Tuning of the HTTP transport to one ACME server. All fields optional. */
export interface TransportOptions {
  /** Per HTTP request timeout (default 30000 ms). */
  timeoutMs?: number;
  /** Retries of one ACME call after 5xx or network errors (default 4), with backoff. */
  maxRetries?: number;
  /** First backoff delay for 5xx/network retries (default 500 ms, doubled each time, max 10 s). */
  retryBaseDelayMs?: number;
  /** Longest Retry-After the transport will sleep through before giving up (default 60 s). */
  maxRetryAfterMs?: number;
  /** Retries of one signed request after badNonce, each with a fresh nonce (default 20, min 10). */
  badNonceRetries?: number;
  /** First delay when polling an authorization or order (default 250 ms). */
  pollInitialMs?: number;
  /** Longest delay between two polls (default 5000 ms). */
  pollMaxMs?: number;
  /** Give up polling one authorization/order after this long (default 180000 ms). */
  pollTimeoutMs?: number;
  /** User-Agent suffix (Pebble 2.10 refuses requests without a User-Agent). */
  userAgent?: string;
  /** Told about every retry (for a status line or a log); never gets secrets. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** 'badNonce' (retried at once with a fresh nonce), 'server-error' (5xx) or 'network'. */
  reason: 'badNonce' | 'server-error' | 'network';
  /** 1 for the first retry of this request. */
  attempt: number;
  /** Delay before this retry. */
  delayMs: number;
  url: string;
}

/** Options to reach one ACME directory (URL or preset id). */
export interface DirectoryOptions {
  /** Directory URL, or a preset id from CA_PRESETS ('letsencrypt', 'letsencrypt-staging', ...). */
  directory: string;
  /** Extra CA certificate(s) (PEM) trusted for THIS directory's origin only (private ACME server). */
  caPem?: string;
  transport?: TransportOptions;
}

/** What a directory tells about itself (RFC 8555 section 7.1.1 meta + draft profiles + ARI). */
export interface DirectoryMeta {
  directoryUrl: string;
  termsOfService?: string;
  website?: string;
  caaIdentities?: string[];
  externalAccountRequired: boolean;
  /** meta.profiles: profile name -> description (empty when the CA has none). */
  profiles: Record<string, string>;
  /** True when the directory has a `renewalInfo` endpoint (RFC 9773 ARI). */
  renewalInfo: boolean;
}

/** External Account Binding credentials (RFC 8555 section 7.3.4). */
export interface ExternalAccountBinding {
  kid: string;
  /** base64url HMAC key as the CA gives it. Secret. */
  hmacKey: string;
}

export interface AccountOptions extends DirectoryOptions {
  /** PEM of the account key; when absent a new EC P-256 key is generated (returned as accountKeyPem). */
  accountKeyPem?: string;
  /** Account URL remembered from an earlier run (saves one request). */
  accountUrl?: string;
  /** Contact e-mail addresses ('mailto:' is added when missing). */
  contact?: string[] | string;
  /** Must be true: no account is created without the user's agreement to the CA's terms. */
  termsOfServiceAgreed: boolean;
  externalAccountBinding?: ExternalAccountBinding;
  onProgress?: ProgressCallback;
}

/** http-01 answered by a process-wide token registry that a web route calls (Node-RED route). */
export interface Http01RouteOptions {
  method: 'route';
  /** Defaults to the shared `http01Registry`. */
  registry?: import('./challenges/http01-registry').Http01Registry;
}

/** http-01 answered by a listener opened only while an order is pending. */
export interface Http01StandaloneOptions {
  method: 'standalone';
  /** Address to bind (default '0.0.0.0'). */
  host?: string;
  /** Port to bind (default 80). */
  port?: number;
}

/** http-01 answered by files in a webroot served by another web server. */
export interface Http01WebrootOptions {
  method: 'webroot';
  /** Folder; token files go to `<webroot>/.well-known/acme-challenge/<token>`. */
  webroot: string;
}

export type Http01Options = Http01RouteOptions | Http01StandaloneOptions | Http01WebrootOptions;

/** One TXT record the flow must set or remove for dns-01. */
export interface Dns01Record {
  /** Record name without trailing dot, e.g. '_acme-challenge.example.com'. */
  name: string;
  /** TXT value (base64url SHA-256 of the key authorization). Not secret. */
  value: string;
  /** The identifier this record proves, e.g. '*.example.com'. */
  identifier: string;
}

/** Caller-supplied DNS updater (the Node-RED node implements it via its second output). */
export interface Dns01Hook {
  set(record: Dns01Record): Promise<void> | void;
  /**
   * `leftover`: a record an earlier holder of the order set (another process, before a crash):
   * remove it even though this hook did not write it.
   */
  remove(record: Dns01Record, options?: { leftover?: boolean }): Promise<void> | void;
  /** Who writes the records ('Cloudflare'), for texts. */
  label?: string;
  /** A name holds one TXT value at a time (DuckDNS): the order then proves names one after the other. */
  oneAtATime?: boolean;
  /** Own propagation check (e.g. at the zone's authoritative servers); replaces the resolver check. */
  waitForPropagation?(name: string, values: string[]): Promise<void>;
}

/** dns-persist-01: the record set once by hand (see lib/acme/dns/persist.ts). */
export interface DnsPersistOptions {
  /** Suggest and accept a record with policy=wildcard also for non-wildcard names (default: only for wildcards). */
  wildcard?: boolean;
  /** Suggest a record that stops working after this time. */
  persistUntil?: Date;
}

export interface Dns01Options {
  /** Sets/removes TXT records; needed for dns-01 and dns-account-01 (not for dns-persist-01). */
  hook?: Dns01Hook;
  persist?: DnsPersistOptions;
  /** Resolvers for the propagation check, 'ip' or 'ip:port' (default: the system's). */
  resolvers?: string[];
  /** Check that the TXT value is visible before answering the CA (default true). */
  checkPropagation?: boolean;
  /** Give up when the value is not visible after this long (default 120000 ms). */
  propagationTimeoutMs?: number;
  /** Delay between two TXT lookups (default 2000 ms). */
  propagationPollMs?: number;
}

export interface TlsAlpn01Options {
  /** Address to bind (default '0.0.0.0'). */
  host?: string;
  /** Port to bind (default 443). */
  port?: number;
}

/** How identifiers are proved. */
export interface ChallengeOptions {
  /** Challenge per identifier kind; defaults: dns 'http-01', wildcard 'dns-01', ip 'http-01'. */
  defaults?: { dns?: ChallengeType; wildcard?: ChallengeType; ip?: ChallengeType };
  /** Challenge per identifier value (e.g. { 'b.example.com': 'dns-01' }); wins over defaults. */
  perIdentifier?: Record<string, ChallengeType>;
  /** How to answer http-01 (default { method: 'route' } with the shared registry). */
  http01?: Http01Options;
  /** Needed when any identifier uses dns-01. */
  dns01?: Dns01Options;
  /** How to answer tls-alpn-01 (default port 443 on all addresses). */
  tlsAlpn01?: TlsAlpn01Options;
}

/** Certificate key: generate one, use a given one, or send a given CSR. */
export type CertificateKeySource =
  { kind: 'generate'; algorithm?: CertificateKeyAlgorithm } | { kind: 'key'; keyPem: string; passphrase?: string } | { kind: 'csr'; csrPem: string };

/** ARI suggested window (RFC 9773). */
export interface RenewalInfo {
  certId: string;
  start: Date;
  end: Date;
  explanationUrl?: string;
  /** When the CA wants to be asked again (from Retry-After). */
  retryAfter?: Date;
}

/** When to renew and why. */
export interface RenewalPlan {
  /** Renew at (or after) this time; in the past = due now. */
  due: Date;
  /** 'ari' = CA's window, 'lifetime' = 1/3 (or 1/2) of lifetime left, 'expiry' = nearly or already expired. */
  source: 'ari' | 'lifetime' | 'expiry';
  /** When to check again (ARI Retry-After, or earlier when renewal is due sooner). */
  nextCheck: Date;
  /** One sentence for a person, e.g. 'the CA suggests renewing between ... and ...'. */
  explanation: string;
  window?: { start: Date; end: Date };
  /** ARI certificate ID (used as `replaces` in the renewal order). */
  certId?: string;
  notAfter: Date;
}
