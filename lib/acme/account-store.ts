/**
 * Where an ACME account persists: `_accounts/<config id>/account.json` in the storage (0600:
 * it holds the account key), with the account URL and, during a key rollover, the pending new
 * key. Not in Node-RED credentials: credentials a node sets at run time only reach
 * flows_cred.json at the next deploy, so a key made between two deploys would be lost.
 *
 * Key rollover is crash-safe: the new key is stored as PENDING before the CA is asked to
 * switch, and made the account key after the CA agreed. A start-up that finds a pending key
 * asks the CA which of the two keys the account is bound to, and keeps that one (finishing
 * or rolling back the rollover), so a crash at any moment never loses the account.
 */
import { CertflowError } from '../errors';
import { accountKey, accountLock, loadTextOrUndefined, withLock, type Storage } from '../storage';
import { accountUrlForKey, generateAccountKey, openAccount, rolloverAccountKey, useAccountKey, type AcmeAccount } from './account';
import { resolveDirectoryUrl } from './directories';
import type { AccountOptions, ProgressCallback } from './types';

/** account.json */
export interface StoredAccount {
  directoryUrl: string;
  accountUrl?: string;
  /** SECRET. */
  accountKeyPem: string;
  /** SECRET. The key a rollover is switching to, until the CA has confirmed it. */
  pendingKeyPem?: string;
  pendingSince?: string;
}

export class AccountStore {
  readonly key: string;
  private readonly lockName: string;

  /** `id`: the account config node's id (hashed into a plain name when it is not one). */
  constructor(
    private readonly storage: Storage,
    id: string,
  ) {
    this.key = accountKey(id);
    this.lockName = accountLock(id);
  }

  /** Where the account is stored (for messages). */
  describe(): string {
    return this.storage.describe(this.key);
  }

  async load(): Promise<StoredAccount | undefined> {
    let text: string | undefined;
    try {
      text = await loadTextOrUndefined(this.storage, this.key);
    } catch (err) {
      throw new CertflowError('ACME_ACCOUNT_FILE', `the ACME account ${this.describe()} cannot be read: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    if (text === undefined) return undefined;
    try {
      const data = JSON.parse(text) as StoredAccount;
      return typeof data.accountKeyPem === 'string' ? data : undefined;
    } catch {
      throw new CertflowError(
        'ACME_ACCOUNT_FILE',
        `the ACME account ${this.describe()} is damaged (not JSON): restore it from a backup, or remove it to create a new account`,
      );
    }
  }

  async save(data: StoredAccount): Promise<void> {
    await this.storage.store(this.key, `${JSON.stringify(data, null, 2)}\n`, { secret: true });
  }

  /** Saves the account when its key or URL differ from what is stored. */
  async remember(account: AcmeAccount): Promise<void> {
    const stored = await this.load();
    if (
      stored &&
      !stored.pendingKeyPem &&
      stored.accountUrl === account.accountUrl &&
      stored.accountKeyPem === account.accountKeyPem &&
      stored.directoryUrl === account.directoryUrl
    )
      return;
    await this.save({ directoryUrl: account.directoryUrl, accountUrl: account.accountUrl, accountKeyPem: account.accountKeyPem });
  }

  /**
   * Opens the stored account (creating it, and its key, the first time) and stores what is
   * new. A rollover left pending by a crash is finished or rolled back first.
   */
  async open(options: Omit<AccountOptions, 'accountKeyPem' | 'accountUrl'>): Promise<AcmeAccount> {
    return withLock(this.storage, this.lockName, async () => {
      const directoryUrl = resolveDirectoryUrl(options.directory);
      let stored = await this.load();
      // The key works at any CA; the account URL only at the one that issued it.
      const accountUrl = stored && stored.directoryUrl === directoryUrl ? stored.accountUrl : undefined;
      const account = await openAccount({ ...options, accountKeyPem: stored?.accountKeyPem, accountUrl });
      if (stored?.pendingKeyPem && accountUrl) {
        stored = await this.settlePending(account, stored);
      }
      if (!stored || account.keyGenerated || account.accountUrl !== stored.accountUrl || stored.directoryUrl !== directoryUrl) {
        await this.save({ directoryUrl: account.directoryUrl, accountUrl: account.accountUrl, accountKeyPem: account.accountKeyPem });
      }
      return account;
    });
  }

  /**
   * Binds the account to a new key: stored as pending first, then the CA switches, then it
   * becomes the account key. The account object uses the new key afterwards.
   */
  async rollover(account: AcmeAccount, onProgress?: ProgressCallback): Promise<AcmeAccount> {
    return withLock(this.storage, this.lockName, async () => {
      const newKey = await generateAccountKey();
      const before: StoredAccount = { directoryUrl: account.directoryUrl, accountUrl: account.accountUrl, accountKeyPem: account.accountKeyPem };
      await this.save({ ...before, pendingKeyPem: newKey, pendingSince: new Date().toISOString() });
      try {
        await rolloverAccountKey(account, newKey, onProgress);
      } catch (err) {
        // the CA may have switched before the answer was lost: ask which key it knows now
        await this.settlePending(account, { ...before, pendingKeyPem: newKey }).catch(() => undefined);
        throw err;
      }
      await this.save({ ...before, accountKeyPem: newKey });
      return account;
    });
  }

  /** Keeps whichever key the CA has the account bound to; stores the outcome. */
  private async settlePending(account: AcmeAccount, stored: StoredAccount): Promise<StoredAccount> {
    const pending = stored.pendingKeyPem!;
    const settled: StoredAccount = { directoryUrl: stored.directoryUrl, accountUrl: stored.accountUrl, accountKeyPem: stored.accountKeyPem };
    if ((await accountUrlForKey(account, pending)) === account.accountUrl) {
      settled.accountKeyPem = pending; // the CA switched: finish the rollover
      useAccountKey(account, pending);
    } else if ((await accountUrlForKey(account, stored.accountKeyPem)) !== account.accountUrl) {
      throw new CertflowError(
        'ACME_ACCOUNT_KEY_UNKNOWN',
        `the CA knows neither the stored account key nor the pending new one for ${account.accountUrl}; ${this.describe()} is kept as it is`,
      );
    } // else the CA never switched: roll back (the old key stays)
    await this.save(settled);
    return settled;
  }
}
