/**
 * The order in flight for one certificate, kept in its record (`order.json`, a secret) while
 * the order runs: its URL once placed, every TXT record before it is set, the key and CSR once
 * made. Whoever takes the certificate's lock next - another instance of a cluster after the
 * holder died, or this process after a crash - continues that order at the CA instead of
 * placing a new one (Let's Encrypt counts 5 orders per exact set of names per week), and
 * removes the TXT records the dead holder left behind.
 *
 * Writes go through the storage under the certificate's lock: on Redis they are fenced, so a
 * holder that lost its lock cannot overwrite the journal of the one that took over.
 */
import { createHash } from 'node:crypto';
import { CertflowError } from '../errors';
import { isObject } from '../guards';
import { loadTextOrUndefined, orderJournalKey, type Storage } from '../storage';
import type { AcmeIdentifier, Dns01Record } from './types';

/** An order older than this is not continued: the CA has expired it, or its certificate is stale. */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** More TXT records than a 100-name order (each name plus its wildcard) is not a journal of ours. */
const MAX_TXT_RECORDS = 200;

/** Which key the order was placed for: a given key or CSR counts only when it is the same one. */
export interface OrderKeyChoice {
  keySource: 'generated' | 'reused' | 'given' | 'csr';
  /** SHA-256 of the given key or CSR (never the key itself in a comparison). */
  inputDigest?: string;
}

interface JournalData extends OrderKeyChoice {
  version: 1;
  directoryUrl: string;
  accountUrl: string;
  /** What the order was for, for a person reading the file (the CA's order object is what is compared). */
  identifiers?: AcmeIdentifier[];
  profile?: string;
  orderUrl: string;
  startedAt: string;
  /** Written BEFORE each record is set, so a crash mid-set still leaves its removal to someone. */
  txtRecords: Dns01Record[];
  /** Once made, before finalize: a finalized order can only be downloaded with this key. SECRET. */
  keyPem?: string;
  csrPem?: string;
}

/** What a taker continues: the dead holder's order and what it left. */
export interface ResumableOrder {
  orderUrl: string;
  startedAt: string;
  /** The key and CSR the order was (or was about to be) finalized with. SECRET. */
  keyPem?: string;
  csrPem?: string;
}

/** What issueCertificate() reports while it runs (the manager journals it). */
export interface OrderRecorder {
  placed(orderUrl: string, facts: { identifiers: AcmeIdentifier[]; profile?: string }): Promise<void>;
  settingTxt(record: Dns01Record): Promise<void>;
  keyReady(keyPem: string | undefined, csrPem: string): Promise<void>;
  /** The order's challenges are cleaned up: its TXT records (and the adopted ones) are gone. */
  txtRemoved(): Promise<void>;
}

/**
 * Failures after which the order may still be alive at the CA (the CA or DNS unreachable, a
 * 5xx, a poll that ran out of time, the storage away): the journal stays, the next try
 * continues the order. After the CA's verdict on it (a failed challenge, an invalid order) it
 * has nothing left to give.
 */
export function orderMayContinue(err: unknown): boolean {
  const code = err instanceof CertflowError ? err.code : '';
  return (
    code === 'ACME_UNREACHABLE' ||
    code === 'ACME_HTTP_ERROR' ||
    code === 'ACME_POLL_TIMEOUT' ||
    code === 'ACME_SERVER_INTERNAL' ||
    code === 'ACME_BAD_NONCE' ||
    code.startsWith('ACME_DNS_') ||
    code.startsWith('storage-') ||
    code === 'ACME_FAILED' // no verdict: a network error below acme-client
  );
}

export function digestOf(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

function isDnsRecord(value: unknown): value is Dns01Record {
  return isObject(value) && typeof value.name === 'string' && typeof value.value === 'string' && typeof value.identifier === 'string';
}

/**
 * An order worth finishing: started after `since` (the stored certificate's issue: an older
 * journal is a leftover of the order that gave it) and under a day ago.
 */
function isFresh(left: JournalData, since: Date | undefined, now: Date): boolean {
  const started = Date.parse(left.startedAt);
  const age = now.getTime() - started;
  return age >= 0 && age < MAX_AGE_MS && (!since || started > since.getTime());
}

/** The journal as stored, or undefined when there is none or it is not one of ours (damaged, foreign, too big). */
function parseJournal(text: string | undefined): JournalData | undefined {
  if (!text || text.length > 1024 * 1024) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data) || data.version !== 1) return undefined;
  if (typeof data.orderUrl !== 'string' || typeof data.accountUrl !== 'string' || typeof data.directoryUrl !== 'string') return undefined;
  const txt = Array.isArray(data.txtRecords) ? data.txtRecords.filter(isDnsRecord).slice(0, MAX_TXT_RECORDS) : [];
  return { ...(data as unknown as JournalData), txtRecords: txt };
}

