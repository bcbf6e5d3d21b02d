/** Run ids: `20261125T203521-62bb9c`, the time the run started and a random suffix. */
import { randomBytes } from 'node:crypto';

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
