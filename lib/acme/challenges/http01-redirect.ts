/**
 * The plain-HTTP port for a Node-RED that serves HTTPS (what Caddy does on port 80): a CA's
 * http-01 check always arrives in plain HTTP on port 80, so this listener answers the tokens
 * of orders in progress (the same registry as Node-RED's own /.well-known route) and sends
 * every other request to HTTPS with a permanent redirect. It stays open while a node uses it;
 * nodes on the same host:port share one server (reference counted, lib/acme/challenges/listen).
 */
import * as http from 'node:http';
import { http01Registry, type Http01Registry } from './http01-registry';
import { acquireSharedListener, type ListenAdvice, type ListenerPool } from './listen';

/** Where other requests are sent: Node-RED's own server (asked at each request: it may change). */
export interface RedirectTarget {
  protocol: 'https' | 'http';
  port: number;
}

export interface Http01RedirectOptions {
  /** Address to listen on (default all IPv4 addresses). */
  host?: string;
  /** Port (default 80; 0 = any free one, for tests). */
  port?: number;
  /** Node-RED's server; undefined while it is not listening (then 503). */
  target: () => RedirectTarget | undefined;
  /** Tokens to answer (default: the process-wide registry of Node-RED's route). */
  registry?: Http01Registry;
}

export interface Http01RedirectListener {
  readonly port: number;
  /** Releases this user's hold; the server closes when the last user releases. */
  release(): Promise<void>;
}

interface RedirectState {
  registry: Http01Registry;
  target: () => RedirectTarget | undefined;
}

const listeners: ListenerPool<RedirectState> = new Map();

/** A host name or address from a Host header, without its port; undefined when it is not one. */
export function hostOf(header: string | undefined): string | undefined {
  const text = String(header ?? '').trim();
  const bracketed = /^(\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.exec(text);
  if (bracketed) return bracketed[1];
  const plain = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)(?::\d{1,5})?$/.exec(text);
  return plain ? plain[1] : undefined;
}

/** How to make the port usable, in the error when it cannot be opened. */
export function redirectListenAdvice(port: number): ListenAdvice {
  return {
    denied:
      `ports below 1024 need a privilege. Either allow Node.js to open them: sudo setcap 'cap_net_bind_service=+ep' "$(readlink -f "$(which node)")" (then restart Node-RED); ` +
      `or forward port ${port} to a higher port in your router or firewall (e.g. sudo iptables -t nat -A PREROUTING -p tcp --dport ${port} -j REDIRECT --to-port 8080) and set that port here; ` +
      `or set another port here (e.g. 8080) and add a router rule sending port 80 to it`,
    inUse:
      `is a web server running there? Stop it, or let it pass /.well-known/acme-challenge/ to Node-RED; ` +
      `or set another port here (e.g. 8080) and add a router rule sending port 80 to it`,
  };
}

function handler(state: RedirectState): http.RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' || req.method === 'HEAD') {
      const body = state.registry.lookup(url);
      if (body !== undefined) {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
    }
    const target = state.target();
    const host = hostOf(req.headers.host);
    if (!target || !host || !url.startsWith('/')) {
      res.writeHead(target ? 400 : 503, { 'Content-Type': 'text/plain' });
      res.end(target ? 'bad request\n' : 'not ready\n');
      return;
    }
    const defaultPort = target.protocol === 'https' ? 443 : 80;
    const location = `${target.protocol}://${host}${target.port === defaultPort ? '' : `:${target.port}`}${url}`;
    // 308: like 301, but a POST stays a POST
    res.writeHead(308, { Location: location, 'Content-Type': 'text/plain', Connection: 'close' });
    res.end(`${location}\n`);
  };
}

/** Opens (or joins) the plain-HTTP listener on host:port (default 0.0.0.0:80). */
export async function startHttp01RedirectListener(opts: Http01RedirectOptions): Promise<Http01RedirectListener> {
  const port = opts.port ?? 80;
  const held = await acquireSharedListener(
    listeners,
    opts.host || '0.0.0.0',
    port,
    'the plain-HTTP listener (http-01 + redirect to HTTPS)',
    () => {
      const state: RedirectState = { registry: opts.registry ?? http01Registry, target: opts.target };
      return { server: http.createServer(handler(state)), state };
    },
    redirectListenAdvice(port),
  );
  return { port: held.port, release: () => held.release() };
}
