/**
 * The settings.js helper: Node-RED's `https` setting as a function that serves the certificate
 * in the store (`<userDir>/certificates/<name>/`), from the first boot on.
 *
 *   const certflow = require('@certflow/node-red-certificates/settings');
 *   module.exports = {
 *     https: certflow.https({ name: 'node-red' }),
 *     httpsRefreshInterval: 1,
 *     ...
 *   }
 *
 * How Node-RED uses it (node-red/red.js, 4.x): at startup it calls `settings.https()` and waits
 * for the promise; a falsy result silently starts plain HTTP, so this never resolves to
 * null. Every `httpsRefreshInterval` hours it calls the function again and, only when the
 * result's key or cert differs from `server.key` / `server.cert` (strings compared with !=,
 * Buffers with equals), calls `server.setSecureContext(result)`. So the result always carries
 * the key and the certificate chain as PEM STRINGS read from the store: the same text when
 * nothing changed, and no reload.
 *
 * When the store is empty it makes a bootstrap certificate once (stored like any other) from
 * a local CA kept in `<userDir>/certificates/local-ca/` for the machine's names, so Node-RED
 * starts in HTTPS. A broken or mismatched store is a warning, never a crash and never plain
 * HTTP: the last good pair keeps being served.
 *
 * Which userDir? settings.js is loaded before Node-RED knows its userDir, so the helper finds
 * it the way Node-RED will (resolveUserDir): the `userDir` option (setup-https writes
 * `userDir: __dirname`), else `-u DIR` / `--userDir DIR` on Node-RED's command line, else
 * Node-RED's default (NODE_RED_HOME or HOMEPATH/.node-red when they hold a .config.json,
 * else ~/.node-red).
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertflowError } from '../errors';
import type { AltName } from '../pki/names';
import { localCaPaths } from './local-ca-download';
import { reconcileStore } from './reconcile';
import { configureStorage, setStorageLogger, takeMigrationReport, type StorageSettings } from '../storage';
import {
  certificatesDir,
  expandHome,
  installBundle,
  readStoredBundle,
  storeDir,
  validateBundle,
  validateStoreName,
  type StoredBundle,
  type ValidatedBundle,
} from './store';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface HttpsHelperOptions {
  /** Store name under `<userDir>/certificates/` (default `node-red`). */
  name?: string;
  /** Node-RED's userDir; see resolveUserDir for what happens without it. */
  userDir?: string;
  /** Extra names or IP addresses for the bootstrap certificate (besides the machine's own). */
  hostnames?: string[] | string;
  /** More TLS options for the server (ciphers, minVersion, ca, requestCert...); key and cert come from the store. */
  options?: Record<string, unknown>;
  /** Passphrase of an encrypted stored key (also passed to Node as `passphrase`). */
  passphrase?: string;
  /** Where warnings go; default: the console, in Node-RED's log format. */
  log?: Logger;
  /** A bootstrap certificate is re-issued when fewer days than this remain (default 30). */
  bootstrapRenewDays?: number;
  /**
   * Where certificates live: absent = `<userDir>/certificates/`; `{ redis: 'redis://...', secret }`
   * = a Redis (or Valkey) shared by a cluster of Node-RED instances. The nodes use the same
   * storage (it is registered for this userDir when settings.js is loaded). docs/STORAGE.md.
   */
  storage?: StorageSettings;
}

/** What the function gives Node-RED: https.createServer / setSecureContext options. */
export interface HttpsServerOptions {
  key: string;
  cert: string;
  [option: string]: unknown;
}

export interface HttpsSettingsFunction {
  (): Promise<HttpsServerOptions>;
  /** Where this function reads from (for the https node and the CLI). */
  readonly certflow: { name: string; userDir: string; storeDir: string; localCaCert: string };
}

const BOOTSTRAP_SOURCE = 'bootstrap';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a bootstrap certificate is needed: it brings the signing code
const loadBootstrap = () => require('../pki/bootstrap') as typeof import('../pki/bootstrap');

/** A bootstrap certificate from the local CA, checked like any bundle. */
async function issueBootstrapCertificate(userDir: string, names: AltName[], log: Logger): Promise<ValidatedBundle> {
  return validateBundle(await loadBootstrap().issueBootstrapCertificate(userDir, names, log));
}

