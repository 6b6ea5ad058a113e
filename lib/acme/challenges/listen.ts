/**
 * Opening a server on host:port for the time of an order, with errors a user can act on.
 */
import type { Server } from 'node:net';
import { CertflowError } from '../../errors';

export function listenOn(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new CertflowError('ACME_PORT_IN_USE', `cannot open ${what} on ${host}:${port}: the port is in use by another program`, { code: err.code }));
      } else if (err.code === 'EACCES') {
        reject(new CertflowError(
          'ACME_PORT_DENIED',
          `cannot open ${what} on ${host}:${port}: no permission (ports below 1024 need root or CAP_NET_BIND_SERVICE; forward the port to a higher one)`,
          { code: err.code },
        ));
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
