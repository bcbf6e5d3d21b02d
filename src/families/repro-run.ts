/**
 * `drvcycle repro`'s runs: attempts of the failed test's cycle plan, each from a fresh start (the
 * driver installed anew; a machine a crash or hang left recovered first), until the failure came
 * back often enough or a budget ended; then the search for the fewest cycles from a fresh start
 * that still fail. Every attempt's verdict is drvcycle's own, from the same cycle runner as the
 * test's (lab flakes re-run, attribution), so a repro never blames the driver where a run would not.
 */
import path from 'node:path';
import { Collector } from '../collector/collector.ts';
import type { LeakThresholds } from '../core/leak-decision.ts';
import { failureSignature } from '../core/repro-record.ts';
import { withOperations, type IoTable } from '../core/io-table.ts';
import { ddmin, shortestFailingCount, type ShrinkResult } from '../core/shrink.ts';
import type { Verdict } from '../core/verdict.ts';
import type { Machine } from '../machines/machine.ts';
import type { InstalledDriver } from '../target/types.ts';
import { runCyclePlan, type CycleFamily } from './cycle-plan.ts';

export interface ReproPlan {
  /** The family the attempts run: a soak's failure is rerun as cycles until it fails. */
  readonly family: Exclude<CycleFamily, 'soak'>;
  /** Cycles per attempt: the test's own count (cycles, leak cycles). */
  readonly cyclesPerAttempt: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly sampleEvery: number;
  readonly leak?: { readonly thresholds: LeakThresholds; readonly poolTags: readonly string[] };
  /** The test's I/O table, as its run resolved it (a drawn fuzz seed included). */
  readonly io?: IoTable | undefined;
  /** failureSignature of the verdict being reproduced. */
  readonly signature: string;
}

export interface ReproBudget {
  /** Stop once the same failure came back this many times. */
  readonly failures: number;
  readonly attempts: number;
  readonly cycles: number;
  readonly minutes: number;
}

export interface ReproContext {
  readonly machine: Machine;
  /** Installs the driver under test anew, on the machine as it is now. */
  install(): Promise<InstalledDriver>;
  /** Where attempt `name`'s records go (metrics.ndjson lines). */
  readonly folder: string;
  readonly log: (line: string) => void;
  /** Milliseconds, monotonic (performance.now); injected for tests. */
  readonly now?: () => number;
  /**
   * True once the user interrupted (Ctrl+C): no attempt starts, the one under way (cut short by
   * its machine going away) is not counted, and nothing is cleaned up or recovered after it.
   */
  readonly interrupted?: () => boolean;
}

export interface Attempt {
  readonly index: number;
  /** Cycles the attempt ran, its failing cycle included. */
  readonly cycles: number;
  readonly kind: Verdict['kind'];
  readonly summary: string;
  readonly cycle: number | undefined;
  readonly phase: Verdict['phase'];
  readonly signature: string;
  /** The same failure as the one reproduced (kind, phase, code). */
  readonly same: boolean;
  readonly ms: number;
  /** A comparison that regressed: the figure that drove it (`start latency p50`). */
  readonly drivenBy?: string;
}

export type StoppedBy = 'failures' | 'attempts' | 'cycles' | 'minutes' | 'interrupted';

/** Runs the plan once, `count` cycles from a fresh start, and returns its verdict as an attempt. */
export async function runAttempt(
  ctx: ReproContext,
  plan: ReproPlan,
  count: number,
  index: number,
  name = `attempt-${index}`,
): Promise<Attempt> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  const { machine } = ctx;
  let driver = await ctx.install();
  const collector = new Collector(path.join(ctx.folder, `${name}.ndjson`));
  let verdict: Verdict;
  try {
    verdict = await runCyclePlan(
      {
        target: machine.target(),
        machine,
        driver,
        collector,
        sampleRequest: {
          tags: plan.leak?.poolTags ?? [],
          verifierDrivers: [driver.binaryPath.split('\\').pop() ?? ''],
        },
        reinstall: async () => (driver = await ctx.install()),
      },
      {
        family: plan.family,
        count,
        startTimeoutMs: plan.startTimeoutMs,
        stopTimeoutMs: plan.stopTimeoutMs,
        sampleEvery: plan.sampleEvery,
        ...(plan.leak ? { leak: plan.leak } : {}),
        ...(plan.io ? { io: plan.io } : {}),
      },
    );
  } finally {
    collector.close();
  }
  // The next attempt starts fresh: nothing of this one's driver, a machine a crash or hang left
  // (or one that stopped answering) recovered. Interrupted: the machine is going away anyway.
  const dirty =
    verdict.kind === 'crash' || verdict.kind === 'hang' || verdict.kind === 'environment';
  if (ctx.interrupted?.()) {
    // nothing to clean: the machine is being released
  } else if (!dirty)
    await machine
      .target()
      .uninstall(driver, { timeoutMs: plan.stopTimeoutMs })
      .catch(() => machine.recover(`${name}: the driver could not be removed`));
  else await machine.recover(`${name} ended ${verdict.kind}`);
  const signature = verdict.kind === 'pass' ? 'pass' : failureSignature(verdict);
  return {
    index,
    cycles: verdict.cycle ?? collector.cycles,
    kind: verdict.kind,
    summary: verdict.summary,
    cycle: verdict.cycle,
    phase: verdict.phase,
    signature,
    same: signature === plan.signature,
    ms: Math.round(now() - started),
  };
}

