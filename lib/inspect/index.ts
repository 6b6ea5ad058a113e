/**
 * inspect/: what a certificate, chain, CSR, key or PKCS#12 file says, and whether it is healthy.
 *
 *   pem-blocks.ts          the one PEM scanner (blocks, certificate blocks, DER to PEM); no dependency
 *   pem.ts                 any input (PEM, DER, base64, a bundle object, PKCS#12) into typed items
 *   asn1-tree.ts           walking a decoded DER tree with a tag check at every step
 *   certificate-facts.ts   one certificate's facts (CertificateInfo), from distinguished-name.ts,
 *                          public-key-facts.ts and extension-facts.ts
 *   chain.ts               order, signatures and trust of a chain; trust-anchors.ts: which roots count
 *   health-checks.ts       host name match and warnings (weak key, SHA-1, long life, expiring soon)
 *   summary.ts             the one-line summary of a result
 *   inspect.ts             inspect(): all of the above for one input
 *   remote.ts              a live server's chain over TLS, inspected
 *   pkcs12.ts, pbe.ts      reading and writing .p12/.pfx files (node-forge for ASN.1 only)
 *
 * Loading this index loads node-forge and @peculiar/x509: node files reach it through
 * nodes/common/lib.ts on first use (docs/ARCHITECTURE.md, "Loading").
 */
export { inspect, inspectCertificate, parseCertificate } from './inspect';
export type { InspectOptions, InspectChecks, InspectKind, InspectResult, CertificateInfo, ParsedCertificate, PublicKeyInfo } from './inspect';
export { analyzeChain, isSelfIssued, TrustAnchorSet } from './chain';
export type { ChainCertificate, ChainLink, ChainReport, TrustAnchor, AnchorSource } from './chain';
export { decodeInput, certificatesFrom, certificateItems, wrongKind, KIND_WORDS, scanPem, certificateBlocks, derToPem } from './pem';
export type { InputKind, DecodedItem, DecodeOptions, PemBlock } from './pem';
export { inspectRemote } from './remote';
export type { RemoteOptions, TlsInfo, RemoteInspectResult } from './remote';
export { exportPkcs12, importPkcs12 } from './pkcs12';
export type { ExportPkcs12Options, Pkcs12Content } from './pkcs12';
