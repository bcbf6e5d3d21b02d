/**
 * `drvcycle repro` of a compare verdict: the comparison run again, whole, with both images (each
 * checked by its SHA-256 before), the same compare settings, bootstrap seed and I/O table, each
 * attempt from a fresh start, until it regressed again (or failed again the same way) or a budget
 * ended. A comparison is decided over both builds' whole run, so an attempt is never cut short:
 * the attempt that would not fit in what the budget leaves is not started.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Collector } from '../collector/collector.ts';
import { FIGURE_NAMES, type CompareSettings, type FigureId } from '../core/build-compare.ts';
import type { IoTable } from '../core/io-table.ts';
import { failureSignature } from '../core/repro-record.ts';
import type { Verdict } from '../core/verdict.ts';
import type { InstalledDriver } from '../target/types.ts';
import { errorPathOutcomes, runComparison, type Build } from './compare-run.ts';
import type { Install } from './driver-under-test.ts';
import type { Attempt, ReproBudget, ReproContext, StoppedBy } from './repro-run.ts';

export interface CompareReproPlan {
  readonly settings: CompareSettings;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly errorPathStopTimeoutMs: number;
  /** Each build's image on the runner and its service name. */
  readonly builds: Record<Build, { readonly imagePath: string; readonly serviceName: string }>;
  readonly type: NonNullable<Parameters<Install>[1]['type']>;
  readonly group: string | undefined;
  readonly poolTags: readonly string[];
  readonly io?: IoTable | undefined;
  /** failureSignature of the verdict being reproduced (`regression/-/-` for a regression). */
  readonly signature: string;
}

/** An attempt of a comparison: `drivenBy` names the figure that drove a regression. */
export type CompareAttempt = Attempt;

/** Runs the comparison once from a fresh start and returns its verdict as an attempt. */
export async function runComparisonAttempt(
  ctx: Omit<ReproContext, 'install'>,
  plan: CompareReproPlan,
  index: number,
): Promise<CompareAttempt> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  const { machine } = ctx;
  const target = machine.target();
  // Everything an attempt installs (both builds, the error-path cases' drivers) goes at its end.
  const installed: InstalledDriver[] = [];
  const install: Install = async (image, options) => {
    const driver = await target.install(image, options);
    installed.push(driver);
    return driver;
  };
  const files = {
    baseline: path.basename(plan.builds.baseline.imagePath),
    candidate: path.basename(plan.builds.candidate.imagePath),
  };
  const collector = new Collector(path.join(ctx.folder, `attempt-${index}.ndjson`));
  let verdict: Verdict;
  try {
    const result = await runComparison(
      {
        target,
        machine,
        collector,
        log: ctx.log,
        installBoth: async () => {
          const group = (await machine.driverHost?.(plan.group)) ?? plan.group;
          const both = {} as Record<Build, InstalledDriver>;
          for (const build of ['baseline', 'candidate'] as const)
            both[build] = await install(
              { file: plan.builds[build].imagePath },
              { name: plan.builds[build].serviceName, type: plan.type, group },
            );
          return both;
        },
        errorPaths: async (build) =>
          errorPathOutcomes(
            {
              target,
              machine,
              install,
              driverName: plan.builds[build].serviceName,
              stopTimeoutMs: plan.errorPathStopTimeoutMs,
            },
            await readFile(plan.builds[build].imagePath),
          ),
      },
      {
        settings: plan.settings,
        startTimeoutMs: plan.startTimeoutMs,
        stopTimeoutMs: plan.stopTimeoutMs,
        files,
        poolTags: plan.poolTags,
        ...(plan.io ? { io: plan.io } : {}),
      },
    );
    verdict = result.verdict;
  } finally {
    collector.close();
  }
  const dirty =
    verdict.kind === 'crash' || verdict.kind === 'hang' || verdict.kind === 'environment';
  if (ctx.interrupted?.()) {
    // nothing to clean: the machine is being released
  } else if (dirty) await machine.recover(`comparison attempt ${index} ended ${verdict.kind}`);
  else
    for (const driver of installed.reverse())
      await target
        .uninstall(driver, { timeoutMs: plan.stopTimeoutMs })
        .catch(() => machine.recover(`attempt ${index}: ${driver.name} could not be removed`));
  const signature = verdict.kind === 'pass' ? 'pass' : failureSignature(verdict);
  const drivenBy = (verdict.evidence.comparison as { drivenBy?: FigureId } | undefined)?.drivenBy;
  return {
    index,
    cycles: 2 * plan.settings.cycles,
    kind: verdict.kind,
    summary: verdict.summary,
    cycle: verdict.cycle,
    phase: verdict.phase,
    signature,
    same: signature === plan.signature,
    ms: Math.round(now() - started),
    ...(verdict.kind === 'regression' && drivenBy ? { drivenBy: FIGURE_NAMES[drivenBy] } : {}),
  };
}

/**
 * Whole comparisons until the verdict came back `budget.failures` times or a budget ended; an
 * attempt whose cycles or (estimated from the last) time would pass the budget is not started.
 */
export async function reproduceComparison(
  ctx: Omit<ReproContext, 'install'>,
  plan: CompareReproPlan,
  budget: ReproBudget,
  /** performance.now() time the budget's minutes end. */
  deadline: number,
): Promise<{ attempts: CompareAttempt[]; stoppedBy: StoppedBy; ms: number }> {
  const now = ctx.now ?? (() => performance.now());
  const started = now();
  const attempts: CompareAttempt[] = [];
  const perAttempt = 2 * plan.settings.cycles;
  let cycles = 0;
  const done = (stoppedBy: StoppedBy) => ({ attempts, stoppedBy, ms: now() - started });
  for (;;) {
    if (attempts.filter((a) => a.same).length >= budget.failures) return done('failures');
    if (attempts.length >= budget.attempts) return done('attempts');
    // The first attempt always runs (a budget smaller than one comparison still gets one).
    if (attempts.length > 0 && cycles + perAttempt > budget.cycles) return done('cycles');
    const last = attempts.at(-1)?.ms ?? 0;
    if (now() >= deadline || (attempts.length > 0 && now() + last > deadline))
      return done('minutes');
    if (ctx.interrupted?.()) return done('interrupted');
    const attempt = await runComparisonAttempt(ctx, plan, attempts.length + 1).catch(
      (error: unknown) => {
        // Its machine went away under it because of the interrupt: no result, no failure.
        if (ctx.interrupted?.()) return undefined;
        throw error;
      },
    );
    // An attempt the interrupt cut short says nothing about either build.
    if (!attempt || ctx.interrupted?.()) return done('interrupted');
    attempts.push(attempt);
    cycles += attempt.cycles;
    ctx.log(
      `[drvcycle] attempt ${attempt.index}: ${attempt.summary.split('\n')[0]!.slice(0, 200)}${attempt.kind !== 'pass' && !attempt.same ? ' (a different failure)' : ''}`,
    );
  }
}

/** `start latency p50 ×2, leak slope ×1`: which figure drove each regression, most often first. */
export function describeDrivers(attempts: readonly { drivenBy?: string | undefined }[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts)
    if (a.drivenBy) counts.set(a.drivenBy, (counts.get(a.drivenBy) ?? 0) + 1);
  return [...counts]
    .sort((x, y) => y[1] - x[1])
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
}