/** An attempt's error after an interrupt is the interrupt's doing (undefined); before, it is thrown. */
function interruptedOr(ctx: ReproContext) {
  return (error: unknown): undefined => {
    if (ctx.interrupted?.()) return undefined;
    throw error;
  };
}

/** Attempts until the failure came back `budget.failures` times or a budget ended. */
export async function reproduce(
  ctx: ReproContext,
  plan: ReproPlan,
  budget: ReproBudget,
  /** performance.now() time the budget's minutes end. */
  deadline: number,
): Promise<{ attempts: Attempt[]; stoppedBy: StoppedBy; ms: number }> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  const attempts: Attempt[] = [];
  let cycles = 0;
  let ms = 0;
  for (;;) {
    const same = attempts.filter((a) => a.same).length;
    if (same >= budget.failures) return { attempts, stoppedBy: 'failures', ms: now() - started };
    if (attempts.length >= budget.attempts)
      return { attempts, stoppedBy: 'attempts', ms: now() - started };
    if (cycles >= budget.cycles) return { attempts, stoppedBy: 'cycles', ms: now() - started };
    const left = deadline - now();
    if (left <= 0) return { attempts, stoppedBy: 'minutes', ms: now() - started };
    if (ctx.interrupted?.()) return { attempts, stoppedBy: 'interrupted', ms: now() - started };
    // An attempt is cut to what the budgets leave, its time estimated from the cycles so far.
    const perCycle = cycles > 0 ? ms / cycles : undefined;
    const count = Math.max(
      1,
      Math.min(
        plan.cyclesPerAttempt,
        budget.cycles - cycles,
        perCycle ? Math.floor(left / perCycle) : Infinity,
      ),
    );
    // Its machine went away under it because of an interrupt: no result, no failure.
    const attempt = await runAttempt(ctx, plan, count, attempts.length + 1).catch(
      interruptedOr(ctx),
    );
    // An attempt the interrupt cut short says nothing about the driver.
    if (!attempt || ctx.interrupted?.())
      return { attempts, stoppedBy: 'interrupted', ms: now() - started };
    attempts.push(attempt);
    cycles += attempt.cycles;
    ms += attempt.ms;
    ctx.log(
      `[drvcycle] attempt ${attempt.index}: ${attempt.summary.split('\n')[0]!.slice(0, 200)}${attempt.kind !== 'pass' && !attempt.same ? ' (a different failure)' : ''}`,
    );
  }
}

/**
 * The fewest cycles from a fresh start that still end in the same failure, searched below the
 * shortest failing attempt, each probe repeated `repeats` times (a failure that shows once counts).
 */
export async function shortestFailingRun(
  ctx: ReproContext,
  plan: ReproPlan,
  shortestSeen: number,
  options: { repeats: number; maxRuns: number; deadline: number },
): Promise<ShrinkResult<number>> {
  const now = ctx.now ?? (() => performance.now());
  let run = 0;
  return shortestFailingCount(
    shortestSeen,
    async (count) => {
      run++;
      const attempt = await runAttempt(ctx, plan, count, run, `shrink-${run}-${count}`).catch(
        interruptedOr(ctx),
      );
      // Cut short by an interrupt: no answer (the search stops before its next run).
      if (!attempt) return false;
      ctx.log(
        `[drvcycle] shortest run: ${count} cycle${count === 1 ? '' : 's'} from a fresh start ${attempt.same ? 'failed the same way' : attempt.kind === 'pass' ? 'passed' : `ended ${attempt.signature}`}`,
      );
      return attempt.same;
    },
    { ...options, spent: () => now() >= options.deadline || ctx.interrupted?.() === true },
  );
}

/**
 * The smallest set of the I/O table's operations (their order kept) that still ends in the same
 * failure: ddmin over the operations' names, each probe `count` cycles from a fresh start with the
 * table cut to those operations, repeated `repeats` times (a failure that shows once counts).
 */
export async function smallestFailingOperations(
  ctx: ReproContext,
  plan: ReproPlan & { io: IoTable },
  count: number,
  options: { repeats: number; maxRuns: number; deadline: number },
): Promise<ShrinkResult<readonly string[]>> {
  const now = ctx.now ?? (() => performance.now());
  const table = plan.io;
  let run = 0;
  return ddmin(
    table.operations.map((op) => op.name),
    async (names) => {
      run++;
      const io = withOperations(table, names);
      const attempt = await runAttempt(ctx, { ...plan, io }, count, run, `operations-${run}`).catch(
        interruptedOr(ctx),
      );
      if (!attempt) return false;
      ctx.log(
        `[drvcycle] operations ${names.join(', ')}: ${attempt.same ? 'failed the same way' : attempt.kind === 'pass' ? 'passed' : `ended ${attempt.signature}`}`,
      );
      return attempt.same;
    },
    { ...options, spent: () => now() >= options.deadline || ctx.interrupted?.() === true },
  );
}
