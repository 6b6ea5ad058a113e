/**
 * serve/: what the serving side (settings helper lib/serve/settings.ts, the certflow-https node)
 * shares: reconcile.ts - serve the newest valid stored certificate for a store, following the
 * ACME record that feeds it; watch.ts - hear about changes other instances of a cluster made.
 */
export { reconcileStore, linkStoreToSource, readSourceLink } from './reconcile';
export type { ReconcileResult, SourceLink } from './reconcile';
export { watchServedStore } from './watch';
export { readLocalCaCertificate, LOCAL_CA_CERT_KEY } from './local-ca-download';
export { claimStore } from './store-owners';
export type { StoreOwner } from './store-owners';