export class OrderJournal implements OrderRecorder {
  private data?: JournalData;
  /** Writes one after the other (TXT records of several names are set in parallel). */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly storage: Storage,
    private readonly record: string,
    private readonly context: { directoryUrl: string; accountUrl: string } & OrderKeyChoice,
    private readonly now: () => Date,
    /** What a previous holder left: continued when it fits, its TXT records removed anyway. */
    readonly previous: ResumableOrder | undefined,
    private readonly leftTxt: Dns01Record[],
  ) {}

  /**
   * True when `record` holds the journal of an order started after `since` (the stored
   * certificate's issue) and under a day ago: an order a crash cut short, worth finishing even
   * when the stored certificate is still current (a renewal was asked for, or one was issued and
   * never stored). Cheap: no account, no CA.
   */
  static async interrupted(storage: Storage, record: string, since: Date | undefined, now: Date): Promise<boolean> {
    const left = parseJournal(await loadTextOrUndefined(storage, orderJournalKey(record)));
    return !!left && isFresh(left, since, now);
  }

  /**
   * Opens the journal of `record` for an order by this account with this key choice; `previous`
   * is the order a previous holder left when it may be continued (same CA, same account, same
   * key choice, fresh: see isFresh; `since` is the stored certificate's issue, if any).
   */
  static async open(
    storage: Storage,
    record: string,
    context: { directoryUrl: string; accountUrl: string } & OrderKeyChoice,
    now: () => Date,
    since?: Date,
  ): Promise<OrderJournal> {
    const left = parseJournal(await loadTextOrUndefined(storage, orderJournalKey(record)));
    let previous: ResumableOrder | undefined;
    const fits =
      left &&
      left.directoryUrl === context.directoryUrl &&
      left.accountUrl === context.accountUrl &&
      left.keySource === context.keySource &&
      left.inputDigest === context.inputDigest &&
      isFresh(left, since, now());
    if (fits) {
      previous = {
        orderUrl: left.orderUrl,
        startedAt: left.startedAt,
        keyPem: typeof left.keyPem === 'string' ? left.keyPem : undefined,
        csrPem: typeof left.csrPem === 'string' ? left.csrPem : undefined,
      };
    }
    return new OrderJournal(storage, record, context, now, previous, left?.txtRecords ?? []);
  }

  /** TXT records a previous holder set and never removed (whether or not its order is continued). */
  get leftoverTxtRecords(): Dns01Record[] {
    return this.leftTxt;
  }

  async placed(orderUrl: string, facts: { identifiers: AcmeIdentifier[]; profile?: string }): Promise<void> {
    const keep = this.previous?.orderUrl === orderUrl ? this.previous : undefined;
    this.data = {
      version: 1,
      directoryUrl: this.context.directoryUrl,
      accountUrl: this.context.accountUrl,
      keySource: this.context.keySource,
      inputDigest: this.context.inputDigest,
      identifiers: facts.identifiers,
      profile: facts.profile,
      orderUrl,
      // a continued order keeps its age: it is never continued past a day
      startedAt: keep?.startedAt ?? this.now().toISOString(),
      // the leftovers stay listed until this order's cleanup removed them
      txtRecords: [...this.leftTxt],
      keyPem: keep?.keyPem,
      csrPem: keep?.csrPem,
    };
    await this.write();
  }

  async settingTxt(record: Dns01Record): Promise<void> {
    if (!this.data) return;
    if (!this.data.txtRecords.some((r) => r.name === record.name && r.value === record.value)) this.data.txtRecords.push(record);
    await this.write();
  }

  async keyReady(keyPem: string | undefined, csrPem: string): Promise<void> {
    if (!this.data || (this.data.keyPem === keyPem && this.data.csrPem === csrPem)) return;
    this.data.keyPem = keyPem;
    this.data.csrPem = csrPem;
    await this.write();
  }

  async txtRemoved(): Promise<void> {
    if (!this.data || this.data.txtRecords.length === 0) return;
    this.data.txtRecords = [];
    await this.write();
  }

  /** The order failed for good: forgotten, unless a TXT record of it could not be removed (the next order tries). */
  async abandon(): Promise<void> {
    await this.writing;
    // before this order was placed, the journal on file is still the previous one, leftovers and all
    if ((this.data ?? { txtRecords: this.leftTxt }).txtRecords.length > 0) return;
    await this.clear();
  }

  /** The certificate is stored: nothing is left to continue. */
  async clear(): Promise<void> {
    await this.writing;
    this.data = undefined;
    await this.storage.delete(orderJournalKey(this.record));
  }

  private write(): Promise<void> {
    const text = `${JSON.stringify(this.data, null, 2)}\n`;
    const next = this.writing.then(() => this.storage.store(orderJournalKey(this.record), text, { secret: true }));
    this.writing = next.catch(() => undefined);
    return next;
  }
}
