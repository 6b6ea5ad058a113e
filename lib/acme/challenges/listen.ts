/**
 * Opening a server on host:port for the time of an order, with errors a user can act on.
 */
import type { Server } from 'node:net';
import { CertflowError } from '../../errors';

/** What to tell the user when a port cannot be opened (replaces the short default advice). */
export interface ListenAdvice {
  /** EADDRINUSE: another program has the port. */
  inUse?: string;
  /** EACCES: no permission (ports below 1024). */
  denied?: string;
}

export function listenOn(server: Server, host: string, port: number, what: string, advice: ListenAdvice = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new CertflowError(
            'ACME_PORT_IN_USE',
            `cannot open ${what} on ${host}:${port}: the port is in use by another program${advice.inUse ? ` - ${advice.inUse}` : ''}`,
            { code: err.code, port },
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new CertflowError(
            'ACME_PORT_DENIED',
            `cannot open ${what} on ${host}:${port}: no permission - ${advice.denied ?? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; forward the port to a higher one'}`,
            { code: err.code, port },
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new CertflowError('ACME_BAD_ADDRESS', `cannot open ${what} on ${host}:${port}: this machine has no such address`, { code: err.code }));
      } else {
        reject(new CertflowError('ACME_LISTEN_FAILED', `cannot open ${what} on ${host}:${port}: ${err.message}`, { code: err.code }));
      }
    };
    const onListening = () => {
      server.removeListener('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // drop keep-alive connections so close() completes at once
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** A listener that orders running at the same time on the same host:port share. */
export interface SharedListener<State> {
  readonly state: State;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Releases this user's hold; the server closes when the last user releases. */
  release(): Promise<void>;
}

interface PoolEntry<State> {
  server: Server;
  state: State;
  port: number;
  users: number;
  ready: Promise<number>;
}

export type ListenerPool<State> = Map<string, PoolEntry<State>>;

/**
 * Opens the server on host:port, or joins the one already open there (reference counted), so
 * two orders pending at once do not fight over port 80 or 443. Port 0 always opens a new one.
 */
export async function acquireSharedListener<State>(
  pool: ListenerPool<State>,
  host: string,
  port: number,
  what: string,
  create: () => { server: Server; state: State },
  advice?: ListenAdvice,
): Promise<SharedListener<State>> {
  const key = `${host}:${port}`;
  let entry = port === 0 ? undefined : pool.get(key);
  if (!entry) {
    const { server, state } = create();
    const created: PoolEntry<State> = { server, state, port, users: 0, ready: listenOn(server, host, port, what, advice) };
    entry = created;
    if (port !== 0) pool.set(key, created);
    try {
      created.port = await created.ready;
    } catch (err) {
      if (pool.get(key) === created) pool.delete(key);
      throw err;
    }
  } else {
    await entry.ready;
  }
  const held = entry;
  held.users += 1;
  let released = false;
  return {
    state: held.state,
    port: held.port,
    async release() {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0) {
        if (pool.get(key) === held) pool.delete(key);
        await closeServer(held.server);
      }
    },
  };
}
