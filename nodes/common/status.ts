/**
 * Node status conventions shared by every certflow node:
 *   blue dot  = working on it (`generating key`),
 *   green dot = done, with the one fact that matters (`EC P-256`, `expires in 61 days`),
 *   yellow dot = done, but look at it (`expires in 5 days`),
 *   red dot   = done, and what was checked has a problem (`expired 3 days ago`),
 *   red ring  = the last message failed, with a short reason (never key material).
 */
import { shortReason } from '../../lib/errors';
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

/** Red ring with the first sentence of the error (at most 60 characters). */
export function statusError(node: Node, err: unknown): void {
  node.status({ fill: 'red', shape: 'ring', text: shortReason(err) });
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
