/**
 * tls-alpn-01 (RFC 8737; RFC 8738 section 6 for IP addresses): a TLS listener speaking only
 * `acme-tls/1`, presenting per SNI name a self-signed certificate that carries the critical
 * acmeIdentifier extension (1.3.6.1.5.5.7.1.31) = OCTET STRING(SHA-256(keyAuthorization)).
 * Open only while an order is pending; orders at the same time share it (reference counted).
 */
import { createHash, webcrypto, randomBytes } from 'node:crypto';
import * as tls from 'node:tls';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { x509 } from '../../pki/x509';
import { ipv6Nibbles } from '../../pki/ip-address';
import { derToPem } from '../../inspect/pem-blocks';
import { acquireSharedListener, type ListenerPool } from './listen';
import type { AcmeIdentifier } from '../types';

export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

/** The SNI name the CA sends: the DNS name, or for an IP the reverse-DNS name (RFC 8738). */
export function tlsAlpnServerName(id: AcmeIdentifier): string {
  if (id.type === 'dns') return id.value.toLowerCase();
  if (id.value.includes(':')) {
    return `${[...ipv6Nibbles(id.value)].reverse().join('.')}.ip6.arpa`;
  }
  return `${id.value.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** Self-signed challenge certificate for one identifier (new EC P-256 key each time). */
export async function createTlsAlpnCertificate(id: AcmeIdentifier, keyAuthorization: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const digest = createHash('sha256').update(keyAuthorization).digest();
  const acmeIdentifier = AsnConvert.serialize(new OctetString(digest));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    name: 'CN=ACME tls-alpn-01 challenge',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * 24 * 3600_000),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: id.type === 'ip' ? 'ip' : 'dns', value: id.value }]),
      new x509.Extension(ACME_IDENTIFIER_OID, true, acmeIdentifier),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: derToPem(new Uint8Array(pkcs8), 'PRIVATE KEY') };
}

export interface TlsAlpnListener {
  readonly port: number;
  /** Serves a challenge certificate for the identifier's SNI name; returns a remover. */
  add(id: AcmeIdentifier, keyAuthorization: string): Promise<() => void>;
  release(): Promise<void>;
}

const listeners: ListenerPool<Map<string, tls.SecureContext>> = new Map();

/** Opens (or joins) the tls-alpn-01 listener on host:port (default 0.0.0.0:443). */
export async function startTlsAlpnListener(opts: { host?: string; port?: number } = {}): Promise<TlsAlpnListener> {
  const held = await acquireSharedListener(listeners, opts.host || '0.0.0.0', opts.port ?? 443, 'the tls-alpn-01 listener', () => {
    const contexts = new Map<string, tls.SecureContext>();
    const server = tls.createServer({
      ALPNProtocols: [ACME_TLS_ALPN_PROTOCOL],
      SNICallback: (servername, cb) => {
        const ctx = contexts.get(servername.toLowerCase());
        if (ctx) cb(null, ctx);
        else cb(new Error(`no tls-alpn-01 challenge for ${servername}`), undefined);
      },
    });
    // the validator closes the connection after the handshake; nothing to serve
    server.on('secureConnection', (socket) => socket.end());
    server.on('tlsClientError', () => undefined);
    return { server, state: contexts };
  });
  const contexts = held.state;
  return {
    port: held.port,
    async add(id, keyAuthorization) {
      const { certPem, keyPem } = await createTlsAlpnCertificate(id, keyAuthorization);
      const name = tlsAlpnServerName(id);
      const ctx = tls.createSecureContext({ cert: certPem, key: keyPem });
      contexts.set(name, ctx);
      return () => {
        if (contexts.get(name) === ctx) contexts.delete(name);
      };
    },
    release: () => held.release(),
  };
}
