/**
 * Hot swap from storage: a certificate stored for a served name is served at once, whoever
 * stored it. watchServedStore calls `onChange` when the store or the ACME record that feeds it
 * changed: with files, by a writer in this process (the ACME node beside the HTTPS node); with
 * a shared storage (Redis), anywhere in the cluster (pub/sub), after a reconnect to the
 * storage, and at its poll interval (a bound on the delay should a message be lost). Calls
 * never overlap: changes that arrive while one runs make one more run afterwards.
 */
import { storageOf, validateStoreName, type StoreLocation } from './store';
import { readSourceLink } from './reconcile';

/** Returns the unsubscribe. */
export function watchServedStore(location: StoreLocation, onChange: () => Promise<unknown>): () => void {
  const name = validateStoreName(location.name ?? 'node-red');
  let stopped = false;
  let unwatch: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await onChange().catch(() => undefined); // the caller shows its own problems
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  storageOf(location).then(
    (storage) => {
      if (stopped || !storage.watch) return;
      unwatch = storage.watch((change) => {
        if (stopped) return;
        if (change.record === '*' || change.record === name) return run();
        // the ACME record that feeds this store (read on each change: the link may be new)
        readSourceLink(location).then(
          (link) => link?.record === change.record && run(),
          () => undefined,
        );
      });
    },
    () => undefined,
  );
  return () => {
    stopped = true;
    unwatch?.();
  };
}
