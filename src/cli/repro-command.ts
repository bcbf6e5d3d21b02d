/**
 * `drvcycle repro <reports folder> [test] [--failures N] [--attempts N] [--budget-cycles N]
 * [--budget-minutes N] [--shrink-repeats N] [--shrink-runs N] [--out folder]`: reruns a failed
 * test of a run with what its verdict recorded (the same image, checked by its SHA-256, the same
 * settings, machine kind and seed), each attempt from a fresh start, until the failure came back
 * or a budget ended; reports the failure rate (Wilson 95 %), the cycles to failure and the fewest
 * cycles from a fresh start that still fail. Exit: 0 reproduced, 1 not within the budget, 2 the
 * machine failed, 3 bad input or drvcycle's own failure.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DrvcycleError } from '../core/errors.ts';
import {
  failureSignature,
  imageChanged,
  pickFailedVerdict,
  testName,
  type ReproducibleVerdict,
} from '../core/repro-record.ts';
import { reproFigures } from '../core/repro-stats.ts';
import { newRunId } from '../core/run-id.ts';
import type { VerdictSummary } from '../core/verdict.ts';
import { machineSettingsFromEnv } from '../config/machine-settings.ts';
import { installDriverUnderTest, type DriverToInstall } from '../families/driver-under-test.ts';
import {
  describeDrivers,
  reproduceComparison,
  type CompareReproPlan,
} from '../families/repro-compare.ts';
import {
  reproduce,
  shortestFailingRun,
  smallestFailingOperations,
  type Attempt,
  type ReproBudget,
  type ReproPlan,
  type StoppedBy,
} from '../families/repro-run.ts';
import { acquireMachine } from '../machines/providers.ts';
import { driverFileFacts } from '../report/driver-file.ts';
import { isRecord, readReportJson } from '../report/read-json.ts';
import { restoreSettings } from '../report/resume-plan.ts';
import {
  outcomeOf,
  REPRO_EXIT,
  reproLines,
  writeReproReport,
  type ReproReport,
} from '../report/repro-report.ts';

export interface ReproArgs {
  readonly reportsDir: string;
  readonly test: string | undefined;
  readonly budget: ReproBudget;
  readonly shrink: { readonly repeats: number; readonly maxRuns: number };
  readonly out: string | undefined;
}

const USAGE =
  'npx drvcycle repro <reports folder> [test] [--failures 3] [--attempts 50] [--budget-cycles 20000] [--budget-minutes 30] [--shrink-repeats 3] [--shrink-runs 12] [--out folder]';

const NUMBER_FLAGS = {
  '--failures': { min: 1, fallback: 3 },
  '--attempts': { min: 1, fallback: 50 },
  '--budget-cycles': { min: 1, fallback: 20_000 },
  '--budget-minutes': { min: 1, fallback: 30 },
  '--shrink-repeats': { min: 1, fallback: 3 },
  '--shrink-runs': { min: 0, fallback: 12 },
} as const;
type NumberFlag = keyof typeof NUMBER_FLAGS;

export function parseReproArgs(args: readonly string[]): ReproArgs {
  const positional: string[] = [];
  const numbers = Object.fromEntries(
    Object.entries(NUMBER_FLAGS).map(([flag, spec]) => [flag, spec.fallback]),
  ) as Record<NumberFlag, number>;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (!flag!.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value.`, `Usage: ${USAGE}`);
    if (flag === '--out') {
      out = path.resolve(value);
      continue;
    }
    if (!(flag! in NUMBER_FLAGS))
      throw new ConfigError(`Unknown option ${flag} for drvcycle repro.`, `Usage: ${USAGE}`);
    const spec = NUMBER_FLAGS[flag as NumberFlag];
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < spec.min)
      throw new ConfigError(
        `${flag} ${value} is not allowed: it takes a whole number from ${spec.min}.`,
        `Give it a number such as ${spec.fallback} (the default).`,
      );
    numbers[flag as NumberFlag] = n;
  }
  if (positional.length === 0 || positional.length > 2)
    throw new ConfigError(
      positional.length === 0
        ? 'drvcycle repro needs the reports folder of the run that failed.'
        : `drvcycle repro takes a reports folder and at most one test name (got ${positional.length} arguments: ${positional.join(', ')}).`,
      `Usage: ${USAGE}`,
    );
  return {
    reportsDir: path.resolve(positional[0]!),
    test: positional[1],
    budget: {
      failures: numbers['--failures'],
      attempts: numbers['--attempts'],
      cycles: numbers['--budget-cycles'],
      minutes: numbers['--budget-minutes'],
    },
    shrink: { repeats: numbers['--shrink-repeats'], maxRuns: numbers['--shrink-runs'] },
    out,
  };
}

const HINT = 'Point repro at the reports folder of the run that failed (it holds verdicts.json).';

function readVerdicts(reportsDir: string): { file: string; summary: VerdictSummary } {
  if (!existsSync(reportsDir) || !statSync(reportsDir).isDirectory())
    throw new ConfigError(`${reportsDir} is not a folder.`, HINT);
  const file = path.join(reportsDir, 'verdicts.json');
  const value = readReportJson(file, HINT);
  if (value === undefined) throw new ConfigError(`${reportsDir} holds no verdicts.json.`, HINT);
  if (!isRecord(value) || !Array.isArray(value.verdicts))
    throw new ConfigError(`${file} is not a drvcycle verdicts.json.`, HINT);
  return { file, summary: value as unknown as VerdictSummary };
}

/** What the attempts run: the family of the failed test, its counts and bounds. */
export function planOf(verdict: ReproducibleVerdict, budget: ReproBudget): ReproPlan {
  const { repro } = verdict;
  const s = repro.settings;
  const common = {
    ...(repro.driver.io ? { io: repro.driver.io } : {}),
    startTimeoutMs: s.startTimeoutMs,
    stopTimeoutMs: s.stopTimeoutMs,
    sampleEvery: s.sampleEvery,
    signature: failureSignature(verdict),
  };
  switch (repro.family) {
    case 'cycles':
      return { ...common, family: 'cycles', cyclesPerAttempt: s.cycles };
    // A soak ran for a time: its attempts run cycles until the failure or the budget.
    case 'soak':
      return { ...common, family: 'cycles', cyclesPerAttempt: budget.cycles };
    case 'leaks':
      return {
        ...common,
        family: 'leaks',
        cyclesPerAttempt: s.leakCycles,
        leak: { thresholds: s.leakThresholds, poolTags: repro.driver.poolTags },
      };
    case 'compare':
      throw new ConfigError(
        `${testName(verdict)} is a comparison: its repro reruns the whole comparison (see compareReproPlanOf).`,
        "This is drvcycle's error: please report it.",
      );
    default:
      throw new ConfigError(
        `${testName(verdict)} is a${repro.family ? `n ${repro.family}` : ' team'} test: repro reruns the cycle families (cycles, soak, leaks), whose failures can come and go with the cycles.`,
        `An error-path case runs one fixed sequence: rerun it with npx playwright test --repeat-each 20 -g "${verdict.test.split(' › ').at(-1)}".`,
      );
  }
}

