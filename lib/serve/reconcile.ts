/**
 * Reconcile instead of hoping for a message: a served store serves the newest valid
 * certificate stored for it, wherever the last run stopped.
 *
 * A store (e.g. `node-red`, what Node-RED's HTTPS serves) may be FED by an ACME certificate's
 * record (e.g. `nr.example.com`): the https node writes that link (`<store>/source.json`) the
 * first time it receives a bundle from the ACME node, before it installs the bundle. At every
 * start, deploy and httpsRefreshInterval the serving side calls reconcileStore: when the fed
 * record holds a valid certificate newer than the store's own (a renewal that was stored but
 * never installed because the process died in between), it is installed into the store now -
 * no message, no new order. A bootstrap certificate never wins against a real one.
 */
import { CertflowError } from '../errors';
import { installBundle, readRecordBundle, readStoredBundle, storageOf, validateStoreName, type StoreLocation, type StoredBundle } from './store';
import { loadTextOrUndefined, sourceLinkKey, validateKey } from '../storage';

export interface SourceLink {
  /** The record whose certificates this store serves (an ACME certificate's name). */
  record: string;
  linkedAt: string;
}

export interface ReconcileResult {
  /** What the store holds now (null: nothing yet). */
  stored: StoredBundle | null;
  /** Set when a newer certificate was taken over from this record. */
  installedFrom?: string;
}

/** Records that `location`'s store is fed by `record` (idempotent; written before the install it announces). */
export async function linkStoreToSource(location: StoreLocation, record: string): Promise<void> {
  const name = validateStoreName(location.name ?? 'node-red');
  validateKey(record);
  if (record === name) return;
  const storage = await storageOf(location);
  const current = await readSourceLink(location);
  if (current?.record === record) return;
  const link: SourceLink = { record, linkedAt: new Date().toISOString() };
  await storage.store(sourceLinkKey(name), `${JSON.stringify(link, null, 2)}\n`);
}

export async function readSourceLink(location: StoreLocation): Promise<SourceLink | undefined> {
  const name = validateStoreName(location.name ?? 'node-red');
  const text = await loadTextOrUndefined(await storageOf(location), sourceLinkKey(name));
  if (!text) return undefined;
  try {
    const link = JSON.parse(text) as SourceLink;
    return typeof link.record === 'string' ? { ...link, record: validateKey(link.record) } : undefined;
  } catch {
    return undefined; // damaged link: serve the store's own certificate
  }
}

/**
 * Brings the store up to date with the record that feeds it, then returns what it holds. A
 * broken or missing source never makes the store's own certificate unusable.
 */
export async function reconcileStore(location: StoreLocation, options: { passphrase?: string; now?: Date } = {}): Promise<ReconcileResult> {
  const own = await readStoredBundle(location, { passphrase: options.passphrase });
  const link = await readSourceLink(location).catch(() => undefined);
  if (!link) return { stored: own };
  const storage = await storageOf(location);
  const fed = await readRecordBundle(storage, link.record, { passphrase: options.passphrase }).catch(() => null);
  const now = options.now ?? new Date();
  if (!fed || !validAt(fed, now) || (own && !newer(fed, own, now))) return { stored: own };
  try {
    await installBundle(
      location,
      { key: fed.key, cert: fed.cert, chain: fed.chain },
      {
        passphrase: options.passphrase,
        source: `reconcile:${link.record}`,
        ifCurrentIs: own ? own.generation : null,
        now,
      },
    );
  } catch (err) {
    // another install won the race: serve whatever it installed
    if (!(err instanceof CertflowError && err.code === 'store-changed')) throw err;
    return { stored: await readStoredBundle(location, { passphrase: options.passphrase }) };
  }
  return { stored: await readStoredBundle(location, { passphrase: options.passphrase }), installedFrom: link.record };
}

function validAt(bundle: StoredBundle, now: Date): boolean {
  return new Date(bundle.leaf.validFrom) <= now && now <= new Date(bundle.leaf.validTo);
}

/** Should `candidate` replace `own`? A different, valid certificate issued later, or own is only a bootstrap or expired. */
function newer(candidate: StoredBundle, own: StoredBundle, now: Date): boolean {
  if (candidate.leaf.fingerprint256 === own.leaf.fingerprint256) return false;
  if (own.meta.source === 'bootstrap' || !validAt(own, now)) return true;
  const issued = (b: StoredBundle) => Date.parse(b.leaf.validFrom);
  if (issued(candidate) !== issued(own)) return issued(candidate) > issued(own);
  // issued in the same second: the record that feeds the store is the authority
  return Date.parse(candidate.leaf.validTo) >= Date.parse(own.leaf.validTo);
}
