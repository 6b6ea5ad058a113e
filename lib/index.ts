/**
 * The domain layer as a library, for flows' function nodes and for other packages: one
 * namespace per concept (the names inside them would clash if flattened: sign and acme both
 * issue certificates). Nothing here imports Node-RED.
 */
export * as keys from './pki/keys';
export * as names from './pki/names';
export * as csr from './pki/csr';
export * as sign from './pki/sign';
export * as localCa from './pki/local-ca';
export * as pem from './inspect/pem';
export * as inspect from './inspect/inspect';
export * as chain from './inspect/chain';
export * as remote from './inspect/remote';
export * as pkcs12 from './inspect/pkcs12';
export * as limits from './limits';
export * as store from './serve/store';
export * as acme from './acme';
export { https } from './serve/settings';
export { CertflowError } from './errors';
