/**
 * HTTP transport to ONE ACME server, and an acme-client `Client` wired to it.
 *
 * Why not acme-client's own transport: its axios instance (`acme.axios`, src/axios.js) is
 * shared by every acme-client user in the process, its retry reads the process-global
 * `instance.defaults.acmeSettings.retryMaxAttempts` and, on a 5xx/429, resends the same JWS
 * (a spent nonce); after a network error it ends in `validateStatus(undefined)` and throws
 * "Cannot read properties of undefined (reading 'config')", hiding the cause.
 *
 * What we do instead (per Client instance, nothing global is touched; the non-public parts of
 * acme-client this needs are reached through acme-client-adapter.ts only):
 * - `client.http.request` (src/http.js HttpClient#request: the one place that sends; used by
 *   getDirectory, getNonce and signedRequest) is replaced on that instance by `transport.request`:
 *   node:https with this server's own Agent. The Agent trusts the extra CA PEM (plus Node's
 *   bundled roots) and is used for URLs of the directory's origin only; other origins get
 *   Node's default agent, so the extra trust never leaks to another host or client.
 * - every request has a timeout; GET/HEAD (directory, nonce, ARI) are retried on network
 *   errors and 5xx with backoff, honouring Retry-After.
 * - `client.http.signedRequest` is wrapped: each outer attempt signs with a FRESH nonce;
 *   badNonce is retried (acme-client's own loop, `maxBadNonceRetries`, uses the replay-nonce
 *   of the error answer, which is fresh too), 5xx and network errors with backoff and
 *   Retry-After; `rateLimited`/429 is never retried but reported with the CA's retry time;
 *   any other error status becomes a CertflowError naming the problem type and detail.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { Client } from 'acme-client';
import { CertflowError } from '../errors';
import { isObject } from '../guards';
import { describeAcmeProblem, parseAcmeProblem, problemCode } from './problems';
import type { ExternalAccountBinding, TransportOptions } from './types';
import { ACME_CLIENT_VERSION, httpClientOf, prototypeSignedRequest, type AcmeHttpClient } from './acme-client-adapter';

/** Sent with every request (Pebble 2.10 and RFC 8555 section 6.1 want one). */
export const ACME_USER_AGENT = `node-red-certificates (acme-client/${ACME_CLIENT_VERSION})`;

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The response shape acme-client reads (status, lower-case headers, parsed data). */
export interface AcmeResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** Parsed JSON for JSON answers, else the body as a string ('' when empty). */
  data: any;
}

/**
 * An ACME directory (RFC 8555 section 7.1.1). newNonce and newOrder are checked when it is read;
 * every other field is as the server sent it.
 */
export interface AcmeDirectory {
  newNonce: string;
  newOrder: string;
  meta?: AcmeDirectoryMeta;
  [field: string]: unknown;
}

/** The directory's `meta` object (termsOfService, externalAccountRequired, profiles, ...). */
export interface AcmeDirectoryMeta {
  [field: string]: unknown;
}

function isAcmeDirectory(value: unknown): value is AcmeDirectory {
  return isObject(value) && typeof value.newNonce === 'string' && typeof value.newOrder === 'string';
}

export interface AcmeClientOptions extends TransportOptions {
  directoryUrl: string;
  accountKeyPem: string;
  accountUrl?: string;
  caPem?: string;
  externalAccountBinding?: ExternalAccountBinding;
  /** Reuse a transport (shares its agent and directory cache). */
  transport?: AcmeTransport;
}

interface RequestOptions {
  data?: unknown;
  headers?: Record<string, string>;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_ACME_TIMEOUT',
]);

const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

