/**
 * serve/: putting a certificate in front of Node-RED's HTTPS server.
 *
 *   store.ts              a served store (`<userDir>/certificates/<name>/`): validate, install, read a bundle
 *   reconcile.ts          serve the newest valid stored certificate for a store, following the
 *                         ACME record that feeds it (source.json)
 *   watch.ts              hear about changes other instances of a cluster made
 *   store-owners.ts       one https node per store in a runtime
 *   local-ca-download.ts  the local CA's certificate, for a browser to trust
 *   settings.ts           the settings.js helper (`https()`), loaded through the package's
 *                         settings.js, not from here: it needs no Node-RED runtime
 *
 * How a certificate gets from ACME to the socket: docs/ARCHITECTURE.md.
 */
export { reconcileStore, linkStoreToSource, readSourceLink } from './reconcile';
export type { ReconcileResult, SourceLink } from './reconcile';
export { watchServedStore } from './watch';
export { readLocalCaCertificate, LOCAL_CA_CERT_KEY } from './local-ca-download';
export { claimStore } from './store-owners';
export type { StoreOwner } from './store-owners';
export {
  installBundle,
  readStoredBundle,
  readRecordBundle,
  validateBundle,
  validateStoreName,
  storeDir,
  certificatesDir,
  generationFiles,
  STORE_FILES,
} from './store';
export type {
  StoreLocation,
  StoreMeta,
  StoredBundle,
  ValidatedBundle,
  ExtraTarget,
  ExtraTargetContent,
  InstallOptions,
  InstallResult,
} from './store';
export { localCaPaths } from './local-ca-download';
