/**
 * The domain layer as a library, for flows' function nodes and for other packages: one
 * namespace per concept (the names inside them would clash if flattened: sign and acme both
 * issue certificates). Nothing here imports Node-RED.
 */
export * as keys from './keys';
export * as names from './names';
export * as csr from './csr';
export * as sign from './sign';
export * as localCa from './local-ca';
export * as pem from './pem';
export * as inspect from './inspect';
export * as chain from './chain';
export * as remote from './remote';
export * as pkcs12 from './pkcs12';
export * as limits from './limits';
export * as store from './store';
export * as acme from './acme';
export { https } from './settings';
export { CertflowError } from './errors';
