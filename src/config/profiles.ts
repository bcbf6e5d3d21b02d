/**
 * The three uses of drvcycle, as a `profile` a project sets in `use`:
 *  - dev: one driver, few cycles, a first verdict in well under a minute;
 *  - nightly: every driver of the manifest, many cycles, a soak by duration;
 *  - certify: a fixed, strict suite. Its numbers can be made stricter in playwright.config.ts but
 *    never looser, and no environment variable changes them (a certification is the same
 *    certification whoever runs it).
 */
import { ConfigError } from '../core/errors.ts';
import { DEFAULT_BYTE_THRESHOLDS, type LeakThresholds } from '../core/leak-decision.ts';

export const PROFILES = ['dev', 'nightly', 'certify'] as const;
export type Profile = (typeof PROFILES)[number];

export interface ProfileNumbers {
  readonly cycles: number;
  readonly leakCycles: number;
  readonly soakSeconds: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  /** A memory sample after every k-th unload (for certify: the most it may be, and never 0). */
  readonly sampleEvery: number;
  readonly errorPathStopTimeoutMs: number;
}

/** Each profile's defaults (for certify: its floor, or ceiling for bounds and thresholds). */
export const PROFILE_DEFAULTS: Record<Profile, ProfileNumbers> = {
  dev: {
    cycles: 20,
    leakCycles: 40,
    soakSeconds: 0,
    startTimeoutMs: 30_000,
    stopTimeoutMs: 30_000,
    sampleEvery: 10,
    errorPathStopTimeoutMs: 5_000,
  },
  nightly: {
    cycles: 2_000,
    leakCycles: 1_000,
    soakSeconds: 30 * 60,
    startTimeoutMs: 30_000,
    stopTimeoutMs: 30_000,
    sampleEvery: 10,
    errorPathStopTimeoutMs: 5_000,
  },
  certify: {
    cycles: 1_000,
    leakCycles: 1_000,
    soakSeconds: 10 * 60,
    startTimeoutMs: 30_000,
    stopTimeoutMs: 30_000,
    sampleEvery: 10,
    errorPathStopTimeoutMs: 5_000,
  },
};

export const CERTIFY_THRESHOLDS: LeakThresholds = DEFAULT_BYTE_THRESHOLDS;

/** Environment variables a certification ignores by refusing them: they would change its numbers. */
export const CERTIFY_LOCKED_ENV = [
  'CYCLES',
  'LEAK_CYCLES',
  'SOAK_SECONDS',
  'START_TIMEOUT_MS',
  'STOP_TIMEOUT_MS',
  'ERROR_PATH_STOP_TIMEOUT_MS',
  'SAMPLE_EVERY',
  'LEAK_THRESHOLD_BYTES',
  'DRIVER',
  'DRIVER_SERVICE',
  'DRIVER_TYPE',
  'DRIVER_GROUP',
  'DRIVER_POOL_TAGS',
] as const;

export function checkProfile(value: unknown): Profile | undefined {
  if (value === undefined) return undefined;
  if (!(PROFILES as readonly unknown[]).includes(value))
    throw new ConfigError(
      `use.profile ${JSON.stringify(value)} is not a drvcycle profile.`,
      `Use one of: ${PROFILES.join(', ')}.`,
    );
  return value as Profile;
}

/** The environment variables set that a certification refuses. */
export function lockedEnvSet(env: NodeJS.ProcessEnv): string[] {
  return CERTIFY_LOCKED_ENV.filter((name) => env[name] !== undefined && env[name] !== '');
}

export function refuseLockedEnv(env: NodeJS.ProcessEnv): void {
  const set = lockedEnvSet(env);
  if (set.length > 0)
    throw new ConfigError(
      `A certification is a fixed suite: ${set.map((name) => `${name}=${env[name]}`).join(', ')} would change it.`,
      'Unset them for the certify projects (the manifest names the driver; stricter numbers go in playwright.config.ts), or run a nightly or dev project instead.',
    );
}

interface CertifyNumbers extends ProfileNumbers {
  readonly leakThresholds: LeakThresholds;
}

/** A certify project's numbers may be stricter than the floor, never looser: which are looser. */
export function loosenedForCertify(chosen: CertifyNumbers): string[] {
  const floor = PROFILE_DEFAULTS.certify;
  const t = chosen.leakThresholds;
  const problems: string[] = [];
  const atLeast = (name: string, value: number, min: number) => {
    if (value < min) problems.push(`${name} ${value} is below the certification's ${min}`);
  };
  const atMost = (name: string, value: number, max: number) => {
    if (value > max) problems.push(`${name} ${value} is above the certification's ${max}`);
  };
  atLeast('cycles', chosen.cycles, floor.cycles);
  atLeast('leakCycles', chosen.leakCycles, floor.leakCycles);
  atLeast('soakSeconds', chosen.soakSeconds, floor.soakSeconds);
  atMost('startTimeoutMs', chosen.startTimeoutMs, floor.startTimeoutMs);
  atMost('stopTimeoutMs', chosen.stopTimeoutMs, floor.stopTimeoutMs);
  atMost('errorPathStopTimeoutMs', chosen.errorPathStopTimeoutMs, floor.errorPathStopTimeoutMs);
  if (chosen.sampleEvery === 0)
    problems.push(
      `sampleEvery 0 never samples memory between the first load and the last unload; the certification samples after every ${floor.sampleEvery}th unload at least`,
    );
  else atMost('sampleEvery', chosen.sampleEvery, floor.sampleEvery);
  atMost('leakThresholds.perCycle', t.perCycle, CERTIFY_THRESHOLDS.perCycle);
  atMost(
    'leakThresholds.residualTolerance',
    t.residualTolerance,
    CERTIFY_THRESHOLDS.residualTolerance,
  );
  atMost('leakThresholds.warmupCycles', t.warmupCycles, CERTIFY_THRESHOLDS.warmupCycles);
  atLeast('leakThresholds.minSamples', t.minSamples, CERTIFY_THRESHOLDS.minSamples);
  return problems;
}
