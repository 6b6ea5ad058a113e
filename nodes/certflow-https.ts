/**
 * certflow-https ("Node-RED HTTPS"): checks a certificate bundle, writes it into the store
 * (`<userDir>/certificates/<store>/`, crash-safe, previous generation kept) and, when
 * Node-RED's own server runs HTTPS, swaps it in at once with server.setSecureContext - merged
 * with the options the `https` setting gives, so a user's ca, passphrase or ciphers stay.
 *
 * A bundle from an ACME node names its record (`payload.record`): the store is linked to it
 * (lib/serve/reconcile) before the install, so at every deploy and start the newest valid
 * certificate of that record is served even if this install never happened.
 */
import { X509Certificate } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { CertflowError } from '../lib/errors';
import type { ExtraTarget, ExtraTargetContent, StoredBundle, StoreOwner } from '../lib/serve';
import { asyncRoute, type AdminHandler } from './common/admin-route';
import { readBundle } from './common/bundle';
import { handleInput } from './common/handle-input';
import { loadServe } from './common/lib';
import type { Node, NodeAPI, NodeDef } from './common/node-red';
import { statusError, statusOk, statusWarning } from './common/status';

interface HttpsNodeConfig extends NodeDef {
  store?: string;
  /** Serve the certificate as Node-RED's own (default) or only store it / copy it. */
  serve?: boolean;
  files?: { path?: string; content?: ExtraTargetContent; mode?: string }[];
}

type TlsOptions = Record<string, unknown> & { key?: unknown; cert?: unknown; passphrase?: unknown };
type HttpsAPI = NodeAPI & {
  server?: TlsServer | HttpServer;
  httpAdmin?: { get(path: string, ...handlers: AdminHandler[]): void };
  auth?: { needsPermission(permission: string): AdminHandler };
  settings: { userDir?: string; https?: TlsOptions | (() => TlsOptions | Promise<TlsOptions>) };
};

const DAY_MS = 86400_000;

