/**
 * certflow-acme-account (config node): one ACME account at one CA. It opens the account the
 * first time an ACME node needs it (creating it at the CA, and its EC P-256 key, if need be)
 * and shares it between every ACME node that uses this config.
 *
 * Where the account key lives: `<userDir>/certflow/accounts/<config id>/account.json` (mode
 * 0600, with the account URL). Not in the node's credentials: credentials a node sets at run
 * time (RED.nodes.addCredentials) only reach flows_cred.json at the next deploy, so a key made
 * between two deploys would be lost at a restart, and the CA account with it.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, SECRET_FILE_MODE } from '../lib/atomic-file';
import { CertflowError } from '../lib/errors';
import { CA_PRESETS, fetchDirectoryMeta, openAccount, resolveDirectoryUrl, rolloverAccountKey } from '../lib/acme';
import type { AcmeAccount, ProgressCallback } from '../lib/acme';
import type { Node, NodeAPI, NodeDef } from './common/node-red';

interface AccountConfig extends NodeDef {
  /** Preset id ('letsencrypt', ...) or 'custom'. */
  directory?: string;
  /** Directory URL when `directory` is 'custom'. */
  directoryUrl?: string;
  /** Extra CA certificate (PEM) trusted for this directory's server only. */
  caPem?: string;
  contact?: string;
  agreeTos?: boolean;
}

interface AccountCredentials {
  eabKid?: string;
  /** Secret: a password-type credential, never sent to the editor. */
  eabHmacKey?: string;
}

interface StoredAccount {
  directoryUrl: string;
  accountUrl?: string;
  /** SECRET. */
  accountKeyPem: string;
}

type AdminApp = {
  get(path: string, ...handlers: ((req: any, res: any, next: () => void) => void)[]): void;
  post(path: string, ...handlers: ((req: any, res: any, next: () => void) => void)[]): void;
};
type RED = NodeAPI & {
  settings: { userDir?: string };
  httpAdmin: AdminApp;
  auth: { needsPermission(permission: string): (req: any, res: any, next: () => void) => void };
  nodes: NodeAPI['nodes'] & { getNode(id: string): unknown };
};

function directoryOf(config: AccountConfig): string {
  const preset = String(config.directory ?? '').trim();
  return preset === '' || preset === 'custom' ? String(config.directoryUrl ?? '').trim() : preset;
}

