/**
 * The run id every service a run creates is marked with. The runner's config sets it once, in
 * DRVCYCLE_RUN_ID, so the workers Playwright starts inherit the same id; this module is the only
 * one that reads or writes that variable. A run id names folders and files of the reports folder
 * (verdicts.d/<run id>/, resume-<run id>.txt), so one that is not 1-40 letters, digits or dashes
 * is refused wherever it comes from.
 */
import { ConfigError } from '../core/errors.ts';
import { newRunId, RUN_ID_PATTERN } from '../core/run-id.ts';

export const RUN_ID_ENV = 'DRVCYCLE_RUN_ID';

/** `runId` when it is a run id; a ConfigError saying where it came from (`from`) when not. */
export function checkedRunId(runId: unknown, from: string, hint?: string): string {
  if (typeof runId === 'string' && RUN_ID_PATTERN.test(runId)) return runId;
  throw new ConfigError(
    `${from} gives the run id ${JSON.stringify(runId)}: a run id is 1-40 letters, digits or dashes.`,
    hint ?? `Give a run id such as nightly-1234 (or none: drvcycle makes one).`,
  );
}

/** The run's id, made now when this process is the first to ask (the runner's config). */
export function ensureRunId(env: NodeJS.ProcessEnv = process.env): string {
  env[RUN_ID_ENV] ||= newRunId();
  return checkedRunId(env[RUN_ID_ENV], RUN_ID_ENV);
}

export function currentRunId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const runId = env[RUN_ID_ENV] || undefined;
  return runId === undefined ? undefined : checkedRunId(runId, RUN_ID_ENV);
}
