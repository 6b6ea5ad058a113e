/**
 * Reading dialog values that may come from msg / flow / global / env / str (a TypedInput),
 * and secrets that must never be saved in the flow (credential, msg, env or context only).
 */
import { CertflowError } from '../../lib/errors';
import type { Node, NodeAPI, NodeMessage } from './node-red';

/** One TypedInput as it is saved in a node's config: `<name>` holds the value, `<name>Type` the type. */
export interface TypedValue {
  value: unknown;
  type: string;
}

/**
 * Evaluates a TypedInput (str, num, bool, json, msg, flow, global, env, jsonata...) with
 * Node-RED's own evaluator, so context stores (`#:(file)::key`) and nested msg paths behave as
 * users expect. Resolves to undefined when the property is not set.
 */
export function evaluateProperty(RED: NodeAPI, node: Node, msg: NodeMessage | undefined, property: TypedValue): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(property.value, property.type, node, msg, (err, value) => (err ? reject(err) : resolve(value)));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * A TypedInput read as text: trimmed, Buffers decoded as UTF-8, numbers stringified.
 * Empty results give undefined, so "not set" and "set to nothing" read the same.
 */
export async function evaluateText(RED: NodeAPI, node: Node, msg: NodeMessage | undefined, property: TypedValue): Promise<string | undefined> {
  if (property.type === 'str' && (property.value === undefined || property.value === '')) return undefined;
  const value = await evaluateProperty(RED, node, msg, property);
  if (value === undefined || value === null) return undefined;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return text.trim() === '' ? undefined : text.trim();
}

/**
 * A secret (passphrase, pasted key) chosen with a TypedInput whose extra types are
 *  - `none`: no secret,
 *  - `cred`: the node's credential called `credentialName` (encrypted by Node-RED, never in
 *    the flow file),
 * or msg / flow / global / env. A plain `str` is refused: it would sit in the flow file.
 * The value is returned as is (never trimmed: spaces can be part of a passphrase).
 */
export async function evaluateSecret(
  RED: NodeAPI,
  node: Node,
  msg: NodeMessage | undefined,
  property: TypedValue,
  credentialName: string,
): Promise<string | undefined> {
  let value: unknown;
  switch (property.type) {
    case undefined:
    case '':
    case 'none':
      return undefined;
    case 'cred':
      value = (node.credentials as Record<string, unknown>)[credentialName];
      break;
    case 'msg':
    case 'flow':
    case 'global':
    case 'env':
      value = await evaluateProperty(RED, node, msg, property);
      break;
    default:
      throw new CertflowError('SECRET_SOURCE', `a secret cannot come from a "${property.type}" value: use a stored credential, msg, flow, global or env`);
  }
  if (value === undefined || value === null || value === '') return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** Reads `config[name]` and `config[name + 'Type']` into a TypedValue (type defaults to `str`). */
export function typedConfig(config: Record<string, unknown>, name: string, defaultType = 'str'): TypedValue {
  const type = config[`${name}Type`];
  return { value: config[name], type: typeof type === 'string' && type !== '' ? type : defaultType };
}

/** Where a TypedInput reads from, in the words of an error message: `msg.passphrase`, `env.CA_KEY`. */
export function describeSource(property: TypedValue): string {
  switch (property.type) {
    case 'cred':
      return "the node's stored credentials";
    case 'msg':
    case 'flow':
    case 'global':
    case 'env':
      return `${property.type}.${String(property.value ?? '')}`;
    default:
      return 'the dialog';
  }
}