function register(RED: RED): void {
  function CertflowAcmeAccountNode(this: register.AcmeAccountNode, config: AccountConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const directory = directoryOf(config);
    const file = path.join(register.certflowDir(RED), 'accounts', node.id, 'account.json');
    let opening: Promise<AcmeAccount> | undefined;
    let stored: StoredAccount | undefined;

    async function readStored(): Promise<StoredAccount | undefined> {
      try {
        const data = JSON.parse(await fs.readFile(file, 'utf8')) as StoredAccount;
        return typeof data.accountKeyPem === 'string' ? data : undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new CertflowError('ACME_ACCOUNT_FILE', `the ACME account file ${file} cannot be read: ${(err as Error).message}`);
      }
    }

    async function save(account: AcmeAccount): Promise<void> {
      stored = { directoryUrl: account.directoryUrl, accountUrl: account.accountUrl, accountKeyPem: account.accountKeyPem };
      await writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`, SECRET_FILE_MODE);
    }

    async function open(onProgress?: ProgressCallback): Promise<AcmeAccount> {
      const directoryUrl = resolveDirectoryUrl(directory);
      stored ??= await readStored();
      // The key works at any CA; the account URL only at the one that issued it.
      const accountUrl = stored && stored.directoryUrl === directoryUrl ? stored.accountUrl : undefined;
      const { eabKid, eabHmacKey } = node.credentials;
      const account = await openAccount({
        directory,
        caPem: config.caPem?.trim() || undefined,
        contact: config.contact,
        termsOfServiceAgreed: config.agreeTos === true,
        externalAccountBinding: eabKid || eabHmacKey ? { kid: eabKid ?? '', hmacKey: eabHmacKey ?? '' } : undefined,
        accountKeyPem: stored?.accountKeyPem,
        accountUrl,
        onProgress,
      });
      if (account.keyGenerated || account.accountUrl !== accountUrl) await save(account);
      return account;
    }

    Object.defineProperties(node, { directory: { value: directory }, caPem: { value: config.caPem?.trim() || undefined } });
    node.getAccount = (onProgress) => {
      if (!opening) {
        opening = open(onProgress);
        opening.catch(() => {
          opening = undefined; // the next order tries again (e.g. after the CA came back)
        });
      }
      return opening;
    };
    node.remember = async (account) => {
      if (!stored || stored.accountUrl !== account.accountUrl || stored.accountKeyPem !== account.accountKeyPem) await save(account);
    };
    node.rolloverKey = async (onProgress) => {
      const account = await node.getAccount(onProgress);
      await rolloverAccountKey(account, undefined, onProgress);
      await save(account);
      return account;
    };

    node.on('close', (_removed, done) => {
      const current = opening;
      opening = undefined;
      if (current) current.then((account) => account.transport.close(), () => undefined);
      done();
    });
  }

  RED.nodes.registerType('certflow-acme-account', CertflowAcmeAccountNode as unknown as (this: Node, config: NodeDef) => void, {
    credentials: { eabKid: { type: 'text' }, eabHmacKey: { type: 'password' } },
  });

  registerAdminEndpoints(RED);
};

namespace register {
  /** What ACME nodes use of this config node. */
  export interface AcmeAccountNode extends Node<AccountCredentials> {
    /** The directory URL (or preset id) this account is at. */
    readonly directory: string;
    /** The extra CA certificate trusted for a private ACME server (public data). */
    readonly caPem?: string;
    /** Opens (and, the first time, creates) the account; shared by every caller. */
    getAccount(onProgress?: ProgressCallback): Promise<AcmeAccount>;
    /** Saves the account URL again when the CA gave a new one (a re-registration). */
    remember(account: AcmeAccount): Promise<void>;
    /** Binds the account to a new key at the CA, then stores the new key. */
    rolloverKey(onProgress?: ProgressCallback): Promise<AcmeAccount>;
  }

  /** `<userDir>/certflow` (Node-RED's default userDir when the runtime names none). */
  export function certflowDir(RED: { settings: { userDir?: string } }): string {
    return path.join(RED.settings.userDir || path.join(os.homedir(), '.node-red'), 'certflow');
  }
}

export = register;

/** Editor support: CA presets, a directory's meta (terms, EAB, profiles), account facts, key rollover. */
function registerAdminEndpoints(RED: RED): void {
  const read = RED.auth.needsPermission('certflow-acme-account.read');
  const write = RED.auth.needsPermission('certflow-acme-account.write');
  const fail = (res: any, status: number, err: unknown) => res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
  const deployed = (id: unknown) => {
    const found = typeof id === 'string' && id ? (RED.nodes.getNode(id) as register.AcmeAccountNode | null) : null;
    return found && found.type === 'certflow-acme-account' ? found : undefined;
  };

  RED.httpAdmin.get('/certflow-acme-account/presets', read, (_req, res) => res.json(CA_PRESETS));

  // GET ?directory=<preset id or URL>[&node=<deployed config id, for its CA certificate>],
  // POST {directory, caPem} for a CA certificate not deployed yet.
  const directoryMeta = async (req: any, res: any) => {
    const query = { ...(req.query ?? {}), ...(req.body ?? {}) };
    const node = deployed(query.node);
    const caPem = typeof query.caPem === 'string' && query.caPem.trim() ? query.caPem : node?.caPem;
    try {
      const meta = await fetchDirectoryMeta(String(query.directory ?? ''), caPem, { timeoutMs: 10000, maxRetries: 1 });
      const preset = CA_PRESETS.find((p) => p.id === String(query.directory) || p.directoryUrl === meta.directoryUrl);
      res.json({ ...meta, notes: preset?.notes });
    } catch (err) {
      fail(res, err instanceof CertflowError && err.code === 'ACME_BAD_DIRECTORY' ? 400 : 502, err);
    }
  };
  RED.httpAdmin.get('/certflow-acme-account/directory', read, directoryMeta);
  RED.httpAdmin.post('/certflow-acme-account/directory', read, directoryMeta);

  RED.httpAdmin.post('/certflow-acme-account/:id/rollover', write, async (req, res) => {
    const node = deployed(req.params.id);
    if (!node) return fail(res, 404, RED._('certflow-acme-account.errors.deployFirst'));
    try {
      const account = await node.rolloverKey();
      res.json({ accountUrl: account.accountUrl });
    } catch (err) {
      fail(res, 502, err);
    }
  });
}