/**
 * Node-RED's `https` setting. Returns a function (Node-RED calls it at startup and at every
 * httpsRefreshInterval) resolving to `{ key, cert, ...options }` from the store.
 */
export function https(helperOptions: HttpsHelperOptions = {}): HttpsSettingsFunction {
  const name = validateStoreName(helperOptions.name ?? 'node-red');
  const userDir = resolveUserDir(helperOptions.userDir);
  const location = { userDir, name };
  const log = helperOptions.log ?? consoleLogger;
  // before flows start: the nodes open the same storage (a bad setting stops Node-RED here, with the reason)
  if (helperOptions.storage !== undefined) configureStorage(userDir, helperOptions.storage);
  setStorageLogger(log);
  const extraOptions = { ...(helperOptions.options ?? {}) };
  const passphrase = helperOptions.passphrase ?? (typeof extraOptions.passphrase === 'string' ? extraOptions.passphrase : undefined);
  if (passphrase !== undefined) extraOptions.passphrase = passphrase;
  delete extraOptions.key;
  delete extraOptions.cert;
  const renewDays = helperOptions.bootstrapRenewDays ?? 30;
  let namesChecked = false; // a bad name in `hostnames` is reported once, not at every refresh
  const wantedNames = () => {
    const names = loadBootstrap().bootstrapNames(helperOptions.hostnames, namesChecked ? undefined : log);
    namesChecked = true;
    return names;
  };

  let lastGood: ValidatedBundle | undefined;
  let lastWarning = '';
  let inFlight: Promise<HttpsServerOptions> | undefined;

  const warnOnce = (message: string) => {
    if (message !== lastWarning) log('warn', message);
    lastWarning = message;
  };
  const result = (bundle: ValidatedBundle): HttpsServerOptions => ({ ...extraOptions, key: bundle.key, cert: bundle.fullchain });
  const reportMigration = () => {
    const report = takeMigrationReport(userDir);
    if (report) {
      log(
        'info',
        `moved the certificates and accounts of certflow 0.1.0 into ${certificatesDir(userDir)} (the one folder to back up); the old folder is kept as ${report.movedTo}`,
      );
    }
  };

  async function load(): Promise<HttpsServerOptions> {
    let stored: StoredBundle | null;
    try {
      // the newest valid certificate stored for this name, wherever the last run stopped
      const reconciled = await reconcileStore(location, { passphrase });
      reportMigration();
      if (reconciled.installedFrom) {
        log(
          'info',
          `installed the newer certificate of ${reconciled.installedFrom} into ${storeDir(location)} (it was stored, but not yet installed, when the last run stopped)`,
        );
      }
      stored = reconciled.stored;
    } catch (err) {
      return fallback(`${reasonOf(err)}`);
    }
    if (stored === null) {
      if (lastGood) return fallback(`no certificate in ${storeDir(location)} any more`);
      stored = await makeBootstrap(`no certificate stored yet in ${storeDir(location)}`, null).catch(async (err) => {
        // a certificate arrived while the bootstrap one was being made: serve that one
        const arrived = err instanceof CertflowError && err.code === 'store-changed' ? await readStoredBundle(location, { passphrase }) : null;
        if (!arrived) throw err;
        return arrived;
      });
    } else if (stored.meta.source === BOOTSTRAP_SOURCE) {
      // Only our own bootstrap certificate is ever replaced automatically.
      const why = loadBootstrap().bootstrapOutdated(stored, wantedNames(), renewDays);
      const current = stored;
      if (why) {
        stored = await makeBootstrap(why, current.generation).catch((err) => {
          if (!(err instanceof CertflowError && err.code === 'store-changed')) {
            log('warn', `could not renew the bootstrap certificate (${reasonOf(err)}); keeping the current one`);
          }
          return current;
        });
      }
    }
    lastWarning = '';
    if (!lastGood || lastGood.leaf.fingerprint256 !== stored.leaf.fingerprint256) {
      const until = stored.leaf.validTo ? new Date(stored.leaf.validTo).toISOString().slice(0, 10) : '?';
      if (lastGood)
        log(
          'info',
          `HTTPS certificate for ${stored.facts.altNames.join(', ') || stored.facts.subject} (until ${until}) read from ${storeDir(location)}`,
        );
      if (new Date(stored.leaf.validTo) < new Date()) {
        log('warn', `the HTTPS certificate in ${storeDir(location)} expired on ${until}: browsers will refuse it; install a new one`);
      }
    }
    lastGood = stored;
    return result(stored);
  }

  /** Something is wrong with the store: keep serving what worked, say so once. */
  async function fallback(problem: string): Promise<HttpsServerOptions> {
    if (lastGood) {
      warnOnce(`${problem}; still serving the last good certificate (${lastGood.facts.subject}, until ${lastGood.facts.notAfter.slice(0, 10)})`);
      return result(lastGood);
    }
    // At startup there is no last good pair: the previous generation, else a bootstrap
    // certificate made in memory (the damaged store is left as it is, for a human to look at).
    const previous = await readStoredBundle(location, { passphrase, which: 'previous' }).catch(() => null);
    if (previous) {
      warnOnce(
        `${problem}; serving the previous certificate of ${storeDir(location)} (${previous.facts.subject}, until ${previous.facts.notAfter.slice(0, 10)})`,
      );
      lastGood = previous;
      return result(previous);
    }
    warnOnce(`${problem}; serving a temporary bootstrap certificate until a good one is installed`);
    lastGood = await issueBootstrapCertificate(userDir, wantedNames(), log);
    return result(lastGood);
  }

  /** Makes and stores a bootstrap certificate, unless the store moved on from `replacing` meanwhile. */
  async function makeBootstrap(why: string, replacing: string | null): Promise<StoredBundle> {
    const names = wantedNames();
    const bundle = await issueBootstrapCertificate(userDir, names, log);
    await installBundle(location, { key: bundle.key, cert: bundle.cert, chain: bundle.chain }, { source: BOOTSTRAP_SOURCE, ifCurrentIs: replacing });
    const stored = await readStoredBundle(location, { passphrase });
    if (!stored) throw new CertflowError('store-broken', `the bootstrap certificate was written to ${storeDir(location)} but cannot be read back`);
    log(
      'info',
      `${why}: made a bootstrap certificate for ${names.map((n) => n.value).join(', ')}, signed by the local CA ${localCaPaths(userDir).cert} ` +
        '(trust that file in your browser, or install a real certificate with the certflow-https node)',
    );
    return stored;
  }

  const httpsSettings = function certflowHttpsSettings(): Promise<HttpsServerOptions> {
    // Node-RED's refresh timer and an https node may ask at the same moment: one read serves both.
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  } as HttpsSettingsFunction;
  Object.defineProperty(httpsSettings, 'certflow', {
    value: Object.freeze({ name, userDir, storeDir: storeDir(location), localCaCert: localCaPaths(userDir).cert }),
    enumerable: false,
  });
  return httpsSettings;
}

