/**
 * Numbers from a dialog field, a msg property or context (days, a port, a timeout): a number,
 * or its plain decimal text. Number("abc") is NaN and Number("") is 0, so nothing is passed
 * to Number() that does not look like a number first.
 */
import { CertflowError } from '../../lib/errors';

export interface NumberRange {
  min: number;
  max: number;
  /** Only whole numbers (days, ports); otherwise decimals too (a timeout of 0.5 s). */
  whole: boolean;
}

/** What a refusal shows of the value: short, quoted, never an object's text. */
export type Refusal = (shown: string) => string;

// what the dialogs accept (resources/certflow-editor.js), around spaces
const WHOLE_TEXT = /^\s*\d+\s*$/;
const DECIMAL_TEXT = /^\s*\d+(\.\d+)?\s*$/;

/**
 * `value` as a number within `range`, or undefined when it is empty (undefined, null, '', only
 * spaces: the default applies). Anything else ("abc", 1.5 where a whole number is needed,
 * NaN, Infinity, an object, out of range) throws a CertflowError with `code` and the text
 * `refusal` makes.
 */
export function parseNumberSetting(value: unknown, range: NumberRange, code: string, refusal: Refusal): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  let number = NaN;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && (range.whole ? WHOLE_TEXT : DECIMAL_TEXT).test(value)) number = Number(value);
  const fits = Number.isFinite(number) && (!range.whole || Number.isInteger(number)) && number >= range.min && number <= range.max;
  if (!fits) throw new CertflowError(code, refusal(showValue(value)), { min: range.min, max: range.max });
  return number;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (Buffer.isBuffer(value)) return 'binary data';
  return value !== null && typeof value === 'object' ? 'an object' : typeof value;
}
