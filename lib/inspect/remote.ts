/**
 * Remote inspect: connect to a live TLS server, take the chain it presents, and report it the
 * way inspect() reports a file, plus the TLS protocol and cipher and whether Node's own TLS
 * stack accepts the chain for that host (against the system roots or the CA given).
 *
 * The handshake runs with rejectUnauthorized:false so a broken chain can still be looked at;
 * the verdict is reported, not enforced. One timer bounds the whole attempt: on expiry the
 * socket is destroyed, so nothing hangs.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { CertflowError } from '../errors';
import { inspect, InspectResult } from './inspect';
import { derToPem } from './pem';

export interface RemoteOptions {
  host: string;
  port?: number;
  /** The SNI name to send (default: host, unless it is an IP address). */
  servername?: string;
  timeoutMs?: number;
  /** CA certificates (PEM) to judge the chain with, instead of Node's root store. */
  ca?: string[] | string;
  /** The name the certificate must be valid for (default: servername, else host). */
  checkHost?: string;
  warnDays?: number;
  now?: Date;
}

export interface TlsInfo {
  /** 'TLSv1.3', 'TLSv1.2'... */
  protocol: string | null;
  /** OpenSSL's cipher name, e.g. 'TLS_AES_256_GCM_SHA384'. */
  cipher: string;
  /** Whether Node's TLS accepts the chain and the host name (against `trustStore`). */
  authorized: boolean;
  /** Why not: Node's code, e.g. 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'. */
  authorizationError?: string;
  trustStore: 'system' | 'given';
  servername?: string;
  /** The address actually connected to. */
  remoteAddress?: string;
}

export interface RemoteInspectResult extends InspectResult {
  host: string;
  port: number;
  tls: TlsInfo;
  /** The chain as PEM, leaf first (what the server sent; Node adds the root when it knows it). */
  pem: string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Connects, collects the chain, and inspects it. Clear errors for refused, timeout, not-TLS, DNS. */
export async function inspectRemote(options: RemoteOptions): Promise<RemoteInspectResult> {
  const host = String(options?.host ?? '')
    .trim()
    .replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new CertflowError('REMOTE_HOST_MISSING', 'no host given: which server should be inspected?');
  const port = options.port === undefined || (options.port as unknown) === '' ? 443 : Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CertflowError('REMOTE_PORT_INVALID', `"${options.port}" is not a valid port: use 1-65535`);
  const servername = options.servername?.trim() || (isIP(host) ? undefined : host);
  const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const ca = options.ca === undefined || (Array.isArray(options.ca) && options.ca.length === 0) || options.ca === '' ? undefined : options.ca;

  const { chain, tls } = await fetchChain({ host, port, servername, timeoutMs, ca });
  if (chain.length === 0) throw new CertflowError('REMOTE_NO_CERTIFICATE', `${hostPort(host, port)} sent no certificate`);
  const pem = chain.map((der) => derToPem(der, 'CERTIFICATE'));
  const checkHost = options.checkHost?.trim() || servername || host;
  const result = await inspect(pem.join(''), {
    host: checkHost,
    trustAnchors: ca === undefined ? 'system' : ca,
    ...(options.warnDays !== undefined ? { warnDays: options.warnDays } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const hostError = checkHost ? checkServerIdentityOf(checkHost, tls.peer) : undefined;
  const authorized = tls.authorized && !hostError;
  const tlsInfo: TlsInfo = {
    protocol: tls.protocol,
    cipher: tls.cipher,
    authorized,
    ...(authorized ? {} : { authorizationError: tls.authorizationError ?? hostError }),
    trustStore: ca === undefined ? 'system' : 'given',
    ...(servername ? { servername } : {}),
    ...(tls.remoteAddress ? { remoteAddress: tls.remoteAddress } : {}),
  };
  return {
    ...result,
    summary: `${hostPort(host, port)}: ${result.summary}, ${tls.protocol ?? 'TLS'}`,
    host,
    port,
    tls: tlsInfo,
    pem,
  };
}

interface Fetched {
  chain: Buffer[];
  tls: {
    protocol: string | null;
    cipher: string;
    authorized: boolean;
    authorizationError?: string;
    remoteAddress?: string;
    peer: DetailedPeerCertificate;
  };
}

function fetchChain(o: { host: string; port: number; servername?: string; timeoutMs: number; ca?: string[] | string }): Promise<Fetched> {
  const where = hostPort(o.host, o.port);
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: TLSSocket | undefined;
    const finish = (err: Error | undefined, value?: Fetched) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      finish(new CertflowError('REMOTE_TIMEOUT', `no answer from ${where} within ${seconds(o.timeoutMs)} s`));
    }, o.timeoutMs);
    try {
      socket = connect({
        host: o.host,
        port: o.port,
        servername: o.servername,
        rejectUnauthorized: false, // judge the chain, do not refuse it
        ...(o.ca ? { ca: o.ca } : {}),
      });
    } catch (err) {
      finish(connectionError(err, o.host, where));
      return;
    }
    socket.once('secureConnect', () => {
      const s = socket;
      const peer = s.getPeerCertificate(true);
      const cipher = s.getCipher();
      finish(undefined, {
        chain: walkChain(peer),
        tls: {
          protocol: s.getProtocol(),
          cipher: cipher?.name ?? 'unknown',
          authorized: s.authorized,
          ...(s.authorizationError
            ? { authorizationError: String((s.authorizationError as unknown as { code?: string }).code ?? s.authorizationError) }
            : {}),
          ...(s.remoteAddress ? { remoteAddress: s.remoteAddress } : {}),
          peer,
        },
      });
    });
    socket.once('error', (err) => finish(connectionError(err, o.host, where)));
    socket.once('close', () =>
      finish(
        new CertflowError(
          'REMOTE_CLOSED',
          `${where} closed the connection during the TLS handshake (not a TLS server, or it refused the server name "${o.servername ?? o.host}")`,
        ),
      ),
    );
  });
}

