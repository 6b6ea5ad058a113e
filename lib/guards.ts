/**
 * Small type guards for values from outside the package: JSON answers of HTTP APIs, request
 * bodies, parsed files. They check only the shape the caller reads next.
 */

/**
 * A non-null object whose fields can be read (arrays included: reading a named field of one
 * gives undefined, as it would on the untyped value).
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The value as an object to read fields from, or an empty one when it is not an object. */
export function objectOf(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

/**
 * A value from outside as text, the way String() writes it: for values that are text by
 * contract (a subject field, a query parameter) but arrive untyped.
 */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}
