/**
 * The small part of Node-RED's runtime API our nodes use. Node-RED ships no TypeScript types
 * and we add no @types dependency for a handful of calls, so they are declared here once.
 */

/** A Node-RED message: anything with an optional payload; `_msgid` is set by the runtime. */
export interface NodeMessage {
  payload?: unknown;
  topic?: string;
  _msgid?: string;
  [property: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'dot' | 'ring';
  text?: string;
}

/** What a node's config carries besides its own fields. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [property: string]: unknown;
}

export type SendFunction = (msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFunction = (err?: Error) => void;

export interface Node<Credentials extends object = Record<string, string | undefined>> {
  id: string;
  type: string;
  name?: string;
  credentials: Partial<Credentials>;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus): void;
  send(msg: NodeMessage | Array<NodeMessage | null>): void;
  log(text: string): void;
  warn(text: string): void;
  error(text: string | Error, msg?: NodeMessage): void;
  context(): unknown;
}

export type EvaluateCallback = (err: Error | null, value?: unknown) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, config: NodeDef): void;
    registerType(
      type: string,
      constructor: (this: Node, config: NodeDef) => void,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: object },
    ): void;
  };
  util: {
    evaluateNodeProperty(value: unknown, type: string, node: Node, msg: NodeMessage | undefined, callback: EvaluateCallback): void;
    cloneMessage<T>(msg: T): T;
  };
  /** Message catalogue lookup in locales/<lang>/<file>.json for the calling node's file. */
  _(key: string, substitutions?: Record<string, unknown>): string;
}