/** The peer certificate and its issuers as Node links them, each once, leaf first. */
function walkChain(peer: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert && cert.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
  }
  return chain;
}

function checkServerIdentityOf(name: string, peer: DetailedPeerCertificate): string | undefined {
  const error: (Error & { code?: string }) | undefined = checkServerIdentity(name, peer);
  return error ? (error.code ?? error.message) : undefined;
}

function connectionError(err: unknown, host: string, where: string): CertflowError {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  const message = String(e?.message ?? err);
  switch (code) {
    case 'ECONNREFUSED':
      return new CertflowError('REMOTE_REFUSED', `could not connect to ${where}: connection refused`);
    case 'ENOTFOUND':
      return new CertflowError('REMOTE_DNS', `could not find host "${host}": the DNS lookup found no such name`);
    case 'EAI_AGAIN':
      return new CertflowError('REMOTE_DNS', `could not look up host "${host}": DNS did not answer (no network or DNS server?)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CertflowError('REMOTE_UNREACHABLE', `could not connect to ${where}: no route to the host`);
    case 'ECONNRESET':
      return new CertflowError(
        'REMOTE_RESET',
        `${where} reset the connection during the TLS handshake (not a TLS server, or it refused the server name)`,
      );
    case 'ETIMEDOUT':
      return new CertflowError('REMOTE_TIMEOUT', `no answer from ${where} (the connection timed out)`);
    default:
      break;
  }
  // OpenSSL read a non-TLS reply (e.g. "HTTP/1.1 400"): a plain server on a TLS port.
  if (
    /WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request|record layer failure|unknown protocol/i.test(`${code} ${message}`)
  ) {
    return new CertflowError('REMOTE_NOT_TLS', `${where} does not speak TLS (plain HTTP?)`);
  }
  if (/^ERR_SSL_|alert/i.test(code) || /alert|handshake/i.test(message)) {
    return new CertflowError('REMOTE_HANDSHAKE', `the TLS handshake with ${where} failed: ${e.reason ?? message}`);
  }
  return new CertflowError('REMOTE_FAILED', `could not inspect ${where}: ${message}`);
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
