/**
 * POST-as-GET polling of orders and authorizations: starts near 250 ms, backs off to
 * pollMaxMs, honours Retry-After, gives up after pollTimeoutMs.
 */
import { CertflowError } from '../errors';
import type { AcmeAccount } from './account';
import { acmeApiOf, type AcmeApi } from './acme-client-adapter';
import { parseRetryAfter, sleep } from './transport';
import type { AcmeResource } from './types';

export type Api = Pick<AcmeApi, 'apiRequest'>;

/** acme-client's AcmeApi#apiRequest (POST-as-GET with kid, our transport underneath), through its adapter. */
export function apiOf(account: AcmeAccount): Api {
  return acmeApiOf(account.client);
}

export async function pollStatus(account: AcmeAccount, url: string, pendingStates: string[], what: string): Promise<AcmeResource> {
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
