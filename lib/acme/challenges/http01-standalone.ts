/**
 * http-01 answered by a listener that is open only while an order needs it. Orders running
 * at the same time on the same host:port share one listener (reference counted).
 */
import * as http from 'node:http';
import { Http01Registry } from './http01-registry';
import { acquireSharedListener, type ListenerPool } from './listen';

export interface Http01Listener {
  /** Tokens answered by this listener. */
  readonly registry: Http01Registry;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Releases this user's hold; the server closes when the last user releases. */
  release(): Promise<void>;
}

const listeners: ListenerPool<Http01Registry> = new Map();

/** Opens (or joins) the listener on host:port (default 0.0.0.0:80). */
export async function startHttp01Listener(opts: { host?: string; port?: number } = {}): Promise<Http01Listener> {
  const held = await acquireSharedListener(listeners, opts.host || '0.0.0.0', opts.port ?? 80, 'the http-01 listener', () => {
    const registry = new Http01Registry();
    const server = http.createServer((req, res) => {
      const body = req.method === 'GET' || req.method === 'HEAD' ? registry.lookup(req.url ?? '') : undefined;
      if (body === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    return { server, state: registry };
  });
  return { registry: held.state, port: held.port, release: () => held.release() };
}
