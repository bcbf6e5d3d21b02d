/**
 * Does a memory series show a leak? Not a first/last difference: after the warm-up cycles, the
 * Theil–Sen slope must exceed a bytes-per-cycle threshold; and for exact signals (pool bytes that
 * belong to the driver alone) what is left after the last unload must be back at the baseline.
 */
import { mad, theilSen } from './stats.ts';

export interface MemorySample {
  readonly cycle: number;
  readonly value: number;
}

export interface LeakThresholds {
  /** Growth per cycle, in the series' unit, above which the driver leaks. */
  readonly perCycle: number;
  /** Cycles ignored at the start (caches, lookaside lists, first-load effects). */
  readonly warmupCycles: number;
  /** Samples needed after warm-up before any verdict. */
  readonly minSamples: number;
  /** For exact signals: how far above baseline the final value may end. */
  readonly residualTolerance: number;
}

export const DEFAULT_BYTE_THRESHOLDS: LeakThresholds = {
  perCycle: 64,
  warmupCycles: 5,
  minSamples: 20,
  residualTolerance: 0,
};

export interface LeakAnalysis {
  readonly verdict: 'leak' | 'clean' | 'inconclusive';
  readonly reason: string;
  readonly slopePerCycle: number;
  readonly intercept: number;
  readonly samplesUsed: number;
  readonly noise: number;
  readonly baseline: number | undefined;
  readonly residual: number | undefined;
  readonly projectedPer1000Cycles: number;
}

export function validateThresholds(t: LeakThresholds): LeakThresholds {
  for (const [key, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value < 0)
      throw new TypeError(
        `Expected leak threshold \`${key}\` to be a non-negative number, got ${value}.`,
      );
  }
  if (t.minSamples < 2)
    throw new TypeError(
      `Expected leak threshold \`minSamples\` to be at least 2, got ${t.minSamples}.`,
    );
  return t;
}

export function decideLeak(
  series: readonly MemorySample[],
  thresholds: LeakThresholds,
  options: { unit: string; exact: boolean; baseline?: number | undefined },
): LeakAnalysis {
  validateThresholds(thresholds);
  const used = series.filter((s) => s.cycle > thresholds.warmupCycles);
  const fit = theilSen(used.map((s) => ({ x: s.cycle, y: s.value })));
  const residuals = used.map((s) => s.value - (fit.intercept + fit.slope * s.cycle));
  const noise = mad(residuals);
  const last = series.at(-1);
  const residual =
    options.exact && options.baseline !== undefined && last
      ? last.value - options.baseline
      : undefined;
  const base = {
    slopePerCycle: fit.slope,
    intercept: fit.intercept,
    samplesUsed: used.length,
    noise,
    baseline: options.baseline,
    residual,
    projectedPer1000Cycles: fit.slope * 1000,
  };
  const fmt = (v: number) => `${Number.isInteger(v) ? v : v.toFixed(2)} ${options.unit}`;

  if (used.length < thresholds.minSamples) {
    return {
      ...base,
      verdict: 'inconclusive',
      reason: `only ${used.length} samples after ${thresholds.warmupCycles} warm-up cycles; ${thresholds.minSamples} needed`,
    };
  }
  if (fit.slope > thresholds.perCycle) {
    return {
      ...base,
      verdict: 'leak',
      reason: `grows ${fmt(fit.slope)} per cycle (Theil–Sen over ${used.length} samples; threshold ${fmt(thresholds.perCycle)}/cycle, noise ±${fmt(noise)})`,
    };
  }
  if (residual !== undefined && residual > thresholds.residualTolerance) {
    return {
      ...base,
      verdict: 'leak',
      reason: `${fmt(residual)} still allocated after the last unload (baseline ${fmt(options.baseline!)}, tolerance ${fmt(thresholds.residualTolerance)})`,
    };
  }
  return {
    ...base,
    verdict: 'clean',
    reason: `slope ${fmt(fit.slope)} per cycle is within ${fmt(thresholds.perCycle)}/cycle${residual !== undefined ? `; back to baseline after the last unload` : ''}`,
  };
}
