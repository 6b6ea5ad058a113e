/**
 * Where things live inside the storage (keys, never paths): one record per certificate at the
 * top, the ACME accounts under `_accounts/`, locks named after what they protect. A plain
 * certificate or store name never starts with `_`, so the two cannot collide.
 */
import { joinKey, safeSegment } from './keys';

/** The files of one certificate generation. */
export const GENERATION_FILES = ['privkey.pem', 'cert.pem', 'chain.pem', 'fullchain.pem', 'meta.json'] as const;

/** The ACME account of a config node: `_accounts/<id>/account.json` (an id that is not a plain name is hashed). */
export function accountKey(configId: string): string {
  return joinKey('_accounts', safeSegment(configId), 'account.json');
}

/** The ACME state of a certificate (renewal plan, revocation) beside its generations. */
export function acmeStateKey(record: string): string {
  return joinKey(record, 'state.json');
}

/** Which ACME certificate feeds a served store (written by the https node when a bundle arrives). */
export function sourceLinkKey(record: string): string {
  return joinKey(record, 'source.json');
}

/** Which certificate of an ACME record was last handed to the flow (so a start can send one that never was). */
export function deliveredKey(record: string): string {
  return joinKey(record, 'delivered.json');
}

/**
 * The order in flight for a certificate (its URL, the key once made, the TXT records set): a
 * secret, written under the certificate's lock, cleared once the certificate is stored.
 */
export function orderJournalKey(record: string): string {
  return joinKey(record, 'order.json');
}

export function acmeLock(record: string): string {
  return `acme:${record}`;
}

export function accountLock(configId: string): string {
  return `account:${safeSegment(configId)}`;
}

/** The local CA of bootstrap certificates: its key (secret) and certificate, `local-ca/` at the top. */
export const LOCAL_CA_KEYS = { key: 'local-ca/ca-key.pem', cert: 'local-ca/ca.pem' } as const;
