/** Run ids: `20261125T203521-62bb9c`, the time the run started and a random suffix. */
import { randomBytes } from 'node:crypto';
import { ConfigError } from './errors.ts';

export const RUN_ID_PATTERN = /^[A-Za-z0-9-]{1,40}$/;

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new TypeError(`Expected a run id of 1-40 letters, digits or dashes, got "${runId}".`);
  }
}

/**
 * `runId` when it is a run id; a ConfigError saying where it came from (`from`) when not. A run id
 * names folders and files of a reports folder (verdicts.d/<run id>/, resume-<run id>.txt).
 */
export function checkedRunId(runId: unknown, from: string, hint?: string): string {
  if (typeof runId === 'string' && RUN_ID_PATTERN.test(runId)) return runId;
  throw new ConfigError(
    `${from} gives the run id ${JSON.stringify(runId)}: a run id is 1-40 letters, digits or dashes.`,
    hint ?? 'Give a run id such as nightly-1234 (or none: drvcycle makes one).',
  );
}
