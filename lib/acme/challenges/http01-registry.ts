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

export class Http01Registry {
  private readonly entries = new Map<string, Entry>();

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
    let token = String(tokenOrPath ?? '');
    const q = token.indexOf('?');
    if (q >= 0) token = token.slice(0, q);
    if (token.startsWith(HTTP01_PATH_PREFIX)) token = token.slice(HTTP01_PATH_PREFIX.length);
    if (!TOKEN_PATTERN.test(token)) return undefined;
    return this.entries.get(token)?.keyAuthorization;
  }

  /** Number of tokens waiting (for status/tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** The process-wide registry the Node-RED route answers from (method 'route'). */
export const http01Registry = new Http01Registry();