function splitPem(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length === 0) {
    throw new CertflowError('ACME_BAD_CA_PEM', 'the CA certificate to trust for the ACME server is not a PEM certificate');
  }
  return blocks.map((b) => `${b}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry-After (seconds or HTTP date) -> milliseconds from now, or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function isNetworkError(err: unknown): err is NodeJS.ErrnoException {
  return !!err && typeof err === 'object' && 'code' in err && !(err instanceof CertflowError);
}

export class AcmeTransport {
  readonly directoryUrl: string;
  readonly origin: string;
  readonly options: Required<Omit<TransportOptions, 'userAgent' | 'onRetry'>> & { userAgent: string; onRetry?: TransportOptions['onRetry'] };
  private readonly agent: http.Agent;
  private directory?: AcmeDirectory;
  private directoryPromise?: Promise<AcmeDirectory>;

  constructor(directoryUrl: string, opts: TransportOptions & { caPem?: string } = {}) {
    this.directoryUrl = directoryUrl;
    const url = new URL(directoryUrl);
    this.origin = url.origin;
    this.options = {
      timeoutMs: opts.timeoutMs ?? 30000,
      maxRetries: opts.maxRetries ?? 4,
      retryBaseDelayMs: opts.retryBaseDelayMs ?? 500,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 60000,
      badNonceRetries: Math.max(10, opts.badNonceRetries ?? 20),
      pollInitialMs: opts.pollInitialMs ?? 250,
      pollMaxMs: opts.pollMaxMs ?? 5000,
      pollTimeoutMs: opts.pollTimeoutMs ?? 180000,
      userAgent: opts.userAgent ? `${opts.userAgent} ${ACME_USER_AGENT}` : ACME_USER_AGENT,
      onRetry: opts.onRetry,
    };
    // keepAlive: one TLS handshake per order instead of one per request. Sockets idle in the
    // pool are unref'd by Node, so they do not keep a process alive.
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            // One trust store, built once: passing `ca` instead makes Node build a secure
            // context of ~140 roots on the main thread for every new connection (measured:
            // 60 ms event-loop stalls and 1.8x slower issuance).
            secureContext: opts.caPem ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...splitPem(opts.caPem)] }) : undefined,
          })
        : new http.Agent({ keepAlive: true });
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  /** The agent for a URL: ours (with the extra CA) for the directory's origin only. */
  private agentFor(url: URL): http.Agent | undefined {
    return url.origin === this.origin ? this.agent : undefined;
  }

  /** One HTTP exchange, no retry. Network errors are thrown as Node errors (with .code). */
  rawRequest(urlText: string, method: string, opts: RequestOptions = {}): Promise<AcmeResponse> {
    const url = new URL(urlText);
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!lib) return Promise.reject(new CertflowError('ACME_BAD_URL', `the ACME server sent an unusable URL: ${urlText}`));
    const body =
      opts.data === undefined || opts.data === null ? undefined : Buffer.from(typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data));
    const headers: Record<string, string> = { 'User-Agent': this.options.userAgent, ...(opts.headers ?? {}) };
    if (body) {
      headers['Content-Length'] = String(body.length);
      // what acme-client's HttpClient#request sets (src/http.js); RFC 8555 section 6.2
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/jose+json';
    }
    return new Promise<AcmeResponse>((resolve, reject) => {
      const req = lib.request(url, { method: method.toUpperCase(), headers, agent: this.agentFor(url) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(Object.assign(new Error('answer too large'), { code: 'ERR_ACME_TOO_LARGE' }));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          let data: unknown = text;
          if (text && (type.includes('json') || /^\s*[{[]/.test(text))) {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          const flat: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: flat, data });
        });
      });
      const timer = setTimeout(() => {
        const ms = this.options.timeoutMs;
        req.destroy(
          Object.assign(new Error(`no answer within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`), { code: 'ERR_ACME_TIMEOUT' }),
        );
      }, this.options.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      if (body) req.write(body);
      req.end();
    });
  }

  /** Delay before retry number `attempt` (1-based), honouring Retry-After. */
  retryDelay(attempt: number, retryAfter?: number): number {
    const backoff = Math.min(10000, this.options.retryBaseDelayMs * 2 ** (attempt - 1));
    return retryAfter !== undefined ? Math.max(retryAfter, 50) : backoff;
  }

  /** Reports a retry, then waits. */
  async retryPause(reason: 'badNonce' | 'server-error' | 'network', attempt: number, url: string, delayMs: number): Promise<void> {
    try {
      this.options.onRetry?.({ reason, attempt, delayMs, url });
    } catch {
      // a failing observer must not break the request
    }
    if (delayMs > 0) await sleep(delayMs);
  }

  /**
   * A request as acme-client's HttpClient#request makes it (src/http.js): GET/HEAD are retried
   * on network errors and 5xx; POST is sent once (the signed-request wrapper retries it with
   * a fresh nonce). Network errors become CertflowErrors naming the server.
   */
  async request(url: string, method: string, opts: RequestOptions = {}): Promise<AcmeResponse> {
    const idempotent = /^(get|head)$/i.test(method);
    for (let attempt = 0; ; attempt += 1) {
      let resp: AcmeResponse;
      try {
        resp = await this.rawRequest(url, method, opts);
      } catch (err) {
        if (idempotent && attempt < this.options.maxRetries && isNetworkError(err) && RETRYABLE_NETWORK_CODES.has(String(err.code))) {
          await this.retryPause('network', attempt + 1, url, this.retryDelay(attempt + 1));
          continue;
        }
        throw this.networkError(err, url, attempt + 1);
      }
      if (idempotent && resp.status >= 500 && attempt < this.options.maxRetries) {
        const retryAfter = parseRetryAfter(resp.headers['retry-after']);
        if (retryAfter === undefined || retryAfter <= this.options.maxRetryAfterMs) {
          await this.retryPause('server-error', attempt + 1, url, this.retryDelay(attempt + 1, retryAfter));
          continue;
        }
      }
      return resp;
    }
  }

  /** Turns a Node network error into a message a user can act on. */
  networkError(err: unknown, url: string, attempts = 1): Error {
    if (err instanceof CertflowError) return err;
    const code = isNetworkError(err) ? String(err.code) : '';
    const where = new URL(url).host;
    const cause = err instanceof Error ? err.message : String(err);
    if (TLS_TRUST_CODES.has(code)) {
      return new CertflowError(
        'ACME_TLS_UNTRUSTED',
        `the ACME server ${where} presented a TLS certificate that is not trusted (${code}): for a private ACME server, add its CA certificate to the account`,
        { code },
        { cause: err },
      );
    }
    const reason =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND'
          ? 'host name not found'
          : code === 'EAI_AGAIN'
            ? 'DNS lookup failed (temporary)'
            : code === 'ECONNRESET'
              ? 'connection reset'
              : code === 'ERR_ACME_TIMEOUT' || code === 'ETIMEDOUT'
                ? cause
                : cause;
    return new CertflowError('ACME_UNREACHABLE', `cannot reach the ACME server ${where}: ${reason}`, { code, attempts }, { cause: err });
  }

  /** Unsigned GET of a JSON document (directory, ARI). Throws on error status. */
  async getJson(url: string): Promise<AcmeResponse> {
    const resp = await this.request(url, 'get');
    if (resp.status >= 400) throw this.problemError(resp, url);
    if (!resp.data || typeof resp.data !== 'object') {
      throw new CertflowError('ACME_BAD_ANSWER', `the ACME server answered ${url} with something that is not JSON (HTTP ${resp.status})`);
    }
    return resp;
  }

  /** The directory (cached for the life of this transport). */
  async getDirectory(): Promise<AcmeDirectory> {
    if (this.directory) return this.directory;
    this.directoryPromise ??= this.getJson(this.directoryUrl)
      .then((resp) => {
        const data: unknown = resp.data;
        if (!isAcmeDirectory(data)) {
          throw new CertflowError('ACME_BAD_DIRECTORY', `${this.directoryUrl} is not an ACME directory (no newNonce/newOrder)`);
        }
        this.directory = data;
        return data;
      })
      .finally(() => {
        this.directoryPromise = undefined;
      });
    return this.directoryPromise;
  }

  /** CertflowError for an error answer: problem type and detail, or the HTTP status. */
  problemError(resp: AcmeResponse, url: string): CertflowError {
    const problem = parseAcmeProblem(resp.data, resp.status);
    if (!problem) {
      return new CertflowError('ACME_HTTP_ERROR', `the ACME server answered HTTP ${resp.status} for ${url}`, { status: resp.status });
    }
    const retryAfterMs = parseRetryAfter(resp.headers['retry-after']);
    const retryAt = retryAfterMs !== undefined ? new Date(Date.now() + retryAfterMs) : undefined;
    const isRateLimit = problem.shortType === 'rateLimited' || resp.status === 429;
    let message = describeAcmeProblem(problem);
    if (isRateLimit) {
      message = `the CA's rate limit was reached: ${problem.detail || 'too many requests'} - ${
        retryAt ? `a retry may happen after ${retryAt.toISOString()}` : 'wait before retrying (the CA gave no time)'
      }`;
    }
    return new CertflowError(isRateLimit ? 'ACME_RATE_LIMITED' : problemCode(problem), message, {
      status: resp.status,
      problemType: problem.type,
      problemDetail: problem.detail,
      subproblems: problem.subproblems,
      retryAfter: retryAt?.toISOString(),
    });
  }

  /**
   * Wires an acme-client Client to this transport (per instance: see the header comment).
   * Returns the same client.
   */
  attach(client: Client): Client {
    attachHttpClient(httpClientOf(client), this);
    return client;
  }
}

function attachHttpClient(httpClient: AcmeHttpClient, transport: AcmeTransport): void {
  // acme-client's own badNonce loop (src/http.js signedRequest) retries with the replay-nonce
  // of the badNonce answer; allow it enough tries.
  httpClient.maxBadNonceRetries = transport.options.badNonceRetries;
  httpClient.request = (url, method, opts) => transport.request(url, method, opts);
  // one directory fetch per transport, shared by all its clients (HttpClient#getDirectory caches per client)
  httpClient.getDirectory = () => transport.getDirectory();
  const original = prototypeSignedRequest(httpClient);
  httpClient.signedRequest = async (url, payload, opts = {}, attempts = 0) => {
    // acme-client recurses through `this.signedRequest` for its badNonce loop (with the fresh
    // replay-nonce of the badNonce answer): report and pass those on.
    if (attempts > 0) {
      await transport.retryPause('badNonce', attempts, url, 0);
      return original.call(httpClient, url, payload, opts, attempts);
    }
    const { maxRetries } = transport.options;
    let badNonceRounds = 0;
    for (let attempt = 0; ; attempt += 1) {
      let resp: AcmeResponse;
      try {
        // nonce: null -> a fresh nonce for every outer attempt (never resend a spent one)
        resp = await original.call(httpClient, url, payload, { ...opts, nonce: null }, 0);
      } catch (err) {
        const code = err instanceof CertflowError && typeof err.details?.code === 'string' ? err.details.code : '';
        // a nonce request (HEAD) that already went through its own retries is not retried again
        const exhausted = err instanceof CertflowError && Number(err.details?.attempts ?? 1) > 1;
        if (attempt < maxRetries && !exhausted && RETRYABLE_NETWORK_CODES.has(code)) {
          await transport.retryPause('network', attempt + 1, url, transport.retryDelay(attempt + 1));
          continue;
        }
        throw err; // network errors arrive as CertflowErrors from transport.request; others as they are
      }
      if (resp.status < 400) return resp;
      const data: unknown = resp.data;
      const type = isObject(data) && typeof data.type === 'string' ? data.type : '';
      if (type.endsWith(':badNonce') && badNonceRounds < 3) {
        badNonceRounds += 1; // acme-client's loop gave up; start over with a new nonce
        attempt -= 1;
        await transport.retryPause('badNonce', transport.options.badNonceRetries + badNonceRounds, url, 0);
        continue;
      }
      if (resp.status >= 500 && attempt < maxRetries) {
        const retryAfter = parseRetryAfter(resp.headers['retry-after']);
        if (retryAfter === undefined || retryAfter <= transport.options.maxRetryAfterMs) {
          await transport.retryPause('server-error', attempt + 1, url, transport.retryDelay(attempt + 1, retryAfter));
          continue;
        }
      }
      throw transport.problemError(resp, url);
    }
  };
}

/**
 * An acme-client Client for one account, on its own transport (per-origin CA trust,
 * timeouts, retries with fresh nonces). acme-client's polling backoff is set to start at
 * 250 ms, though the order code polls with its own loop.
 */
export function createAcmeClient(opts: AcmeClientOptions): { client: Client; transport: AcmeTransport } {
  const transport = opts.transport ?? new AcmeTransport(opts.directoryUrl, opts);
  const client = new Client({
    directoryUrl: transport.directoryUrl,
    accountKey: opts.accountKeyPem,
    accountUrl: opts.accountUrl,
    externalAccountBinding: opts.externalAccountBinding,
    backoffMin: transport.options.pollInitialMs,
    backoffMax: transport.options.pollMaxMs,
    backoffAttempts: 30,
  });
  transport.attach(client);
  return { client, transport };
}
