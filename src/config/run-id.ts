/**
 * The run id every service a run creates is marked with. The runner's config sets it once, in
 * DRVCYCLE_RUN_ID, so the workers Playwright starts inherit the same id; this module is the only
 * one that reads or writes that variable.
 */
import { newRunId } from '../core/run-id.ts';

export const RUN_ID_ENV = 'DRVCYCLE_RUN_ID';

/** The run's id, made now when this process is the first to ask (the runner's config). */
export function ensureRunId(env: NodeJS.ProcessEnv = process.env): string {
  env[RUN_ID_ENV] ||= newRunId();
  return env[RUN_ID_ENV];
}

export function currentRunId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[RUN_ID_ENV] || undefined;
}
