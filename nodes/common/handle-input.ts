/**
 * The one way certflow nodes handle a message. The handler does the work and calls `send`;
 * any error it throws (or rejects with) is reported with `done(err)` so Catch nodes receive it
 * with the original msg (`msg.error.message`), and the status turns to a red ring with a
 * short reason. Nothing is kept from a failed message, so the next one starts clean.
 * A msg refused for nesting too deep loses that property first: Node-RED's own copy of the msg
 * for Catch nodes would overflow the stack on it.
 */
import { CertflowError } from '../../lib/errors';
import { dropTooDeepProperties } from './input-limits';
import type { Node, NodeMessage, SendFunction } from './node-red';
import { statusError } from './status';

export type InputHandler = (msg: NodeMessage, send: SendFunction) => Promise<void>;

export function handleInput(node: Node, handler: InputHandler): void {
  node.on('input', (msg, send, done) => {
    // Promise.resolve().then(...) also turns a synchronous throw into a rejection.
    Promise.resolve()
      .then(() => handler(msg, send))
      .then(
        () => done(),
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          statusError(node, error);
          if (error instanceof CertflowError && error.code === 'INPUT_TOO_DEEP') dropTooDeepProperties(msg);
          done(error);
        },
      );
  });
}
