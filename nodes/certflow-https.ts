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
import type { Server as HttpServer } from 'node:http';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { CertflowError } from '../lib/errors';
import { linkStoreToSource, reconcileStore } from '../lib/serve';
import { installBundle, readStoredBundle, storeDir, type ExtraTarget, type ExtraTargetContent, type StoredBundle } from '../lib/store';
import { readBundle } from './common/bundle';
import { handleInput } from './common/handle-input';
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
    return (httpsServer() as (TlsServer & { cert?: unknown }) | undefined)?.cert;
  }

  /** What the `https` setting gives now (calling it when it is a function, as Node-RED does). */
  async function settingsTlsOptions(): Promise<TlsOptions> {
    const setting = RED.settings.https;
    const value = typeof setting === 'function' ? await setting.call(RED.settings) : setting;
    return value && typeof value === 'object' ? value : {};
  }

  function CertflowHttpsNode(this: Node, config: HttpsNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
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

    /** Status from what is stored and what the server serves. */
    function showStatus(stored: { fullchain: string; facts: { notAfter: string } } | null, served: boolean, settingsAgree = true) {
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
    Promise.resolve()
      .then(async () => {
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

    let plainHttpExplained = false;
    handleInput(node, async (msg, send) => {
      const where = location();
      const server = serve ? httpsServer() : undefined;
      // The user's own options (ca, ciphers, passphrase...) from settings.js stay in force.
      const base = server ? await settingsTlsOptions() : {};
      const passphrase = typeof base.passphrase === 'string' ? base.passphrase : undefined;
      const bundle = readBundle(msg.payload);
      const sourceRecord = typeof (bundle as { record?: unknown }).record === 'string' ? ((bundle as { record: string }).record) : undefined;
      // the link first: if this install is cut short, the next start still serves the record's certificate
      if (sourceRecord) await linkStoreToSource(where, sourceRecord);

      // Validates (key matches, valid now, chain in order) before anything on disk changes.
      const installed = await installBundle(where, bundle, {
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
        const after = await settingsTlsOptions().catch(() => ({}) as TlsOptions);
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
    return { ...base, key: Buffer.isBuffer(base.key) ? Buffer.from(key) : key, cert: Buffer.isBuffer(base.cert) ? Buffer.from(fullchain) : fullchain };
  }

  function sameText(value: unknown, text: string): boolean {
    if (Buffer.isBuffer(value)) return value.toString('utf8') === text;
    return typeof value === 'string' && value === text;
  }

  RED.nodes.registerType('certflow-https', CertflowHttpsNode);
};
