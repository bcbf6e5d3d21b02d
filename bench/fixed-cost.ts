/**
 * The cost around the cycles, measured with whole `playwright test` runs on the lab as a user
 * starts them, each with its own reports folder and run id; the before/after pairs alternate in
 * one bench run (this shared machine's speed drifts between minutes):
 *  (a) fixed cost per test: the clean sample, 6 tests of 10 and of 60 cycles on one worker
 *      (bench/fixed-cost-tests.spec.ts); the marginal cycle is (median(60) − median(10)) / 50 and a test's fixed cost its
 *      time minus its cycles × that. The first test of a worker also boots its machine.
 *  (b) tests that leave their machine dirty (the self-check spec: hang, crash in unload, no
 *      DriverUnload), DRVCYCLE_MACHINES_PER_WORKER=1 (reverted in place, the old way) against 2
 *      (swapped for a standby machine, reverted in the background);
 *  (c) the `dev` project's first verdict (from the command's start to the moment the runner has the
 *      first test's outcome: bench/test-ends-reporter.ts), and
 *  (d) the `lab` project (what `npm run lab` runs), wall time on 2 workers; both modes each.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../src/core/child-process.ts';
import { median } from '../src/core/stats.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { LabMachine } from '../src/machines/lab.ts';

interface TestRun {
  readonly title: string;
  readonly status: string;
  readonly workerIndex: number;
  /** Milliseconds from the command's start to the test's start (its worker's set-up not counted). */
  readonly startMs: number;
  readonly durationMs: number;
  /** Milliseconds from the command's start to the moment the runner had the test's outcome. */
  readonly endMs: number;
}

interface Run {
  readonly wallMs: number;
  readonly tests: TestRun[];
  /** From the last test's outcome to the command's end: workers' teardown, reports. */
  readonly afterLastTestMs: number;
}