export = function register(RED: HttpsAPI): void {
  /** The server, when it is an HTTPS server (a TLS server has setSecureContext). */
  function httpsServer(): TlsServer | undefined {
    const server = RED.server as Partial<TlsServer> | undefined;
    return typeof server?.setSecureContext === 'function' ? (server as TlsServer) : undefined;
  }

  /** The chain the server was last given (tls.Server keeps `cert` from its options; Node-RED compares it too). */
  function servedCert(): unknown {
    const server: (TlsServer & { cert?: unknown }) | undefined = httpsServer(); // `cert` is not in Node's types
    return server?.cert;
  }

  /** What the `https` setting gives now (calling it when it is a function, as Node-RED does). */
  async function settingsTlsOptions(): Promise<TlsOptions> {
    const setting = RED.settings.https;
    const value = typeof setting === 'function' ? await setting.call(RED.settings) : setting;
    return value && typeof value === 'object' ? value : {};
  }

  function CertflowHttpsNode(this: Node, config: HttpsNodeConfig) {
    RED.nodes.createNode(this, config);
    setUpHttpsNode(this, config);
  }

  function setUpHttpsNode(node: Node, config: HttpsNodeConfig): void {
    const { claimStore, installBundle, linkStoreToSource, readStoredBundle, reconcileStore, storeDir, watchServedStore } = loadServe();
    const storeName = (config.store || 'node-red').trim();
    const serve = config.serve !== false;
    const extraTargets: ExtraTarget[] = (config.files ?? [])
      .filter((f) => f && typeof f.path === 'string' && f.path.trim() !== '')
      .map((f) => ({ path: f.path as string, content: f.content ?? 'fullchain', mode: f.mode || undefined }));

    function location() {
      const userDir = RED.settings.userDir;
      if (!userDir) throw new CertflowError('userdir-unknown', RED._('certflow-https.errors.noUserDir'));
      return { userDir, name: storeName };
    }

    function until(notAfter: string) {
      const date = notAfter.slice(0, 10);
      const days = Math.floor((Date.parse(notAfter) - Date.now()) / DAY_MS);
      return { date, days };
    }

    /** Other nodes writing this store: then this one refuses to work (one store, one owner: lib/serve/store-owners). */
    let sharedWith: StoreOwner[] = [];
    function sharedError(): CertflowError {
      const others = sharedWith.map((o) => o.label).join(', ');
      return new CertflowError(
        'https-store-shared',
        RED._('certflow-https.errors.storeShared', { store: storeName, others }),
        { others: sharedWith.map((o) => o.id) },
        {
          status: RED._('certflow-https.status.storeShared', { store: storeName, others }),
        },
      );
    }

    /** Status from what is stored and what the server serves. */
    function showStatus(stored: { fullchain: string; facts: { notAfter: string } } | null, served: boolean, settingsAgree = true) {
      if (sharedWith.length) return statusError(node, sharedError());
      if (!stored) return node.status({ fill: 'grey', shape: 'ring', text: RED._('certflow-https.status.empty') });
      const { date, days } = until(stored.facts.notAfter);
      if (!serve) return statusOk(node, RED._('certflow-https.status.stored', { date, days }));
      if (!httpsServer()) return statusWarning(node, RED._('certflow-https.status.plainHttp', { date, days }));
      if (!served) return statusWarning(node, RED._('certflow-https.status.notServed', { date, days }));
      if (!settingsAgree) return statusWarning(node, RED._('certflow-https.status.settingsDiffer', { date, days }));
      if (days < 0) return node.status({ fill: 'red', shape: 'dot', text: RED._('certflow-https.status.expired', { date }) });
      return statusOk(node, RED._('certflow-https.status.serving', { date, days }));
    }

    // At deploy: serve the newest valid certificate stored for this store (a renewal stored
    // while the last run stopped before installing it), and show whether the server serves it.
    // In a cluster (Redis storage) again whenever another instance changed the store.
    const reconcileAndServe = () =>
      Promise.resolve()
        .then(async () => {
          if (sharedWith.length) return null; // the status says why
          const server = serve ? httpsServer() : undefined;
          const base = server ? await settingsTlsOptions() : {};
          const passphrase = typeof base.passphrase === 'string' ? base.passphrase : undefined;
          const { stored } = await reconcileStore(location(), { passphrase });
          if (server && stored && !sameText(servedCert(), stored.fullchain)) {
            server.setSecureContext(serverOptions(base, stored.key, stored.fullchain) as SecureContextOptions);
          }
          return stored;
        })
        .then((stored: StoredBundle | null) => showStatus(stored, !!stored && sameText(servedCert(), stored.fullchain)))
        .catch((err: unknown) => statusError(node, err));
    const ownerLabel = `"${config.name || RED._('certflow-https.nodeLabel')}" (node ${node.id})`;
    const releaseStore = claimStore(`${RED.settings.userDir ?? ''}\u0000${storeName}`, { id: node.id, label: ownerLabel }, (others) => {
      const wasShared = sharedWith.length > 0;
      sharedWith = others;
      if (others.length) {
        const err = sharedError();
        statusError(node, err);
        if (!wasShared) node.error(err.message);
      } else if (wasShared) {
        void reconcileAndServe(); // the other node is gone: this one owns the store again
      }
    });
    void reconcileAndServe();
    const unwatch = RED.settings.userDir ? watchServedStore(location(), reconcileAndServe) : () => undefined;
    node.on('close', () => {
      unwatch();
      releaseStore();
    });

    let plainHttpExplained = false;
    handleInput(node, async (msg, send) => {
      if (sharedWith.length) throw sharedError();
      const where = location();
      const server = serve ? httpsServer() : undefined;
      // The user's own options (ca, ciphers, passphrase...) from settings.js stay in force.
      const base = server ? await settingsTlsOptions() : {};
      const passphrase = typeof base.passphrase === 'string' ? base.passphrase : undefined;
      const bundle = readBundle(msg.payload);
      const sourceRecord = typeof (bundle as { record?: unknown }).record === 'string' ? (bundle as { record: string }).record : undefined;
      // the link first: if this install is cut short, the next start still serves the record's certificate
      if (sourceRecord) await linkStoreToSource(where, sourceRecord);

      // The certificate the store already holds (the ACME node sent it again after a restart,
      // and the start-up reconcile installed it already): served as it is, nothing written.
      const current = extraTargets.length === 0 ? await readStoredBundle(where, { passphrase }).catch(() => null) : null;
      const same = !!current && sameCertificate(bundle, current);
      // Validates (key matches, valid now, chain in order) before anything on disk changes.
      const installed =
        same && current
          ? { dir: current.dir, generation: current.generation, meta: current.meta, bundle: current, extraFiles: [] as string[] }
          : await installBundle(where, bundle, {
              passphrase,
              source: 'certflow-https',
              extraTargets,
              beforeWrite: server
                ? (checked) => {
                    // Node's own check of the final options, so setSecureContext cannot fail after the write
                    createSecureContext(serverOptions(base, checked.key, checked.fullchain) as SecureContextOptions);
                  }
                : undefined,
            });

      let settingsAgree = true;
      if (server) {
        server.setSecureContext(serverOptions(base, installed.bundle.key, installed.bundle.fullchain) as SecureContextOptions);
        // Does settings.js read this store? If not, Node-RED switches back at its next refresh or restart.
        const after = await settingsTlsOptions().catch((): TlsOptions => ({}));
        settingsAgree = sameText(after.cert, installed.bundle.fullchain);
        if (!settingsAgree) node.warn(RED._('certflow-https.warnings.settingsDiffer', { store: storeName, dir: storeDir(where) }));
      }
      if (serve && !server && !plainHttpExplained) {
        plainHttpExplained = true; // the status says it at every install; the how-to once is enough
        node.warn(RED._('certflow-https.warnings.plainHttp', { dir: installed.dir }));
      }
      showStatus(installed.bundle, !!server, settingsAgree);

      msg.installed = {
        store: storeName,
        dir: installed.dir,
        generation: installed.generation,
        served: !!server,
        files: installed.extraFiles,
        subject: installed.meta.subject,
        altNames: installed.meta.altNames,
        notAfter: installed.meta.notAfter,
        daysRemaining: until(installed.meta.notAfter).days,
        fingerprint256: installed.meta.fingerprint256,
      };
      send(msg);
    });
  }

  /** The settings' options with our key and chain, each in the type the settings used (Buffer or string). */
  function serverOptions(base: TlsOptions, key: string, fullchain: string): TlsOptions {
    return {
      ...base,
      key: Buffer.isBuffer(base.key) ? Buffer.from(key) : key,
      cert: Buffer.isBuffer(base.cert) ? Buffer.from(fullchain) : fullchain,
    };
  }

  /** Is the bundle the certificate (and key) the store holds now? */
  function sameCertificate(bundle: { key?: unknown; cert?: unknown }, stored: StoredBundle): boolean {
    if (typeof bundle.key !== 'string' || bundle.key.trim() !== stored.key.trim() || typeof bundle.cert !== 'string') return false;
    try {
      return new X509Certificate(bundle.cert).fingerprint256 === stored.leaf.fingerprint256;
    } catch {
      return false;
    }
  }

  function sameText(value: unknown, text: string): boolean {
    if (Buffer.isBuffer(value)) return value.toString('utf8') === text;
    return typeof value === 'string' && value === text;
  }

  RED.nodes.registerType('certflow-https', CertflowHttpsNode);

  // The local CA's certificate (never its key), for the dialog's download: browsers and phones
  // trust the bootstrap certificate once it is imported.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get(
      '/certflow-https/local-ca.crt',
      RED.auth.needsPermission('certflow-https.read'),
      asyncRoute(async (_req, res) => {
        try {
          const userDir = RED.settings.userDir;
          const ca = userDir ? await loadServe().readLocalCaCertificate({ userDir }) : undefined;
          if (!ca) return res.status(404).json({ error: RED._('certflow-https.errors.noLocalCa') });
          res.set({
            'Content-Type': 'application/x-x509-ca-cert',
            'Content-Disposition': 'attachment; filename="node-red-local-ca.crt"',
            'Cache-Control': 'no-store',
            'X-Certflow-Fingerprint': ca.fingerprint256,
          });
          res.send(ca.pem);
        } catch (err) {
          res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }
};
