/**
 * certflow-acme-account (config node): one ACME account at one CA. It opens the account the
 * first time an ACME node needs it (creating it at the CA, and its EC P-256 key, if need be)
 * and shares it between every ACME node that uses this config.
 *
 * The account (key, URL, a rollover's pending key) persists through lib/acme/account-store
 * in the userDir's storage (`<userDir>/certificates/_accounts/<config id>/account.json`,
 * 0600); this file writes no file itself.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { objectOf, textOf } from '../lib/guards';
import type { AcmeAccount, ProgressCallback } from '../lib/acme';
import { hasAnyPermission } from './common/admin-permissions';
import { asyncRoute, type AdminHandler, type AdminRequest, type AdminResponse } from './common/admin-route';
import { configureNodeStorage } from './common/cluster-storage';
import { loadAcme, loadStorage } from './common/lib';
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

type AdminApp = {
  get(path: string, ...handlers: AdminHandler[]): void;
  post(path: string, ...handlers: AdminHandler[]): void;
};
type RED = NodeAPI & {
  settings: { userDir?: string };
  httpAdmin: AdminApp;
  auth: { needsPermission(permission: string): AdminHandler };
  nodes: NodeAPI['nodes'] & { getNode(id: string): unknown };
};

function directoryOf(config: AccountConfig): string {
  const preset = String(config.directory ?? '').trim();
  return preset === '' || preset === 'custom' ? String(config.directoryUrl ?? '').trim() : preset;
}

function register(RED: RED): void {
  configureNodeStorage(RED as unknown as Parameters<typeof configureNodeStorage>[0], register.userDirOf(RED)); // settings.js certflow.storage (clusters)
  function CertflowAcmeAccountNode(this: register.AcmeAccountNode, config: AccountConfig) {
    RED.nodes.createNode(this, config);
    setUpAccountNode(this, config);
  }

  function setUpAccountNode(node: register.AcmeAccountNode, config: AccountConfig): void {
    const directory = directoryOf(config);
    let opening: Promise<AcmeAccount> | undefined;
    const accountStore = () =>
      loadStorage()
        .openStorage(register.userDirOf(RED))
        .then((storage) => new (loadAcme().AccountStore)(storage, node.id));

    async function open(onProgress?: ProgressCallback): Promise<AcmeAccount> {
      const { eabKid, eabHmacKey } = node.credentials;
      return (await accountStore()).open({
        directory,
        caPem: config.caPem?.trim() || undefined,
        contact: config.contact,
        termsOfServiceAgreed: config.agreeTos === true,
        externalAccountBinding: eabKid || eabHmacKey ? { kid: eabKid ?? '', hmacKey: eabHmacKey ?? '' } : undefined,
        onProgress,
      });
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
    node.remember = async (account) => (await accountStore()).remember(account);
    node.rolloverKey = async (onProgress) => {
      const account = await node.getAccount(onProgress);
      return (await accountStore()).rollover(account, onProgress);
    };

    node.on('close', (_removed, done) => {
      const current = opening;
      opening = undefined;
      if (current)
        current.then(
          (account) => account.transport.close(),
          () => undefined,
        );
      done();
    });
  }

  RED.nodes.registerType('certflow-acme-account', CertflowAcmeAccountNode as unknown as (this: Node, config: NodeDef) => void, {
    credentials: { eabKid: { type: 'text' }, eabHmacKey: { type: 'password' } },
  });

  registerAdminEndpoints(RED);
}

namespace register {
  /** What ACME nodes use of this config node. */
  export interface AcmeAccountNode extends Node<AccountCredentials> {
    /** The directory URL (or preset id) this account is at. */
    readonly directory: string;
    /** The extra CA certificate trusted for a private ACME server (public data). */
    readonly caPem?: string;
    /** Opens (and, the first time, creates) the account; shared by every caller. A function property: callers pass it on unbound. */
    getAccount: (onProgress?: ProgressCallback) => Promise<AcmeAccount>;
    /** Saves the account URL again when the CA gave a new one (a re-registration). */
    remember(account: AcmeAccount): Promise<void>;
    /** Binds the account to a new key at the CA, then stores the new key. */
    rolloverKey(onProgress?: ProgressCallback): Promise<AcmeAccount>;
  }

  /** Node-RED's userDir (its default when the runtime names none): the storage lives under it. */
  export function userDirOf(RED: { settings: { userDir?: string } }): string {
    return RED.settings.userDir || path.join(os.homedir(), '.node-red');
  }
}

