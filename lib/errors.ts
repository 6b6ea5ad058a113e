/**
 * The one error type the domain throws. `message` is written for a Node-RED user (it ends up
 * in the status, the debug sidebar and Catch nodes), so it never carries key material.
 * `code` lets a flow or a test tell errors apart without parsing the text.
 */
export class CertflowError extends Error {
  readonly code: string;
  /** Extra facts for a flow (e.g. the ACME problem type); never secrets. */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertflowError';
    this.code = code;
    this.details = details;
  }
}

/** Short text for a red node status: the first sentence, at most 60 characters. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split(/(?<=[.:;])\s/)[0] ?? text;
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}
