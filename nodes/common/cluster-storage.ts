/**
 * The nodes' side of the storage configuration (lib/storage/redis-config.ts): settings.js
 * `certflow: { storage: { redis, secret } }` (for a Node-RED without the https helper) is read
 * here at registration, unless the settings helper `https({ storage })` set it already;
 * Node-RED's credentialSecret is the encryption secret when the setting gives none. In a
 * cluster, the ACME nodes' http-01 route also answers tokens another instance's order added.
 */
import { loadAcme, loadStorage } from './lib';

interface SettingsRuntime {
  settings: { userDir?: string; credentialSecret?: unknown; certflow?: { storage?: unknown } };
  log: { error(text: string): void };
}

/** Reads the storage setting once per runtime; a bad one is logged (the nodes then report it at their first use). */
export function configureNodeStorage(RED: SettingsRuntime, userDir: string): void {
  try {
    const { configureStorage, setStorageSecretFallback } = loadStorage();
    setStorageSecretFallback(userDir, RED.settings.credentialSecret);
    const certflow = RED.settings.certflow;
    if (certflow && typeof certflow === 'object' && certflow.storage !== undefined) {
      configureStorage(userDir, certflow.storage as Parameters<typeof configureStorage>[1], { ifUnset: true });
    }
  } catch (err) {
    RED.log.error(`[certflow] settings.js certflow.storage: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Cluster storage: the process-wide http-01 registry also writes and reads the shared tokens. */
export function shareChallengeTokens(userDir: string): Promise<void> {
  return loadStorage()
    .openStorage(userDir)
    .then(
      (storage) => loadAcme().http01Registry.share(storage.challengeTokens),
      () => undefined, // the ACME node reports a storage problem at its first order
    );
}
