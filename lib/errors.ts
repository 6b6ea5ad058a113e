/**
 * The one error type the domain throws. `message` is written for a Node-RED user (it ends up
 * in the debug sidebar and Catch nodes), so it never carries key material. `code` lets a flow
 * or a test tell errors apart without parsing the text. `status`, when given, is the short
 * sentence for the node's status (about 40 characters, naming the fix); the full message goes
 * to done(err).
 */
export class CertflowError extends Error {
  readonly code: string;
  /** Extra facts for a flow (e.g. the ACME problem type); never secrets. */
  readonly details?: Record<string, unknown>;
  /** Short status text ("no Names: enter them in the dialog"); see shortReason. */
  readonly status?: string;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown; status?: string }) {
    super(message, options);
    this.name = 'CertflowError';
    this.code = code;
    this.details = details;
    if (options?.status) this.status = options.status;
  }

  /**
   * The message alone. Node-RED builds msg.error.message for Catch nodes (and its log line)
   * from toString(): "CertflowError: could not find host..." would put a class name in front of
   * a sentence meant for the user.
   */
  override toString(): string {
    return this.message;
  }
}

/** About as long as a node status can be before the editor's workspace cuts it off. */
export const STATUS_LENGTH = 40;

/**
 * Short text for a red node status: the error's own `status` when it has one, else its message
 * up to the first sentence end, shortened at a word to about STATUS_LENGTH characters. Never
 * cut at a colon: the half after it ("... server X: connection refused") is the useful one.
 */
export function shortReason(err: unknown): string {
  if (err instanceof CertflowError && err.status) return err.status;
  const text = (err instanceof Error ? err.message : String(err)).trim();
  const first = (text.split(/(?<=[.;])\s/)[0] ?? text).replace(/[.;]$/, '');
  return shorten(first, STATUS_LENGTH);
}

/** `text` cut at a word boundary to at most `max` characters (with "..." when cut). */
export function shorten(text: string, max = STATUS_LENGTH): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 3);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,:;-]+$/, '')}...`;
}
