/**
 * How many cycles the soak's next batch runs. A batch is not interrupted at the soak's deadline,
 * so a fixed batch overran it by a whole batch: 100 cycles of a driver whose start takes 2 s
 * made a 2 s soak last 203 s, and a 4 s start would have outlasted the test's timeout (the soak's
 * duration plus 5 minutes) and failed a driver that did nothing wrong. The batch is sized to the
 * time left at the pace the soak has kept so far, so it ends near its deadline whatever a cycle
 * costs.
 */

/** The most cycles in one batch: a fast driver's soak still hands its records over in batches. */
export const SOAK_BATCH_MAX = 100;

export interface SoakPace {
  /** Time the soak has run so far, batches and what the runner did between them. */
  readonly elapsedMs: number;
  /** Cycles it has run in that time. */
  readonly cycles: number;
}

/**
 * The next batch's size: the cycles that fit in `remainingMs` at the pace so far, from 1 to
 * SOAK_BATCH_MAX. Before any cycle ran there is no pace: the first batch is one cycle.
 */
export function soakBatchSize(remainingMs: number, pace: SoakPace): number {
  if (pace.cycles <= 0 || pace.elapsedMs <= 0) return 1;
  const fit = Math.ceil(remainingMs / (pace.elapsedMs / pace.cycles));
  return Math.max(1, Math.min(SOAK_BATCH_MAX, fit));
}
