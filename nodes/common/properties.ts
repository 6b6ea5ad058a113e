/**
 * Reading dialog values that may come from msg / flow / global / env / str (a TypedInput),
 * and secrets that must never be saved in the flow (credential, msg, env or context only).
 */
import { CertflowError } from '../../lib/errors';
import { textOf } from '../../lib/guards';
import { checkInputShape, MAX_SECRET_LENGTH, MAX_TEXT_LENGTH } from './input-limits';
import type { Node, NodeAPI, NodeMessage } from './node-red';
import { NumberRange, parseNumberSetting, Refusal } from './number-setting';

/** One TypedInput as it is saved in a node's config: `<name>` holds the value, `<name>Type` the type. */
export interface TypedValue {
  value: unknown;
  type: string;
}

/**
 * Evaluates a TypedInput (str, num, bool, json, msg, flow, global, env, jsonata...) with
 * Node-RED's own evaluator, so context stores (`#:(file)::key`) and nested msg paths behave as
 * users expect. Resolves to undefined when the property is not set. A value nested too deep
 * or too large to walk safely is refused here (see input-limits.ts).
 */
export async function evaluateProperty(RED: NodeAPI, node: Node, msg: NodeMessage | undefined, property: TypedValue): Promise<unknown> {
  // what the evaluator throws at once rejects the promise too (the Promise constructor catches it)
  const value = await new Promise<unknown>((resolve, reject) => {
    RED.util.evaluateNodeProperty(property.value, property.type, node, msg, (err, result) => (err ? reject(err) : resolve(result)));
  });
  checkInputShape(value, describeSource(property));
  return value;
}

/**
 * A TypedInput read as text: trimmed, Buffers decoded as UTF-8, numbers stringified.
 * Empty results give undefined, so "not set" and "set to nothing" read the same. An object or
 * a list is refused (its text would be "[object Object]"), and so is text over MAX_TEXT_LENGTH.
 */
export async function evaluateText(RED: NodeAPI, node: Node, msg: NodeMessage | undefined, property: TypedValue): Promise<string | undefined> {
  if (property.type === 'str' && (property.value === undefined || property.value === '')) return undefined;
  const value = await evaluateProperty(RED, node, msg, property);
  if (value === undefined || value === null) return undefined;
  const text = messageText(value, `${describeSource(property)}`, MAX_TEXT_LENGTH).trim();
  return text === '' ? undefined : text;
}

/**
 * A TypedInput read as a number within `range` (see number-setting.ts); undefined when not set.
 * A `num` dialog field is read as typed, so "abc" is reported as "abc", not as NaN.
 */
export async function evaluateNumber(
  RED: NodeAPI,
  node: Node,
  msg: NodeMessage | undefined,
  property: TypedValue,
  range: NumberRange,
  code: string,
  refusal: Refusal,
): Promise<number | undefined> {
  const value = property.type === 'num' || property.type === 'str' ? property.value : await evaluateProperty(RED, node, msg, property);
  return parseNumberSetting(Buffer.isBuffer(value) ? value.toString('utf8') : value, range, code, refusal);
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
      throw new CertflowError(
        'SECRET_SOURCE',
        `a secret cannot come from a "${property.type}" value: use a stored credential, msg, flow, global or env`,
      );
  }
  if (value === undefined || value === null || value === '') return undefined;
  // Only text: String() of an object is "[object Object]", and a number loses leading zeros.
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new CertflowError('SECRET_NOT_TEXT', `${secretWord(credentialName)} in ${describeSource(property)} must be text, not ${kindOf(value)}`);
  }
  const secret = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (secret.length > MAX_SECRET_LENGTH) {
    throw new CertflowError(
      'SECRET_TOO_LONG',
      `${secretWord(credentialName)} in ${describeSource(property)} must be at most ${MAX_SECRET_LENGTH} characters long`,
    );
  }
  return secret;
}

/** `value` as text for a message: strings and Buffers as they are, numbers and booleans stringified. */
function messageText(value: unknown, source: string, maxLength: number): string {
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    throw new CertflowError('TEXT_EXPECTED', `${source} must be text, not ${kindOf(value)}`);
  }
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : textOf(value);
  if (text.length > maxLength) throw new CertflowError('TEXT_TOO_LONG', `${source} must be at most ${maxLength} characters long`);
  return text;
}

/** "an object", "a list", "a number": what a wrong value is, never what it holds. */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? `a ${typeof value}` : `a ${typeof value} value`;
}

/** The words for a secret credential in an error: "the passphrase", "the CA key's passphrase". */
function secretWord(credentialName: string): string {
  if (credentialName === 'caKeyPassphrase') return "the CA key's passphrase";
  return `the ${credentialName.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`)}`;
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
      return `${property.type}.${textOf(property.value ?? '')}`;
    default:
      return 'the dialog';
  }
}
