/**
 * The run id every service a run creates is marked with. The runner's config sets it once, in
 * DRVCYCLE_RUN_ID, so the workers Playwright starts inherit the same id. This module reads and sets
 * it; the one other writer is `drvcycle resume` (src/cli/resume-command.ts), which hands the resumed run
 * its id. A run id names folders and files of the reports folder
 * (verdicts.d/<run id>/, resume-<run id>.txt), so one that is not 1-40 letters, digits or dashes
 * is refused wherever it comes from.
 */
import { randomInt } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';
import { checkedRunId, newRunId } from '../core/run-id.ts';
import {
  BASELINE_DRIVER_ENV,
  COMPARE_CYCLES_ENV,
  DRIVER_ENV,
  LEAK_THRESHOLD_ENV,
  NUMBER_OPTIONS,
} from './settings.ts';

export const RUN_ID_ENV = 'DRVCYCLE_RUN_ID';
/**
 * The run's seed: an unsigned 32-bit number drawn as the run starts (or given, to rerun with the
 * same one), inherited by the workers, recorded in run.json and in every failed verdict's repro
 * record, and the seed of whatever drvcycle draws at random for the run.
 */
export const SEED_ENV = 'DRVCYCLE_SEED';

/** The run's id, made now when this process is the first to ask (the runner's config). */
export function ensureRunId(env: NodeJS.ProcessEnv = process.env): string {
  env[RUN_ID_ENV] ||= newRunId();
  return checkedRunId(env[RUN_ID_ENV], RUN_ID_ENV);
}

export function currentRunId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const runId = env[RUN_ID_ENV] || undefined;
  return runId === undefined ? undefined : checkedRunId(runId, RUN_ID_ENV);
}

/** The run's seed, drawn now when this process is the first to ask (the runner's config). */
export function ensureRunSeed(env: NodeJS.ProcessEnv = process.env): number {
  env[SEED_ENV] ||= String(randomInt(0, 2 ** 32));
  return runSeed(env)!;
}

export function runSeed(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[SEED_ENV];
  if (raw === undefined || raw === '') return undefined;
  const seed = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(seed) || seed >= 2 ** 32)
    throw new ConfigError(
      `${SEED_ENV}=${raw} is not a seed: a seed is a whole number from 0 to 4294967295.`,
      `Give the seed a failed verdict's repro record names, or leave ${SEED_ENV} unset (a run draws one).`,
    );
  return seed;
}

/** The environment variables that change what a run does, recorded for its resume (no token). */
export const RECORDED_SETTINGS: readonly string[] = [
  ...NUMBER_OPTIONS.map((option) => option.env),
  ...Object.values(DRIVER_ENV),
  LEAK_THRESHOLD_ENV,
  SEED_ENV,
  BASELINE_DRIVER_ENV,
  COMPARE_CYCLES_ENV,
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

/** The recorded settings this process has, by name (what run.json and a repro record keep). */
export function recordedSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    RECORDED_SETTINGS.flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
}
