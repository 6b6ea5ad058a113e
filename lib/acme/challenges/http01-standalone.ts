/**
 * http-01 answered by a listener that is open only while an order needs it. Orders running
 * at the same time on the same host:port share one listener (reference counted).
 */
import * as http from 'node:http';
import { Http01Registry } from './http01-registry';
import { closeServer, listenOn } from './listen';

export interface Http01Listener {
  /** Tokens answered by this listener. */
  readonly registry: Http01Registry;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Releases this user's hold; the server closes when the last user releases. */
  release(): Promise<void>;
}

interface Shared {
  server: http.Server;
  registry: Http01Registry;
  port: number;
  users: number;
  ready: Promise<number>;
}

const listeners = new Map<string, Shared>();

/** Opens (or joins) the listener on host:port (default 0.0.0.0:80). */
export async function startHttp01Listener(opts: { host?: string; port?: number } = {}): Promise<Http01Listener> {
  const host = opts.host || '0.0.0.0';
  const port = opts.port ?? 80;
  const key = `${host}:${port}`;
  let shared = port === 0 ? undefined : listeners.get(key);
  if (!shared) {
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
    const created: Shared = { server, registry, port, users: 0, ready: listenOn(server, host, port, 'the http-01 listener') };
    shared = created;
    if (port !== 0) listeners.set(key, created);
    try {
      created.port = await created.ready;
    } catch (err) {
      if (listeners.get(key) === created) listeners.delete(key);
      throw err;
    }
  } else {
    await shared.ready;
  }
  const entry = shared;
  entry.users += 1;
  let released = false;
  return {
    registry: entry.registry,
    port: entry.port,
    async release() {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users === 0) {
        if (listeners.get(key) === entry) listeners.delete(key);
        await closeServer(entry.server);
      }
    },
  };
}