/** One `playwright test` run in a child process, as a user runs it (its own reports folder unless given). */
async function playwright(args: string[], env: Record<string, string>): Promise<Run> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-fixed-cost-'));
  const ends = path.join(scratch, 'test-ends.ndjson');
  const started = Date.now();
  try {
    const result = await runProcess(
      process.execPath,
      [
        path.join(PACKAGE_ROOT, 'node_modules/@playwright/test/cli.js'),
        'test',
        `--reporter=line,${path.join(PACKAGE_ROOT, 'bench/test-ends-reporter.ts')}`,
        ...args,
      ],
      {
        cwd: PACKAGE_ROOT,
        env: {
          ...process.env,
          ...env,
          DRVCYCLE_REPORTS_DIR: env.DRVCYCLE_REPORTS_DIR ?? path.join(scratch, 'reports'),
          DRVCYCLE_RUN_ID: `bench-${Date.now().toString(36)}`,
          BENCH_TEST_ENDS: ends,
        },
        output: { logFile: path.join(scratch, 'output.log') },
        timeoutMs: 15 * 60_000,
        allowFailure: true,
      },
    );
    const wallMs = Date.now() - started;
    const tests = existsSync(ends)
      ? readFileSync(ends, 'utf8')
          .trim()
          .split('\n')
          .map((line) => {
            const t = JSON.parse(line) as {
              title: string;
              status: string;
              workerIndex: number;
              startedAt: number;
              durationMs: number;
              endedAt: number;
            };
            return {
              title: t.title,
              status: t.status,
              workerIndex: t.workerIndex,
              startMs: t.startedAt - started,
              durationMs: t.durationMs,
              endMs: t.endedAt - started,
            };
          })
          .sort((a, b) => a.endMs - b.endMs)
      : [];
    if (result.code !== 0)
      throw new Error(
        `playwright test ${args.join(' ')} failed (${result.code}): ${tests
          .filter((t) => t.status !== 'passed' && t.status !== 'skipped')
          .map((t) => t.title)
          .join(', ')}\n${readFileSync(path.join(scratch, 'output.log'), 'utf8').slice(-3000)}`,
      );
    return { wallMs, tests, afterLastTestMs: wallMs - (tests.at(-1)?.endMs ?? 0) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

/**
 * (a): the fixed cost of a test on a worker's reused machine, and of its first test. The tests are
 * distinct tests of one file (bench/fixed-cost-tests.spec.ts) on one worker, as a spec's tests
 * run; `--repeat-each` would give each repetition a worker, and so a machine, of its own.
 */
export async function benchFixedCostPerTest(tests = 6) {
  const run = (cycles: number) =>
    playwright(['-c', 'bench/fixed-cost.config.ts', '--workers=1'], {
      CYCLES: String(cycles),
      BENCH_TESTS: String(tests),
    });
  const short = await run(10);
  const long = await run(60);
  const reused = (r: Run) => median(r.tests.slice(1).map((t) => t.durationMs));
  const marginalMs = Math.max(0, (reused(long) - reused(short)) / 50);
  const fixedMs = reused(short) - 10 * marginalMs;
  const first = short.tests[0]!;
  return {
    tests: short.tests.length,
    workers: new Set(short.tests.map((t) => t.workerIndex)).size,
    marginalCycleMs: Number(marginalMs.toFixed(2)),
    testOf10CyclesS: seconds(reused(short)),
    fixedPerTestS: seconds(fixedMs),
    firstTestStartsAtS: seconds(first.startMs),
    firstVerdictAtS: seconds(first.endMs),
    afterLastTestS: seconds(short.afterLastTestMs),
    wallS: seconds(short.wallMs),
  };
}

/** (b): the self-check spec (four of its five tests leave the machine dirty), both ways. */
export async function benchDirtyMachines(rounds = 2) {
  const rows: Record<string, number | string>[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const walls: Record<string, number> = {};
    for (const perWorker of round % 2 === 0 ? ['1', '2'] : ['2', '1']) {
      const run = await playwright(['specs/self-check.spec.ts', '--project=lab', '--workers=1'], {
        DRVCYCLE_MACHINES_PER_WORKER: perWorker,
      });
      // After the first test: what the dirty machines cost the tests that followed them.
      const afterFirst = run.tests.slice(1).reduce((sum, t) => sum + t.durationMs, 0);
      walls[perWorker] = afterFirst;
      rows.push({
        round,
        machinesPerWorker: perWorker,
        wallS: seconds(run.wallMs),
        testsAfterTheFirstS: seconds(afterFirst),
      });
    }
    ratios.push(walls['1']! / walls['2']!);
  }
  return { rows, speedup: Number(median(ratios).toFixed(2)) };
}

/**
 * (c) on a warm lab: the dev project run twice with one reports folder, the first run keeping its
 * machines warm (machines/warm-lab.ts), the second taking one; then they are stopped.
 */
export async function benchDevWarm(perWorker = '2') {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-warm-bench-'));
  const env = {
    DRVCYCLE_MACHINES_PER_WORKER: perWorker,
    DRVCYCLE_WARM_SECONDS: '300',
    DRVCYCLE_REPORTS_DIR: reports,
  };
  try {
    const cold = await playwright(['--project=dev', '--workers=1'], env);
    const warm = await playwright(['--project=dev', '--workers=1'], env);
    return {
      machinesPerWorker: perWorker,
      coldFirstVerdictS: seconds(cold.tests[0]!.endMs),
      warmFirstVerdictS: seconds(warm.tests[0]!.endMs),
      warmFirstTestStartsAtS: seconds(warm.tests[0]!.startMs),
      coldOverWarm: Number((cold.tests[0]!.endMs / warm.tests[0]!.endMs).toFixed(2)),
    };
  } finally {
    await LabMachine.stopWarm(reports);
    rmSync(reports, { recursive: true, force: true });
  }
}

/** (c) and (d) with `perWorker` machines per worker (the dev run keeps nothing warm). */
export async function benchDevAndLab(perWorker: string) {
  const env = { DRVCYCLE_MACHINES_PER_WORKER: perWorker };
  const dev = await playwright(['--project=dev', '--workers=1'], {
    ...env,
    DRVCYCLE_WARM_SECONDS: '0',
  });
  const lab = await playwright(['--project=lab'], env);
  return {
    machinesPerWorker: perWorker,
    devFirstVerdictS: seconds(dev.tests[0]!.endMs),
    devWallS: seconds(dev.wallMs),
    devAfterLastTestS: seconds(dev.afterLastTestMs),
    labWallS: seconds(lab.wallMs),
    labAfterLastTestS: seconds(lab.afterLastTestMs),
    labTests: lab.tests.length,
  };
}

/** (c) and (d): the dev project's first verdict and the lab project's wall time, both ways. */
export async function benchProjects() {
  const rows: Record<string, number | string>[] = [];
  for (const perWorker of ['1', '2']) rows.push(await benchDevAndLab(perWorker));
  return rows;
}
