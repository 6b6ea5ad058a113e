/**
 * The one file that reaches into acme-client's non-public parts. Everything else uses its
 * public Client API, or these functions.
 *
 * What we use, and why (acme-client 5.4, src/http.js and src/api.js):
 * - `client.http` (HttpClient): `request` and `getDirectory` are replaced per instance by our
 *   transport (per-origin trust, timeouts, retries: see transport.ts), `signedRequest` is wrapped
 *   (fresh nonce per attempt), `maxBadNonceRetries` is raised; `getJwk` and `createSignedBody`
 *   build the key-rollover JWS (acme-client's own updateAccountKey builds a new HttpClient on
 *   the process-global axios instead).
 * - `client.api` (AcmeApi): `createAccount` (to see 201 created / 200 existed, and for
 *   onlyReturnExisting), `updateAccountKey`, and `apiRequest` (POST-as-GET for polling and
 *   downloads, with the status codes we accept).
 *
 * The package.json pin (~5.4.0) keeps these stable; test/contracts/acme-client.test.js checks
 * that each still exists and behaves, and names what changed when acme-client is upgraded.
 * At run time each Client is checked once: a missing part is a clear CertflowError
 * (ACME_CLIENT_INCOMPATIBLE), never "undefined is not a function" deep in an order.
 */
import { readFileSync } from 'node:fs';
import type { Client } from 'acme-client';
import { CertflowError } from '../errors';
import { isObject } from '../guards';

/** acme-client's version, from its package.json. */
function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(require.resolve('acme-client/package.json'), 'utf8'));
    return isObject(pkg) && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const ACME_CLIENT_VERSION = readVersion();

/** The response shape acme-client's HttpClient returns and reads (status, lower-case headers, parsed data). */
export interface AcmeClientResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: any;
}

export interface AcmeClientRequestOptions {
  data?: unknown;
  headers?: Record<string, string>;
}

export interface SignedRequestOptions {
  kid?: string | null;
  nonce?: string | null;
  includeExternalAccountBinding?: boolean;
}

/** The parts of acme-client's HttpClient (src/http.js) we rely on. */
export interface AcmeHttpClient {
  maxBadNonceRetries: number;
  getDirectory(): Promise<Record<string, unknown>>;
  request(url: string, method: string, opts?: AcmeClientRequestOptions): Promise<AcmeClientResponse>;
  getJwk(): Record<string, unknown>;
  createSignedBody(url: string, payload: unknown, opts?: { nonce?: string | null; kid?: string | null }): unknown;
  /** A function property, not a method: the prototype's one is taken and called with `call`. */
  signedRequest: (this: AcmeHttpClient, url: string, payload: unknown, opts?: SignedRequestOptions, attempts?: number) => Promise<AcmeClientResponse>;
}

/** The parts of acme-client's AcmeApi (src/api.js) we rely on. */
export interface AcmeApi {
  apiRequest(url: string, payload: unknown, validStatusCodes?: number[]): Promise<AcmeClientResponse>;
  createAccount(data: unknown): Promise<AcmeClientResponse>;
  updateAccountKey(data: unknown): Promise<AcmeClientResponse>;
}

/** Each member we use, with the type it must have. */
export const HTTP_CLIENT_MEMBERS: Record<keyof AcmeHttpClient, 'function' | 'number'> = {
  maxBadNonceRetries: 'number',
  getDirectory: 'function',
  request: 'function',
  getJwk: 'function',
  createSignedBody: 'function',
  signedRequest: 'function',
};
export const API_MEMBERS: Record<keyof AcmeApi, 'function'> = {
  apiRequest: 'function',
  createAccount: 'function',
  updateAccountKey: 'function',
};

/**
 * What is missing or changed in this Client's internals, as sentences (empty when all is as
 * this adapter expects). The contract test prints these.
 */
export function acmeClientContractProblems(client: Client): string[] {
  const problems: string[] = [];
  const check = (owner: string, object: unknown, members: Record<string, string>): void => {
    if (!isObject(object)) {
      problems.push(`Client#${owner} is ${object === undefined ? 'missing' : `a ${typeof object}`}, not an object`);
      return;
    }
    for (const [name, kind] of Object.entries(members)) {
      const actual = typeof object[name];
      if (actual !== kind) problems.push(`Client#${owner}.${name} is ${actual === 'undefined' ? 'missing' : `a ${actual}`}, expected a ${kind}`);
    }
  };
  const inner = client as unknown as { http?: unknown; api?: unknown };
  check('http', inner.http, HTTP_CLIENT_MEMBERS);
  check('api', inner.api, API_MEMBERS);
  if (isObject(inner.http) && typeof (Object.getPrototypeOf(inner.http) as { signedRequest?: unknown })?.signedRequest !== 'function') {
    problems.push('HttpClient.prototype.signedRequest is missing (it is wrapped per instance and called through the prototype)');
  }
  return problems;
}

const checked = new WeakSet<object>();
function assertCompatible(client: Client): void {
  if (checked.has(client)) return;
  const problems = acmeClientContractProblems(client);
  if (problems.length) {
    throw new CertflowError(
      'ACME_CLIENT_INCOMPATIBLE',
      `acme-client ${ACME_CLIENT_VERSION} is not the version this package was written for (5.4): ${problems.join('; ')} - see lib/acme/acme-client-adapter.ts`,
      { acmeClientVersion: ACME_CLIENT_VERSION, problems },
    );
  }
  checked.add(client);
}

/** The Client's HttpClient (src/http.js). */
export function httpClientOf(client: Client): AcmeHttpClient {
  assertCompatible(client);
  return (client as unknown as { http: AcmeHttpClient }).http;
}

/** The Client's AcmeApi (src/api.js): low-level calls on the Client's HttpClient. */
export function acmeApiOf(client: Client): AcmeApi {
  assertCompatible(client);
  return (client as unknown as { api: AcmeApi }).api;
}

/** HttpClient's own signedRequest (from its prototype), for a wrapper on the instance to call. */
export function prototypeSignedRequest(httpClient: AcmeHttpClient): AcmeHttpClient['signedRequest'] {
  return (Object.getPrototypeOf(httpClient) as AcmeHttpClient).signedRequest;
}
