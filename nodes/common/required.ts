/**
 * Fields a node cannot work without, checked at runtime with the very table the dialogs use
 * (resources/certflow-editor.js, REQUIRED): what the editor marks invalid turns the status red
 * at deploy and refuses a message with the same sentence, and nothing else does.
 */
import * as path from 'node:path';
import { CertflowError } from '../../lib/errors';
import type { NodeAPI } from './node-red';

interface RequiredRules {
  requiredProblems(type: string, values: Record<string, unknown>): { fields: string[]; reason: string }[];
}

// dist/nodes/common/ -> the package's resources/ (shipped in the package, served to the editor)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rules = require(path.join(__dirname, '..', '..', '..', 'resources', 'certflow-editor.js')) as RequiredRules;

/**
 * The first required field of `type` that `config` leaves empty, as a CertflowError
 * (code REQUIRED_MISSING) whose message is the dialog's sentence (`<type>.validation.<reason>`)
 * and whose status is `<type>.required.<reason>`; undefined when nothing is missing.
 */
export function requiredProblem(RED: NodeAPI, type: string, config: Record<string, unknown>): CertflowError | undefined {
  const problem = rules.requiredProblems(type, config)[0];
  if (!problem) return undefined;
  return new CertflowError(
    'REQUIRED_MISSING',
    RED._(`${type}.validation.${problem.reason}`),
    { fields: problem.fields },
    { status: RED._(`${type}.required.${problem.reason}`) },
  );
}
