/**
 * The figures of a reproduction: how often the failure comes back per cycle, with a Wilson score
 * interval (right even at 0 failures or a handful, where the normal approximation gives a
 * negative lower bound or a zero-width interval), and how many cycles each failing attempt took.
 */
import { median } from './stats.ts';

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

export interface RateInterval {
  readonly failures: number;
  readonly trials: number;
  /** failures / trials (0 when no trial ran). */
  readonly rate: number;
  readonly low: number;
  readonly high: number;
  /** The interval's confidence, 0.95 for z = 1.96. */
  readonly confidence: number;
}

/**
 * The Wilson score interval for `failures` successes in `trials` Bernoulli trials:
 * (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n).
 */
export function wilsonInterval(failures: number, trials: number, z = Z_95): RateInterval {
  if (!Number.isInteger(failures) || !Number.isInteger(trials) || failures < 0 || trials < 0)
    throw new RangeError(
      `failures and trials must be whole numbers ≥ 0 (got ${failures}, ${trials})`,
    );
  if (failures > trials)
    throw new RangeError(`failures (${failures}) cannot exceed trials (${trials})`);
  const confidence = Number((2 * normalCdf(z) - 1).toFixed(4));
  if (trials === 0) return { failures, trials, rate: 0, low: 0, high: 1, confidence };
  const p = failures / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = p + z2 / (2 * trials);
  const spread = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return {
    failures,
    trials,
    rate: p,
    // Clamped: rounding can put the bound a hair outside [0, 1] at p = 0 or 1.
    low: failures === 0 ? 0 : Math.max(0, (centre - spread) / denominator),
    high: failures === trials ? 1 : Math.min(1, (centre + spread) / denominator),
    confidence,
  };
}

/** Φ(z), by the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** `1 in 500`-style reading of a rate per cycle (or attempt): `1 in 497 (3 in 1,491 cycles; 95 %: …)`. */
export function describeRate(interval: RateInterval, unit: 'cycle' | 'attempt' = 'cycle'): string {
  const trials = `${interval.trials.toLocaleString('en-US')} ${unit}${interval.trials === 1 ? '' : 's'}`;
  const oneIn = (rate: number) =>
    rate <= 0
      ? 'never'
      : rate >= 1
        ? `every ${unit}`
        : `1 in ${Math.round(1 / rate).toLocaleString('en-US')}`;
  const percent = Math.round(interval.confidence * 100);
  if (interval.failures === 0)
    return `no failure in ${trials} (${percent} %: at most ${oneIn(interval.high)})`;
  return `${oneIn(interval.rate)} (${interval.failures} in ${trials}; ${percent} %: ${oneIn(interval.low)} … ${oneIn(interval.high)})`;
}

export interface CyclesToFailure {
  readonly attempts: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median, min and max of the cycles each failing attempt ran, its failing cycle included. */
export function cyclesToFailure(cycles: readonly number[]): CyclesToFailure | undefined {
  if (cycles.length === 0) return undefined;
  for (const c of cycles)
    if (!Number.isInteger(c) || c < 1)
      throw new RangeError(`a cycle to failure is a whole number ≥ 1 (got ${c})`);
  const sorted = [...cycles].sort((a, b) => a - b);
  return {
    attempts: sorted.length,
    median: median(sorted),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}

/** The figures of a reproduction's attempts (each one from a fresh start). */
export interface ReproFigures {
  readonly attempts: number;
  /** Attempts that ended in the same failure. */
  readonly failures: number;
  /** Attempts that ended in another failure of the driver's. */
  readonly otherFailures: number;
  /** Attempts the machine or drvcycle ended (environment, error): no trial of the driver. */
  readonly inconclusive: number;
  readonly cycles: number;
  /** Per cycle when the failure has a cycle, else per attempt (a leak is decided per run). */
  readonly per: 'cycle' | 'attempt';
  readonly rate: RateInterval;
  readonly cyclesToFailure: CyclesToFailure | undefined;
}

export function reproFigures(
  attempts: readonly { cycles: number; kind: string; same: boolean }[],
  per: 'cycle' | 'attempt',
): ReproFigures {
  const counted = attempts.filter((a) => a.kind !== 'environment' && a.kind !== 'error');
  const failures = counted.filter((a) => a.same);
  const cycles = counted.reduce((sum, a) => sum + a.cycles, 0);
  return {
    attempts: attempts.length,
    failures: failures.length,
    otherFailures: counted.filter((a) => !a.same && a.kind !== 'pass').length,
    inconclusive: attempts.length - counted.length,
    cycles,
    per,
    rate: wilsonInterval(failures.length, per === 'cycle' ? cycles : counted.length),
    cyclesToFailure: cyclesToFailure(failures.map((a) => a.cycles)),
  };
}
