/**
 * Shrinking a failure to the least that still reproduces it, over a probe that may be flaky: a
 * probe is repeated up to `repeats` times and counts as failing as soon as one repetition fails
 * (an intermittent failure that shows once is there), as passing only when every repetition
 * passed. Two searches: the fewest cycles from a fresh start (a binary search below a count known
 * to fail), and the smallest subset of a list (Zeller's ddmin, for an I/O table's operations).
 * Both stop at a probe budget and say whether they finished.
 */

/** Runs the thing once; true when it failed (the same failure as the one being shrunk). */
export type Probe<T> = (candidate: T) => Promise<boolean>;

export interface ShrinkOptions {
  /** Repetitions of a probe before it counts as passing (≥ 1). */
  readonly repeats: number;
  /** Most probe runs in all (repetitions included); past it the search stops where it is. */
  readonly maxRuns: number;
  /** Another budget (time): true stops the search before its next run. */
  readonly spent?: () => boolean;
}

export interface ProbeLog<T> {
  readonly candidate: T;
  readonly failed: boolean;
  /** Repetitions run (a failing probe stops at its first failure). */
  readonly runs: number;
}

export interface ShrinkResult<T> {
  /** The least candidate seen to fail. */
  readonly smallest: T;
  /** False when the budget ran out before the search could prove nothing smaller fails. */
  readonly complete: boolean;
  readonly runs: number;
  readonly probes: readonly ProbeLog<T>[];
}

function checkOptions(options: ShrinkOptions): void {
  if (!Number.isInteger(options.repeats) || options.repeats < 1)
    throw new RangeError(`repeats must be a whole number ≥ 1 (got ${options.repeats})`);
  if (!Number.isInteger(options.maxRuns) || options.maxRuns < 1)
    throw new RangeError(`maxRuns must be a whole number ≥ 1 (got ${options.maxRuns})`);
}

class BudgetSpent extends Error {}

/** A probe repeated until it fails or has passed `repeats` times, within a shared run budget. */
function repeated<T>(probe: Probe<T>, options: ShrinkOptions) {
  const probes: ProbeLog<T>[] = [];
  let runs = 0;
  return {
    probes,
    runs: () => runs,
    async fails(candidate: T): Promise<boolean> {
      for (let i = 0; i < options.repeats; i++) {
        if (runs >= options.maxRuns || options.spent?.()) throw new BudgetSpent();
        runs++;
        if (await probe(candidate)) {
          probes.push({ candidate, failed: true, runs: i + 1 });
          return true;
        }
      }
      probes.push({ candidate, failed: false, runs: options.repeats });
      return false;
    },
  };
}

/**
 * The fewest cycles from a fresh start that still fail, below `failingCount` (known to fail): a
 * binary search, which assumes more cycles never make the failure less likely. For a failure that
 * strikes at random (any cycle alike) the answer is the shortest run seen to fail, no more.
 */
export async function shortestFailingCount(
  failingCount: number,
  probe: Probe<number>,
  options: ShrinkOptions,
): Promise<ShrinkResult<number>> {
  checkOptions(options);
  if (!Number.isInteger(failingCount) || failingCount < 1)
    throw new RangeError(`failingCount must be a whole number ≥ 1 (got ${failingCount})`);
  const search = repeated(probe, options);
  // Invariant: `high` fails; every count below `low` was seen to pass (or is 0).
  let low = 1;
  let high = failingCount;
  let complete = true;
  try {
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (await search.fails(mid)) high = mid;
      else low = mid + 1;
    }
  } catch (error) {
    if (!(error instanceof BudgetSpent)) throw error;
    complete = false;
  }
  return { smallest: high, complete, runs: search.runs(), probes: search.probes };
}

/**
 * Zeller and Hildebrandt's ddmin: a subset of `items` (order kept) that still fails and from which
 * no single chunk at the finest granularity tried can be removed. `items` must fail as a whole.
 */
export async function ddmin<T>(
  items: readonly T[],
  probe: Probe<readonly T[]>,
  options: ShrinkOptions,
): Promise<ShrinkResult<readonly T[]>> {
  checkOptions(options);
  const search = repeated(probe, options);
  let current = [...items];
  let granularity = 2;
  let complete = true;
  try {
    while (current.length >= 2) {
      const chunks = split(current, granularity);
      let reduced = false;
      // Reduce to a chunk…
      for (const chunk of chunks)
        if (await search.fails(chunk)) {
          current = chunk;
          granularity = 2;
          reduced = true;
          break;
        }
      // …or to a complement (with two chunks the complements are the chunks themselves).
      if (!reduced && granularity > 2)
        for (let i = 0; i < chunks.length; i++) {
          const complement = chunks.filter((_, j) => j !== i).flat();
          if (await search.fails(complement)) {
            current = complement;
            granularity = Math.max(granularity - 1, 2);
            reduced = true;
            break;
          }
        }
      if (reduced) continue;
      if (granularity >= current.length) break;
      granularity = Math.min(granularity * 2, current.length);
    }
    // A single item may still be removable to nothing only if the empty set fails: not a subset
    // worth reporting (nothing to run), so one item is the floor.
  } catch (error) {
    if (!(error instanceof BudgetSpent)) throw error;
    complete = false;
  }
  return { smallest: current, complete, runs: search.runs(), probes: search.probes };
}

/** `items` in `n` chunks of near-equal size, order kept. */
function split<T>(items: readonly T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks.filter((c) => c.length > 0);
}
