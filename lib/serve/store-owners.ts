/**
 * One store, one owner. Two nodes writing the same store (e.g. two Node-RED HTTPS nodes named
 * "node-red") would overwrite each other silently: each believes its own certificate is
 * served. Every writer claims its store here for as long as it runs; when a store has more
 * than one claim, each claimant is told who the others are (and told again when that changes),
 * so all of them can refuse to work and say so.
 */

export interface StoreOwner {
  /** Unique id (a node id). */
  id: string;
  /** How to name it to a person, e.g. `"Serve HTTPS" (node 1a2b3c)`. */
  label: string;
}

interface Claim {
  owner: StoreOwner;
  onChange: (others: StoreOwner[]) => void;
}

/** store key -> claims, in the order they were made (process-wide: all flows of this Node-RED). */
const claims = new Map<string, Claim[]>();

/**
 * Claims `store` (any string naming it uniquely, e.g. userDir + store name) for `owner`.
 * `onChange(others)` is called at once and whenever the other claimants change (an empty list:
 * the store is this owner's alone again). Returns the release (call it when the node closes).
 */
export function claimStore(store: string, owner: StoreOwner, onChange: (others: StoreOwner[]) => void): () => void {
  const list = claims.get(store) ?? [];
  const claim: Claim = { owner, onChange };
  list.push(claim);
  claims.set(store, list);
  notify(list);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const now = (claims.get(store) ?? []).filter((c) => c !== claim);
    if (now.length) claims.set(store, now);
    else claims.delete(store);
    // only the ones left need to hear it (they may be alone now)
    notify(now);
  };
}

function notify(list: Claim[]): void {
  for (const claim of list) {
    const others = list.filter((c) => c !== claim).map((c) => c.owner);
    try {
      claim.onChange(others);
    } catch {
      // one claimant's problem is not the others'
    }
  }
}