export = register;

/** Editor support: CA presets, a directory's meta (terms, EAB, profiles), account facts, key rollover. */
function registerAdminEndpoints(RED: RED): void {
  const read = RED.auth.needsPermission('certflow-acme-account.read');
  const write = RED.auth.needsPermission('certflow-acme-account.write');
  const fail = (res: AdminResponse, status: number, err: unknown): void =>
    res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
  const deployed = (id: unknown) => {
    const found = typeof id === 'string' && id ? (RED.nodes.getNode(id) as register.AcmeAccountNode | null) : null;
    return found && found.type === 'certflow-acme-account' ? found : undefined;
  };

  RED.httpAdmin.get('/certflow-acme-account/presets', read, (_req, res) => res.json(loadAcme().CA_PRESETS));

  // GET ?directory=<preset id or URL>[&node=<deployed config id, for its CA certificate>],
  // POST {directory, caPem} for a CA certificate not deployed yet.
  // A URL (or CA certificate) of the caller's choice makes Node-RED send a request into its own
  // network: that needs permission to change flows, and the answer holds only the facts of a
  // directory-shaped document, with one error for every failure (no status, no problem detail,
  // no "connection refused" that would map which ports are open).
  const directoryMeta = async (req: AdminRequest, res: AdminResponse): Promise<void> => {
    const { CA_PRESETS, fetchDirectoryMeta, resolveDirectoryUrl } = loadAcme();
    const query = { ...objectOf(req.query), ...objectOf(req.body) };
    const node = deployed(query.node);
    const directory = textOf(query.directory ?? '').trim();
    const preset = CA_PRESETS.find((p) => p.id === directory.toLowerCase());
    const callerCaPem = typeof query.caPem === 'string' && query.caPem.trim() ? query.caPem.trim() : undefined;
    // the deployed account's own URL and CA certificate were chosen by someone who could deploy
    const chosenByCaller = (callerCaPem !== undefined && callerCaPem !== node?.caPem) || (!preset && !(node && node.directory === directory));
    if (chosenByCaller && !hasAnyPermission(req, ['certflow-acme-account.write', 'flows.write'])) {
      return fail(res, 403, RED._('certflow-acme-account.errors.writeNeeded'));
    }
    try {
      resolveDirectoryUrl(directory); // not a URL at all: say so (nothing is fetched)
    } catch (err) {
      return fail(res, 400, err);
    }
    try {
      const meta = await fetchDirectoryMeta(directory, callerCaPem ?? node?.caPem, { timeoutMs: 10000, maxRetries: preset ? 1 : 0 });
      res.json({ ...meta, notes: (preset ?? CA_PRESETS.find((p) => p.directoryUrl === meta.directoryUrl))?.notes });
    } catch (err) {
      if (preset) return fail(res, 502, err); // a public CA's own URL: its exact problem helps
      fail(res, 400, RED._('certflow-acme-account.errors.notADirectory', { url: directory.slice(0, 200) }));
    }
  };
  RED.httpAdmin.get('/certflow-acme-account/directory', read, asyncRoute(directoryMeta));
  RED.httpAdmin.post('/certflow-acme-account/directory', read, asyncRoute(directoryMeta));

  RED.httpAdmin.post(
    '/certflow-acme-account/:id/rollover',
    write,
    asyncRoute(async (req, res) => {
      const node = deployed(req.params.id);
      if (!node) return fail(res, 404, RED._('certflow-acme-account.errors.deployFirst'));
      try {
        const account = await node.rolloverKey();
        res.json({ accountUrl: account.accountUrl });
      } catch (err) {
        fail(res, 502, err);
      }
    }),
  );
}