/** What a comparison's attempts run: both builds, the recorded compare settings and table. */
export function compareReproPlanOf(verdict: ReproducibleVerdict): CompareReproPlan {
  const { repro } = verdict;
  if (!repro.baseline || !repro.compare)
    throw new ConfigError(
      `The compare verdict of ${testName(verdict)} was recorded without its baseline build or compare settings (by a drvcycle before 0.3), so repro cannot rerun the comparison.`,
      `Run it again: ${compareCommandLine(verdict)}`,
    );
  const s = repro.settings;
  return {
    settings: repro.compare,
    startTimeoutMs: s.startTimeoutMs,
    stopTimeoutMs: s.stopTimeoutMs,
    errorPathStopTimeoutMs: s.errorPathStopTimeoutMs,
    builds: {
      baseline: { imagePath: repro.baseline.imagePath, serviceName: repro.baseline.serviceName },
      candidate: { imagePath: repro.driver.imagePath, serviceName: repro.driver.serviceName },
    },
    type: repro.driver.type as CompareReproPlan['type'],
    group: repro.driver.group,
    poolTags: repro.driver.poolTags,
    ...(repro.driver.io ? { io: repro.driver.io } : {}),
    signature: failureSignature(verdict),
  };
}

/** The compare command line that runs a comparison anew, from what its verdict recorded. */
export function compareCommandLine(verdict: ReproducibleVerdict): string {
  const { repro } = verdict;
  const quote = (v: string) => (/^[\w./:@%+=,-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const env = repro.environment;
  const fromCwd = (p: string | undefined) => (p ? path.resolve(repro.cwd, p) : undefined);
  const baseline =
    repro.baseline?.imagePath ?? fromCwd(env.BASELINE_DRIVER) ?? '<the baseline build>';
  const cycles = repro.compare?.cycles ?? env.COMPARE_CYCLES;
  const io = fromCwd(env.DRIVER_IO);
  return [
    'npx drvcycle compare --baseline',
    quote(baseline),
    '--candidate',
    quote(repro.driver.imagePath),
    ...(cycles !== undefined ? ['--cycles', String(cycles)] : []),
    ...(io ? ['--io', quote(io)] : []),
  ].join(' ');
}

function teamFiles(driver: ReproducibleVerdict['repro']['driver']) {
  return {
    ...(driver.infPath ? { inf: readFileSync(driver.infPath) } : {}),
    ...(driver.catalogPath ? { catalog: readFileSync(driver.catalogPath) } : {}),
  };
}

export async function reproCommand(argv: readonly string[]): Promise<number> {
  try {
    return await runRepro(parseReproArgs(argv));
  } catch (error) {
    // Bad input or drvcycle's own failure: 3; a machine that could not be had or failed: 2.
    // Never 1, which says the failure did not come back.
    if (!(error instanceof DrvcycleError)) {
      process.stderr.write(
        `drvcycle repro failed (drvcycle's error): ${(error as Error).stack ?? String(error)}\n`,
      );
      return REPRO_EXIT.error;
    }
    process.stderr.write(`drvcycle repro: ${error.message}\n`);
    return error instanceof ConfigError ? REPRO_EXIT.error : REPRO_EXIT.environment;
  }
}

async function runRepro(args: ReproArgs): Promise<number> {
  const { file, summary } = readVerdicts(args.reportsDir);
  const verdict = pickFailedVerdict(summary, file, args.test);
  const { repro } = verdict;
  const comparePlan = repro.family === 'compare' ? compareReproPlanOf(verdict) : undefined;
  const plan = comparePlan ? undefined : planOf(verdict, args.budget);
  // Every image the attempts load must be the one that failed (a comparison: both builds).
  for (const image of [repro.driver, ...(comparePlan ? [repro.baseline!] : [])]) {
    let now: { sha256: string } | undefined;
    try {
      now = driverFileFacts(readFileSync(image.imagePath));
    } catch {
      now = undefined;
    }
    const changed = imageChanged({ driver: image }, now);
    if (changed) throw changed;
  }

  const log = (line: string) => process.stdout.write(`${line}\n`);
  const reproId = newRunId();
  const folder = args.out ?? path.join(args.reportsDir, 'repro', reproId);
  // The failed run's machine kind and variables; what is set now wins, as for a resume.
  const restored = restoreSettings({ settings: repro.environment, args: [] }, process.env, []);
  const machineSettings = machineSettingsFromEnv({ ...process.env, ...restored.env });
  log(
    `[drvcycle] reproducing ${testName(verdict)}: ${verdict.summary.split('\n')[0]!.slice(0, 200)}`,
  );
  const what = comparePlan
    ? `against baseline ${repro.baseline!.imagePath} (SHA-256 ${repro.baseline!.sha256.slice(0, 16)}…, unchanged), whole comparisons of ${comparePlan.settings.cycles} cycles per build (bootstrap seed ${comparePlan.settings.seed})`
    : `${plan!.family} of ${plan!.cyclesPerAttempt} cycles per attempt`;
  log(
    `[drvcycle] ${repro.driver.imagePath} (SHA-256 ${repro.driver.sha256.slice(0, 16)}…, unchanged), ${what} on ${machineSettings.provider}, seed ${repro.seed}; until ${args.budget.failures} failure${args.budget.failures === 1 ? '' : 's'}, ${args.budget.attempts} attempts, ${args.budget.cycles} cycles or ${args.budget.minutes} min`,
  );
  if (machineSettings.provider === 'lab') {
    const { provisionLab } = await import('../lab/provision.ts');
    await provisionLab((line) => log(`[drvcycle] ${line}`));
  }
  mkdirSync(folder, { recursive: true });
  const startedAt = new Date();
  const started = performance.now();
  // Ctrl+C: the attempt under way is cut short (its machine released) and not counted; what ran
  // is reported and written as usual. A second Ctrl+C ends at once (the exit handler still kills
  // the machine's processes).
  let interrupted = false;
  let machine: Awaited<ReturnType<typeof acquireMachine>> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(
      `[drvcycle] ${signal}: stopping; the attempt under way is not counted, the report is written (again to end at once)`,
    );
    void machine?.release().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    machine = await acquireMachine(machineSettings, 0, reproId);
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw error;
  }
  try {
    await machine.target().cleanupStale();
    const files = teamFiles(repro.driver);
    const acquired = machine;
    const ctx = {
      machine: acquired,
      folder,
      log,
      interrupted: () => interrupted,
      install: () =>
        installDriverUnderTest(
          (image, options) => acquired.target().install(image, options),
          acquired,
          repro.driver as DriverToInstall,
          files,
        ),
    };
    // One time budget for the attempts and the search for the shortest failing run.
    const deadline = started + args.budget.minutes * 60_000;
    const run: { attempts: Attempt[]; stoppedBy: StoppedBy } = comparePlan
      ? await reproduceComparison(ctx, comparePlan, args.budget, deadline)
      : await reproduce(ctx, plan!, args.budget, deadline);
    const figures = reproFigures(
      run.attempts,
      verdict.cycle !== undefined && plan?.family === 'cycles' ? 'cycle' : 'attempt',
    );
    const outcome = outcomeOf(figures);
    let shortest: ReproReport['shortest'];
    let shortestSkipped: string | undefined;
    if (outcome !== 'reproduced') shortestSkipped = 'not searched: the failure did not come back';
    else if (!plan)
      shortestSkipped = `not searched: a comparison is decided over both builds' whole run of ${comparePlan!.settings.cycles} cycles each`;
    else if (figures.per !== 'cycle')
      shortestSkipped = `not searched: a ${plan.family} verdict is decided over the whole run of ${plan.cyclesPerAttempt} cycles`;
    else if (args.shrink.maxRuns === 0) shortestSkipped = 'not searched (--shrink-runs 0)';
    else {
      const seen = figures.cyclesToFailure!.min;
      const search = await shortestFailingRun(ctx, plan, seen, { ...args.shrink, deadline });
      shortest = {
        cycles: search.smallest,
        complete: search.complete,
        repeats: args.shrink.repeats,
        probes: search.probes,
      };
    }
    // An I/O table: the fewest of its operations that still fail, over the shortest failing run.
    let operations: ReproReport['operations'];
    const table = plan?.io;
    if (
      plan &&
      outcome === 'reproduced' &&
      table &&
      table.operations.length > 1 &&
      args.shrink.maxRuns > 0
    ) {
      const count =
        figures.per === 'cycle'
          ? (shortest?.cycles ?? figures.cyclesToFailure!.min)
          : plan.cyclesPerAttempt;
      const search = await smallestFailingOperations(ctx, { ...plan, io: table }, count, {
        ...args.shrink,
        deadline,
      });
      operations = {
        all: table.operations.map((op) => op.name),
        smallest: search.smallest,
        cycles: count,
        complete: search.complete,
        repeats: args.shrink.repeats,
        probes: search.probes,
      };
    }
    const report: ReproReport = {
      test: verdict.test,
      project: verdict.project,
      from: { reportsDir: args.reportsDir, runId: summary.runId },
      original: {
        summary: verdict.summary,
        signature: (plan ?? comparePlan!).signature,
        cycle: verdict.cycle,
      },
      record: repro,
      budget: {
        ...args.budget,
        shrinkRepeats: args.shrink.repeats,
        shrinkRuns: args.shrink.maxRuns,
      },
      stoppedBy: run.stoppedBy,
      outcome,
      figures,
      attempts: run.attempts,
      ...(shortest ? { shortest } : {}),
      ...(shortestSkipped ? { shortestSkipped } : {}),
      ...(operations ? { operations } : {}),
      ...(comparePlan ? { regressedOn: describeDrivers(run.attempts) } : {}),
      startedAt: startedAt.toISOString(),
      ms: Math.round(performance.now() - started),
    };
    const written = writeReproReport(folder, report);
    log('');
    log('drvcycle repro');
    for (const line of reproLines(report)) log(line);
    log(`report: ${written.md} (and repro.json, allure-results/ beside it)`);
    return REPRO_EXIT[outcome];
  } finally {
    await machine.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
