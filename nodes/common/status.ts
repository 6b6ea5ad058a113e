/**
 * Node status conventions shared by every certflow node:
 *   blue dot  = working on it (`generating key`),
 *   green dot = done, with the one fact that matters (`EC P-256`, `expires in 61 days`),
 *   yellow dot = done, but look at it (`expires in 5 days`),
 *   red dot   = done, and what was checked has a problem (`expired 3 days ago`),
 *   red ring  = the last message failed, with a short reason (never key material).
 */
import { CertflowError, shortReason } from '../../lib/errors';
import type { Node } from './node-red';

export function statusProgress(node: Node, text: string): void {
  node.status({ fill: 'blue', shape: 'dot', text });
}

export function statusOk(node: Node, text: string): void {
  node.status({ fill: 'green', shape: 'dot', text });
}

export function statusWarning(node: Node, text: string): void {
  node.status({ fill: 'yellow', shape: 'dot', text });
}

export function statusProblem(node: Node, text: string): void {
  node.status({ fill: 'red', shape: 'dot', text });
}

/**
 * The status for the errors a newcomer meets first: what is wrong and the fix, in about 40
 * characters (the workspace shows no more). The whole message goes to done(err), where the
 * Debug sidebar and Catch nodes show it.
 */
const STATUS_BY_CODE: Record<string, string> = {
  ACME_NO_IDENTIFIERS: 'no Names: enter them in the dialog',
  ACME_NO_ACCOUNT: 'no account: choose one in the dialog',
  ACME_UNREACHABLE: 'CA unreachable: check network and DNS',
  ACME_TLS_UNTRUSTED: "CA's TLS untrusted: add its CA to account",
  ACME_RATE_LIMITED: 'rate limited: wait, or use staging',
  ACME_EAB_REQUIRED: 'CA needs EAB: enter it in the account',
  ACME_EAB_INCOMPLETE: 'EAB incomplete: check the account',
  ACME_NO_DNS_PROVIDER: 'no DNS provider: choose one in dialog',
  ACME_DNS_FLOW_TIMEOUT: 'no dns-01 reply: wire output 2 back in',
  ACME_PORT_IN_USE: 'port in use: choose another port',
  ACME_WEBROOT_MISSING: 'no webroot folder: check the path',
  ACME_CHALLENGE_FAILED: 'CA check failed: see Debug for why',
  ACME_AUTHZ_INVALID: 'CA check failed: see Debug for why',
  ACME_NO_KEY: 'no key in msg: send a key or a CSR',
  KEY_MISSING: 'no key: send one in msg.payload.key',
  KEY_PASSPHRASE_WRONG: 'wrong passphrase: check its source',
  KEY_PASSPHRASE_REQUIRED: 'key is encrypted: set its passphrase',
  PASSPHRASE_MISSING: 'no passphrase: set one, or pick none',
  CSR_MISSING: 'no CSR: send one in msg.payload.csr',
  CSR_NO_NAMES: 'no names: enter a CN or other names',
  CERT_NO_NAMES: 'no names: enter a CN or other names',
  CA_SUBJECT_MISSING: 'no CA name: enter a CN or organization',
  CA_KEY_MISSING: 'no CA key: make the CA first',
  CA_CERT_MISSING: 'no CA certificate: make the CA first',
  CA_KEY_MISMATCH: 'CA key mismatch: give the key of the CA',
  CA_EXPIRED: 'the CA has expired: make a new one',
  CA_NOT_A_CA: 'not a CA certificate: check the CA',
  NAME_INVALID_DNS: 'bad DNS name: check the names',
  NAME_INVALID_IP: 'bad IP address: check the names',
  NAME_INVALID_EMAIL: 'bad e-mail address: check the names',
  NAME_INVALID_URI: 'bad URI: check the names',
  EMPTY_INPUT: 'empty payload: send a certificate',
  NOT_PEM: 'not PEM: check msg.payload',
  FILE_MISSING: 'no file path: set it in the dialog',
  FILE_UNREADABLE: 'cannot read the file: check the path',
  HOST_MISSING: 'no host: set it in the dialog',
  REMOTE_HOST_MISSING: 'no host: set it in the dialog',
  REMOTE_DNS: 'host not found: check the host name',
  REMOTE_REFUSED: 'connection refused: check host, port',
  REMOTE_TIMEOUT: 'no answer: check host, port, firewall',
  REMOTE_NOT_TLS: 'no TLS on that port: check the port',
  TRUST_CA_MISSING: 'no trusted CA: set it in the dialog',
  'bundle-no-key': 'no key in the bundle: send key + cert',
  'cert-expired': 'certificate expired: get a new one',
};

/** The status text for an error: its own short text, the table's, else its first sentence shortened. */
export function errorStatusText(err: unknown): string {
  if (err instanceof CertflowError && !err.status && STATUS_BY_CODE[err.code]) return STATUS_BY_CODE[err.code];
  return shortReason(err);
}

/** Red ring with a short sentence that names the fix (the full error goes to done(err)). */
export function statusError(node: Node, err: unknown): void {
  node.status({ fill: 'red', shape: 'ring', text: errorStatusText(err) });
}

export function statusClear(node: Node): void {
  node.status({});
}

/** A time for a status line: '14:05' today, 'Mar 3 14:05' on another day. */
export function shortTime(date: Date, now = new Date()): string {
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleString('en', { month: 'short' })} ${date.getDate()} ${time}`;
}
