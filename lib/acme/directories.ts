/**
 * Known ACME CAs and reading a directory's meta (terms, EAB, profiles, ARI).
 */
import { CertflowError } from '../errors';
import { AcmeTransport } from './transport';
import type { DirectoryMeta, TransportOptions } from './types';

export interface CaPreset {
  /** Stable id stored in flows, e.g. 'letsencrypt'. */
  id: string;
  /** Label for a dialog. */
  name: string;
  directoryUrl: string;
  /** The CA needs External Account Binding (key ID + HMAC from its web site). */
  eabRequired: boolean;
  /** Test CA whose certificates are not publicly trusted. */
  staging: boolean;
  /** Where to get EAB credentials or learn more. */
  notes?: string;
}

/** Public CA presets. Directory URLs are the CAs' published ones. */
export const CA_PRESETS: readonly CaPreset[] = Object.freeze([
  {
    id: 'letsencrypt',
    name: "Let's Encrypt",
    directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
    eabRequired: false,
    staging: false,
  },
  {
    id: 'letsencrypt-staging',
    name: "Let's Encrypt (staging)",
    directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    eabRequired: false,
    staging: true,
    notes: 'Test certificates (not trusted by browsers) with generous rate limits: try here first.',
  },
  {
    id: 'zerossl',
    name: 'ZeroSSL',
    directoryUrl: 'https://acme.zerossl.com/v2/DV90',
    eabRequired: true,
    staging: false,
    notes: 'EAB key ID and HMAC key: ZeroSSL dashboard > Developer > EAB Credentials for ACME Clients.',
  },
  {
    id: 'google',
    name: 'Google Trust Services',
    directoryUrl: 'https://dv.acme-v02.api.pki.goog/directory',
    eabRequired: true,
    staging: false,
    notes: 'EAB credentials: `gcloud publicca external-account-keys create` (Google Cloud project with the Public CA API).',
  },
  {
    id: 'google-staging',
    name: 'Google Trust Services (staging)',
    directoryUrl: 'https://dv.acme-v02.test-api.pki.goog/directory',
    eabRequired: true,
    staging: true,
    notes: 'EAB credentials: `gcloud publicca external-account-keys create` with the staging endpoint.',
  },
  {
    id: 'buypass',
    name: 'Buypass Go SSL',
    directoryUrl: 'https://api.buypass.com/acme/directory',
    eabRequired: false,
    staging: false,
  },
  {
    id: 'buypass-staging',
    name: 'Buypass Go SSL (staging)',
    directoryUrl: 'https://api.test4.buypass.no/acme/directory',
    eabRequired: false,
    staging: true,
  },
  {
    id: 'sslcom-rsa',
    name: 'SSL.com (RSA)',
    directoryUrl: 'https://acme.ssl.com/sslcom-dv-rsa',
    eabRequired: true,
    staging: false,
    notes: 'EAB credentials: SSL.com account > API credentials (ACME).',
  },
  {
    id: 'sslcom-ecc',
    name: 'SSL.com (ECC)',
    directoryUrl: 'https://acme.ssl.com/sslcom-dv-ecc',
    eabRequired: true,
    staging: false,
    notes: 'EAB credentials: SSL.com account > API credentials (ACME).',
  },
]);

/** A preset id or a URL -> the directory URL. Throws a clear error for anything else. */
export function resolveDirectoryUrl(directory: string): string {
  const text = String(directory ?? '').trim();
  const preset = CA_PRESETS.find((p) => p.id === text.toLowerCase());
  if (preset) return preset.directoryUrl;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CertflowError(
      'ACME_BAD_DIRECTORY',
      `"${text}" is neither an ACME directory URL nor a known CA (${CA_PRESETS.map((p) => p.id).join(', ')})`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CertflowError('ACME_BAD_DIRECTORY', `ACME directory URL must start with https:// (got "${text}")`);
  }
  return url.toString();
}

/**
 * Fetches the directory and returns what a dialog needs: terms of service, whether EAB is
 * required, the profiles the CA offers, whether it has ARI.
 */
export async function fetchDirectoryMeta(directory: string, caPem?: string, transport?: TransportOptions): Promise<DirectoryMeta> {
  const directoryUrl = resolveDirectoryUrl(directory);
  const acme = new AcmeTransport(directoryUrl, { caPem, ...transport });
  let dir: Record<string, any>;
  try {
    dir = await acme.getDirectory();
  } finally {
    acme.close(); // a one-off lookup: do not leave its connection pool open
  }
  // Only a directory-shaped answer is reported: any other JSON (an internal service's) is not reflected.
  if (!['newNonce', 'newAccount', 'newOrder'].every((field) => typeof dir[field] === 'string' && /^https?:\/\//i.test(dir[field]))) {
    throw new CertflowError('ACME_BAD_DIRECTORY', `${directoryUrl} is not an ACME directory (it needs newNonce, newAccount and newOrder URLs)`);
  }
  const meta = (dir.meta ?? {}) as Record<string, unknown>;
  const profiles: Record<string, string> = {};
  if (meta.profiles && typeof meta.profiles === 'object') {
    for (const [name, description] of Object.entries(meta.profiles as Record<string, unknown>)) {
      profiles[name] = typeof description === 'string' ? description : '';
    }
  }
  return {
    directoryUrl,
    termsOfService: typeof meta.termsOfService === 'string' ? meta.termsOfService : undefined,
    website: typeof meta.website === 'string' ? meta.website : undefined,
    caaIdentities: Array.isArray(meta.caaIdentities) ? meta.caaIdentities.map(String) : undefined,
    externalAccountRequired: meta.externalAccountRequired === true,
    profiles,
    renewalInfo: typeof dir.renewalInfo === 'string',
  };
}
