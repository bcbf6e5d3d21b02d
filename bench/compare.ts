/**
 * What a build comparison costs: `drvcycle compare`'s run of 2 × N cycles (the clean sample as both
 * builds, interleaved in blocks, samples around each block, every block's debug output and pool
 * trace, the bootstrap and the decision) against one run of 2N cycles of the same driver through
 * the leak spec's path (one batch, its pool trace and leak decision), side by side on one lab
 * machine. Rounds alternate the order; the ratio is taken within each round and its median
 * reported (this shared machine's speed drifts between minutes).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Collector } from '../src/collector/collector.ts';
import { DEFAULT_COMPARE_SETTINGS } from '../src/core/build-compare.ts';
import { DEFAULT_BYTE_THRESHOLDS } from '../src/core/leak-decision.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { median } from '../src/core/stats.ts';
import { runComparison } from '../src/families/compare-run.ts';
import { runCyclePlan } from '../src/families/cycle-plan.ts';
import { LabMachine } from '../src/machines/lab.ts';

export interface CompareBenchResult {
  readonly cyclesPerBuild: number;
  readonly blockSize: number;
  readonly compareSeconds: number;
  readonly singleRunSeconds: number;
  /** compare / one run of the same number of cycles: the price of interleaving and judging. */
  readonly ratio: number;
  readonly verdict: string;
}

const collector = () =>
  new Collector(path.join(mkdtempSync(path.join(os.tmpdir(), 'drvcycle-bench-cmp-')), 'm.ndjson'));

export async function benchCompare(
  cyclesPerBuild = Number(process.env.BENCH_COMPARE_CYCLES ?? 1000),
  rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 1),
): Promise<CompareBenchResult> {
  const machine = await LabMachine.boot({
    index: 95,
    runId: `bench-c-${Date.now().toString(36)}`,
    hostMode: 'shared',
  });
  const settings = { ...DEFAULT_COMPARE_SETTINGS, cycles: cyclesPerBuild, errorPaths: false };
  try {
    const target = machine.target();
    const group = await machine.driverHost(undefined);
    const clean = { file: sampleDriver('clean') };
    const installBoth = async () => ({
      baseline: await target.install(clean, { name: 'dc_bench_base', group }),
      candidate: await target.install(clean, { name: 'dc_bench_cand', group }),
    });
    const single = await target.install(clean, { name: 'dc_bench_single', group });
    // Warm-up: the agent's SCM worker, the runner's record stream.
    for await (const record of target.runCycles(single, { count: 10 }))
      if (record.outcome !== 'ok') throw new Error(`warm-up: cycle ${record.cycle} failed`);

    const compareRun = async () => {
      const started = performance.now();
      const result = await runComparison(
        { target, machine, collector: collector(), installBoth },
        {
          settings,
          startTimeoutMs: 30_000,
          stopTimeoutMs: 30_000,
          files: { baseline: 'clean.sys', candidate: 'clean.sys' },
          poolTags: [],
        },
      );
      if (!result.comparison) throw new Error(`compare run: ${result.verdict.summary}`);
      return { ms: performance.now() - started, verdict: result.comparison.verdict };
    };
    const singleRun = async () => {
      const started = performance.now();
      const verdict = await runCyclePlan(
        {
          target,
          machine,
          driver: single,
          collector: collector(),
          sampleRequest: { tags: [] },
          reinstall: () => Promise.reject(new Error('bench: no reinstall')),
        },
        {
          family: 'leaks',
          count: 2 * cyclesPerBuild,
          startTimeoutMs: 30_000,
          stopTimeoutMs: 30_000,
          sampleEvery: 10,
          leak: { thresholds: DEFAULT_BYTE_THRESHOLDS, poolTags: [] },
        },
      );
      if (verdict.kind !== 'pass') throw new Error(`single run: ${verdict.summary}`);
      return performance.now() - started;
    };

    const perRound: { compare: number; single: number; verdict: string }[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so a machine slowing down over the round favours neither.
      if (round % 2 === 0) {
        const c = await compareRun();
        perRound.push({ compare: c.ms, single: await singleRun(), verdict: c.verdict });
      } else {
        const s = await singleRun();
        const c = await compareRun();
        perRound.push({ compare: c.ms, single: s, verdict: c.verdict });
      }
      for (const driver of ['dc_bench_base', 'dc_bench_cand'])
        await target.uninstall({ name: driver }, { timeoutMs: 10_000 });
    }
    const of = (pick: (r: (typeof perRound)[number]) => number) => median(perRound.map(pick));
    return {
      cyclesPerBuild,
      blockSize: settings.blockSize,
      compareSeconds: +(of((r) => r.compare) / 1000).toFixed(1),
      singleRunSeconds: +(of((r) => r.single) / 1000).toFixed(1),
      ratio: +of((r) => r.compare / r.single).toFixed(2),
      verdict: perRound.map((r) => r.verdict).join(', '),
    };
  } finally {
    await machine.release();
  }
}
