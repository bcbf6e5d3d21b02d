/**
 * The run id every service a run creates is marked with. The runner's config sets it once, in
 * DRVCYCLE_RUN_ID, so the workers Playwright starts inherit the same id. This module reads and sets
 * it; the one other writer is `drvcycle resume` (src/cli/resume-command.ts), which hands the resumed run
 * its id. A run id names folders and files of the reports folder
 * (verdicts.d/<run id>/, resume-<run id>.txt), so one that is not 1-40 letters, digits or dashes
 * is refused wherever it comes from.
 */
import { checkedRunId, newRunId } from '../core/run-id.ts';
import { DRIVER_ENV, LEAK_THRESHOLD_ENV, NUMBER_OPTIONS } from './settings.ts';

export const RUN_ID_ENV = 'DRVCYCLE_RUN_ID';

/** The run's id, made now when this process is the first to ask (the runner's config). */
export function ensureRunId(env: NodeJS.ProcessEnv = process.env): string {
  env[RUN_ID_ENV] ||= newRunId();
  return checkedRunId(env[RUN_ID_ENV], RUN_ID_ENV);
}

export function currentRunId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const runId = env[RUN_ID_ENV] || undefined;
  return runId === undefined ? undefined : checkedRunId(runId, RUN_ID_ENV);
}

/** The environment variables that change what a run does, recorded for its resume (no token). */
export const RECORDED_SETTINGS: readonly string[] = [
  ...NUMBER_OPTIONS.map((option) => option.env),
  ...Object.values(DRIVER_ENV),
  LEAK_THRESHOLD_ENV,
  'DRVCYCLE_MACHINE',
  'DRVCYCLE_LAB_HOST',
  'DRVCYCLE_AGENTS',
  'DRVCYCLE_AGENTS_FILE',
  'DRVCYCLE_AGENT_TOKEN_FILE',
  'DRVCYCLE_AGENT_FINGERPRINT',
  'DRVCYCLE_VMS',
  'DRVCYCLE_SNAPSHOT',
  'DRVCYCLE_CONSOLE_LOG',
  'DRVCYCLE_POWERSHELL',
  'DRVCYCLE_LIBVIRT_URI',
];
