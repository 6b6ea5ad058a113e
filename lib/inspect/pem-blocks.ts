/**
 * The one PEM scanner: blocks of a text, certificates of a chain text, DER to PEM. No
 * dependency beyond Node, so light modules (keys, ACME, serving) can use it without loading
 * the parsers that pem.ts classifies binary input with.
 */
import { CertflowError } from '../errors';
import { INPUT_LIMITS } from '../limits';

/** One PEM block as found in a text. */
export interface PemBlock {
  label: string;
  /** What lies between the BEGIN and END lines (headers and base64). */
  body: string;
  /** The whole block, BEGIN line to END line. */
  text: string;
  /** The label on the END line (differs from `label` in a damaged text). */
  endLabel: string;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const PEM_LABEL = /^[A-Z0-9 #]{1,64}$/;

/**
 * The PEM blocks of a text, in one pass (indexOf, no backtracking regex: a text of many BEGIN
 * lines and no END must cost linear time). Each BEGIN pairs with the next END; a BEGIN before it
 * means a cut-off block, reported through `cutOff` (with the text from that BEGIN on).
 */
export function scanPem(text: string): { blocks: PemBlock[]; cutOff?: string } {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, at);
    if (begin < 0) break;
    const labelEnd = text.indexOf('-----', begin + BEGIN.length);
    const label = labelEnd < 0 ? '' : text.slice(begin + BEGIN.length, labelEnd);
    if (!PEM_LABEL.test(label)) return { blocks, cutOff: text.slice(begin, begin + 200) };
    const bodyStart = labelEnd + 5;
    const nextBegin = text.indexOf(BEGIN, bodyStart);
    const end = text.indexOf(END, bodyStart);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) return { blocks, cutOff: text.slice(begin, begin + 200) };
    const endLabelEnd = text.indexOf('-----', end + END.length);
    const endLabel = endLabelEnd < 0 ? '' : text.slice(end + END.length, endLabelEnd);
    if (!PEM_LABEL.test(endLabel)) return { blocks, cutOff: text.slice(begin, begin + 200) };
    const blockEnd = endLabelEnd + 5;
    blocks.push({ label, body: text.slice(bodyStart, end), text: text.slice(begin, blockEnd), endLabel });
    at = blockEnd;
    if (blocks.length > INPUT_LIMITS.items) {
      throw new CertflowError('INPUT_TOO_LARGE', `the input holds more than ${INPUT_LIMITS.items} PEM blocks: split it`, {
        limit: INPUT_LIMITS.items,
      });
    }
  }
  return { blocks };
}

/**
 * The CERTIFICATE blocks of a PEM text (a chain, a fullchain), in order, each ending with one
 * newline. Other blocks are skipped; a cut-off block ends the list.
 */
export function certificateBlocks(text: string): string[] {
  return scanPem(text)
    .blocks.filter((block) => block.label === 'CERTIFICATE')
    .map((block) => `${block.text}\n`);
}

/** DER bytes as PEM with 64-character lines. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
