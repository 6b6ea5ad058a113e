/**
 * Downloading the certificate and choosing among the CA's chains (RFC 8555 section 7.4.2:
 * alternates in Link rel="alternate") by issuer name.
 */
import { X509Certificate } from 'node:crypto';
import { certificateBlocks } from '../inspect/pem-blocks';
import type { AcmeAccount } from './account';
import { apiOf } from './polling';
import type { ProgressCallback } from './types';

export function commonNameOf(dn: string): string {
  const line = dn.split('\n').find((l) => l.startsWith('CN='));
  return line ? line.slice(3) : dn;
}

/** Wraps an error with the step (and identifier) it happened in, keeping code and details. */
export async function downloadCertificate(
  account: AcmeAccount,
  certificateUrl: string,
  preferredChain: string | undefined,
  onProgress?: ProgressCallback,
): Promise<string> {
  const api = apiOf(account);
  const first = await api.apiRequest(certificateUrl, null, [200]);
  const chains = [String(first.data)];
  if (preferredChain) {
    const links = String(first.headers.link ?? '')
      .split(/,\s*(?=<)/)
      .map((l) => l.match(/^<([^>]+)>\s*;.*rel\s*=\s*"?alternate"?/i)?.[1])
      .filter((u): u is string => !!u)
      .map((u) => new URL(u, certificateUrl).toString());
    for (const link of links) chains.push(String((await api.apiRequest(link, null, [200])).data));
    const wanted = preferredChain.trim().toLowerCase();
    let best: { pem: string; distance: number } | undefined;
    for (const pem of chains) {
      const issuers = certificateBlocks(pem).map((c) => commonNameOf(new X509Certificate(c).issuer).toLowerCase());
      const index = issuers.lastIndexOf(wanted);
      if (index >= 0) {
        const distance = issuers.length - index; // closer to the root wins, as in acme-client
        if (!best || distance < best.distance) best = { pem, distance };
      }
    }
    if (best) return best.pem;
    onProgress?.(`preferred chain "${preferredChain}" not offered by the CA; using its default chain`, { step: 'download' });
  }
  return chains[0];
}

/** Issues one certificate. Errors name the step, the identifier and the CA's problem. */
