/**
 * pki/: making keys and certificates, no network and no storage.
 *
 *   keys.ts              generate, load, describe and match private/public keys (node:crypto)
 *   names.ts             alternative names: DNS names, IP addresses, e-mails, URIs, validated
 *   ip-address.ts        one written form of an IP address (RFC 5952), from text or certificate bytes
 *   csr.ts               certificate signing requests: create, parse, verify
 *   sign.ts              self-signed, CA and CSR-signed certificates (+ sign-caches.ts: parsed CAs, loaded keys)
 *   name-constraints.ts  RFC 5280 name constraints: encode, read, check names against them
 *   local-ca.ts          the userDir's local CA and its leaves (+ bootstrap.ts: the settings helper's first certificate)
 *   certificate-builder.ts, x509.ts, der.ts   encoding details behind sign and csr (not exported here)
 *
 * Loading this index loads @peculiar/x509: node files reach it through
 * nodes/common/lib.ts on first use (docs/ARCHITECTURE.md, "Loading").
 */
export * from './keys';
export * from './names';
export * from './ip-address';
export * from './csr';
export * from './sign';
export * from './name-constraints';
export * from './local-ca';