// ---------------------------------------------------------------------------------------------
// userDir

/**
 * The userDir Node-RED will use, found before Node-RED itself knows it: the explicit option,
 * else `-u DIR` / `--userDir DIR` / `--userDir=DIR` in the command line, else Node-RED's own
 * default (@node-red/runtime storage/localfilesystem).
 */
export function resolveUserDir(explicit?: string, argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(expandHome(explicit));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '-u' || arg === '--userDir') && argv[i + 1]) return path.resolve(argv[i + 1]);
    if (arg.startsWith('--userDir=')) return path.resolve(arg.slice('--userDir='.length));
  }
  const hasConfig = (dir: string | undefined) => !!dir && ['.config.json', '.config.nodes.json'].some((f) => existsQuick(path.join(dir, f)));
  if (hasConfig(env.NODE_RED_HOME)) return path.resolve(env.NODE_RED_HOME as string);
  if (env.HOMEPATH && hasConfig(path.join(env.HOMEPATH, '.node-red'))) return path.join(env.HOMEPATH, '.node-red');
  return path.join(env.HOME || env.USERPROFILE || env.HOMEPATH || os.homedir(), '.node-red');
}

/** settings.js is evaluated synchronously, before any await: a stat of one small path. */
function existsQuick(file: string): boolean {
  return existsSync(file);
}

// ---------------------------------------------------------------------------------------------

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Node-RED's console format ("27 Nov 10:11:12 - [warn] ..."), so our lines sit well in its log. */
function consoleLogger(level: LogLevel, message: string): void {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getDate()} ${MONTHS[d.getMonth()]} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const line = `${stamp} - [${level}] [certflow-https] ${message}`;
  if (level === 'info') console.log(line);
  else console.warn(line);
}
