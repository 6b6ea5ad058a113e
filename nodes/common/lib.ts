/**
 * lib/'s folders for node files, loaded on first use. Node-RED requires every node file at
 * start, deployed or not, and in CommonJS a folder's index requires the whole folder: pki/,
 * inspect/ and acme/ bring @peculiar/x509, node-forge and acme-client. So node files
 * import only types from lib/ at the top and call these where the work is: in a node's
 * constructor, an input handler or an admin route (docs/ARCHITECTURE.md, "Loading").
 * `npm test` checks it: test/nodes/light-start.test.js.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a require inside a function is the lazy import CommonJS has */
type Pki = typeof import('../../lib/pki');
type Inspect = typeof import('../../lib/inspect');
type Acme = typeof import('../../lib/acme');
type AcmeDns = typeof import('../../lib/acme/dns');
type Serve = typeof import('../../lib/serve');
type Storage = typeof import('../../lib/storage');

/** Keys, names, CSRs, signing, the local CA. */
export const loadPki = (): Pki => require('../../lib/pki') as Pki;
/** Decoding input, certificate facts, chains, remote servers, PKCS#12. */
export const loadInspect = (): Inspect => require('../../lib/inspect') as Inspect;
/** The ACME client side: accounts, orders, challenges, renewal. */
export const loadAcme = (): Acme => require('../../lib/acme') as Acme;
/** DNS providers for dns-01. */
export const loadAcmeDns = (): AcmeDns => require('../../lib/acme/dns') as AcmeDns;
/** Serving: the store of a served certificate, reconcile, watch. */
export const loadServe = (): Serve => require('../../lib/serve') as Serve;
/** The storage layer (light, but loaded the same way so a start reads no lib/ folder). */
export const loadStorage = (): Storage => require('../../lib/storage') as Storage;
