/**
 * http-01 token registry: token -> key authorization for orders in progress. A web route
 * (Node-RED's `/.well-known/acme-challenge/:token`) or our own listener asks it; a token is
 * answered only between the order adding it and the order's cleanup.
 */

export const HTTP01_PATH_PREFIX = '/.well-known/acme-challenge/';

// RFC 8555 section 8.3: the token is base64url
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

interface Entry {
  keyAuthorization: string;
  identifier?: string;
}

/** Tokens kept where every instance of a cluster can read them (the Redis storage's). */
export interface SharedTokens {
  put(token: string, keyAuthorization: string, ttlMs: number): Promise<void>;
  get(token: string): Promise<string | undefined>;
  remove(token: string): Promise<void>;
}

/** How long a shared token lives at most (an order that dies leaves none for long). */
const SHARED_TOKEN_TTL_MS = 10 * 60_000;

export class Http01Registry {
  private readonly entries = new Map<string, Entry>();
  private shared?: SharedTokens;

  /** Cluster: tokens are also written to (and looked up in) the shared store. */
  share(tokens: SharedTokens | undefined): void {
    this.shared = tokens;
  }

  /** add(), and in a cluster the shared copy written before this resolves (before the CA is told to look). */
  async addShared(token: string, keyAuthorization: string, identifier?: string): Promise<() => Promise<void>> {
    const removeLocal = this.add(token, keyAuthorization, identifier);
    const shared = this.shared;
    if (!shared) return () => Promise.resolve(removeLocal());
    try {
      await shared.put(token, keyAuthorization, SHARED_TOKEN_TTL_MS);
    } catch (err) {
      removeLocal();
      throw err;
    }
    return async () => {
      removeLocal();
      await shared.remove(token);
    };
  }

  /** lookup(), then the shared store (a token another instance of the cluster added). */
  async lookupShared(tokenOrPath: string): Promise<string | undefined> {
    const local = this.lookup(tokenOrPath);
    if (local !== undefined || !this.shared) return local;
    const token = tokenOf(tokenOrPath);
    return token ? this.shared.get(token).catch(() => undefined) : undefined;
  }

  /** Adds a token; returns a function that removes it again. */
  add(token: string, keyAuthorization: string, identifier?: string): () => void {
    if (!TOKEN_PATTERN.test(token)) throw new Error('invalid http-01 token from the CA');
    const entry = { keyAuthorization, identifier };
    this.entries.set(token, entry);
    return () => {
      if (this.entries.get(token) === entry) this.entries.delete(token);
    };
  }

  remove(token: string): void {
    this.entries.delete(token);
  }

  /**
   * The body to answer for a token or for a request path
   * ('/.well-known/acme-challenge/<token>', query ignored); undefined = answer 404.
   */
  lookup(tokenOrPath: string): string | undefined {
    const token = tokenOf(tokenOrPath);
    return token ? this.entries.get(token)?.keyAuthorization : undefined;
  }

  /** Number of tokens waiting (for status/tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** The token of a token or request path; undefined when it is not a valid token. */
function tokenOf(tokenOrPath: string): string | undefined {
  let token = String(tokenOrPath ?? '');
  const q = token.indexOf('?');
  if (q >= 0) token = token.slice(0, q);
  if (token.startsWith(HTTP01_PATH_PREFIX)) token = token.slice(HTTP01_PATH_PREFIX.length);
  return TOKEN_PATTERN.test(token) ? token : undefined;
}

/** The process-wide registry the Node-RED route answers from (method 'route'). */
export const http01Registry = new Http01Registry();
