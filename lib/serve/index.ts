/**
 * serve/: what the serving side (settings helper lib/settings.ts, the certflow-https node)
 * shares: reconcile.ts - serve the newest valid stored certificate for a store, following the
 * ACME record that feeds it.
 */
export { reconcileStore, linkStoreToSource, readSourceLink } from './reconcile';
export type { ReconcileResult, SourceLink } from './reconcile';
