/**
 * Collector and report benchmarks, side by side in one run:
 *  - sampling cost on the lab: cycle time with a sample after every unload / without (target ≤ 1.10×);
 *  - runner memory: heap after 1,000 and after 20,000 streamed cycles (target: flat within ±10 %),
 *    with the real agent server, RemoteTarget and Collector, and a synthetic target that answers
 *    cycles instantly (the lab would take an hour for 20,000);
 *  - report generation for a 20,000-cycle run: charts, CSV, NDJSON, allure generate (target < 30 s).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createAgentServer } from '../src/agent/server.ts';
import { LabMachine } from '../src/machines/lab.ts';
import { PACKAGE_ROOT, sampleDriver } from '../src/core/paths.ts';
import { Collector } from '../src/collector/collector.ts';
import { latencyChartSpec, memoryChartSpec } from '../src/report/charts.ts';
import { renderSvg } from '../src/report/chart-render.ts';
import { RemoteTarget } from '../src/target/remote-target.ts';
import type { LocalTarget } from '../src/target/local-target.ts';
import type { CycleOptions, CycleRecord } from '../src/core/records.ts';

export async function benchSampling(rounds = 3, perBlock = 60): Promise<Record<string, unknown>> {
  const machine = await LabMachine.boot({ index: 91, runId: `bench-s-${Date.now().toString(36)}` });
  const target = machine.target();
  try {
    const ref = await target.install(
      { file: sampleDriver('clean') },
      { name: 'dc_bench_sampling' },
    );
    const block = async (sampleEvery: number) => {
      const started = performance.now();
      for await (const record of target.runCycles(ref, { count: perBlock, sampleEvery }))
        if (record.outcome !== 'ok') throw new Error(`cycle ${record.cycle} failed`);
      return (performance.now() - started) / perBlock;
    };
    await block(0); // warm-up
    const without: number[] = [];
    const withSampling: number[] = [];
    for (let r = 0; r < rounds; r++) {
      without.push(await block(0));
      withSampling.push(await block(1));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    await target.uninstall(ref);
    return {
      msPerCycleWithout: +mean(without).toFixed(1),
      msPerCycleSamplingEveryCycle: +mean(withSampling).toFixed(1),
      ratio: +(mean(withSampling) / mean(without)).toFixed(3),
      target: '≤ 1.10',
    };
  } finally {
    await machine.release();
  }
}

/** A synthetic target: answers cycle batches instantly with plausible records. Bench only. */
class SyntheticCycleTarget {
  async *runCycles(_ref: unknown, options: CycleOptions): AsyncIterable<CycleRecord> {
    for (let cycle = 1; cycle <= options.count; cycle++) {
      yield {
        cycle,
        outcome: 'ok',
        startMs: 100 + (cycle % 17),
        stopMs: 15 + (cycle % 5),
        state: 'STOPPED',
      };
      if (cycle % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

export async function benchRunnerMemory(large = 20_000): Promise<Record<string, unknown>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with node --expose-gc (npm run bench does).');
  const token = 'b'.repeat(64);
  const server = createAgentServer({
    target: new SyntheticCycleTarget() as unknown as LocalTarget,
    token,
    stagingDir: os.tmpdir(),
    allowedDirs: ['C:\\x'],
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const remote = new RemoteTarget({
    endpoint: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token },
    runId: 'bench',
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-bench-'));
  const heapAfter = async (cycles: number) => {
    const collector = new Collector(path.join(dir, `m${cycles}.ndjson`));
    for await (const record of remote.runCycles({ name: 'dc_x' }, { count: cycles }))
      collector.cycle(record);
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const used = process.memoryUsage();
    collector.close();
    return { heapMiB: used.heapUsed / 2 ** 20, rssMiB: used.rss / 2 ** 20, collector };
  };
  await heapAfter(1_000); // warm-up: JIT, sockets
  const small = await heapAfter(1_000);
  const big = await heapAfter(large);
  server.close();
  return {
    heapMiBAt1000: +small.heapMiB.toFixed(1),
    cycles: large,
    heapMiBAtLarge: +big.heapMiB.toFixed(1),
    heapRatio: +(big.heapMiB / small.heapMiB).toFixed(3),
    rssMiBAt1000: +small.rssMiB.toFixed(1),
    rssMiBAtLarge: +big.rssMiB.toFixed(1),
    target: 'heap within ±10 %',
    ndjsonFile: path.join(dir, `m${large}.ndjson`),
  };
}

export async function benchReport(cycles = 20_000): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-report-bench-'));
  const results = path.join(dir, 'allure-results');
  mkdirSync(results, { recursive: true });
  const started = performance.now();
  const collector = new Collector(path.join(dir, 'metrics.ndjson'));
  for (let cycle = 1; cycle <= cycles; cycle++)
    collector.cycle({
      cycle,
      outcome: 'ok',
      startMs: 100 + (cycle % 17),
      stopMs: 15 + (cycle % 5),
      state: 'STOPPED',
    });
  const memory = Array.from({ length: cycles }, (_, i) => ({ cycle: i + 1, value: 256 * (i + 1) }));
  for (const point of memory)
    collector.write({
      type: 'memory',
      signal: 'wine-pool-trace',
      cycle: point.cycle,
      value: point.value,
    });
  collector.close();
  const attachments: [string, string, string][] = [
    ['metrics.ndjson', 'application/x-ndjson', readFileSync(collector.file, 'utf8')],
    ['cycle-timings.csv', 'text/csv', collector.timingsCsv()],
    ['latency.svg', 'image/svg+xml', await renderSvg(latencyChartSpec(collector.timings()))],
    [
      'memory-wine-pool-trace.svg',
      'image/svg+xml',
      await renderSvg(
        memoryChartSpec({
          title: 'bench',
          unit: 'B',
          series: memory,
          fit: { slope: 256, intercept: 0 },
        }),
      ),
    ],
  ];
  const collected = performance.now();
  const result = {
    uuid: randomUUID(),
    historyId: 'bench-20000',
    name: `${cycles} cycles`,
    fullName: `bench › ${cycles} cycles`,
    status: 'failed',
    stage: 'finished',
    start: Date.now() - 1000,
    stop: Date.now(),
    labels: [
      { name: 'verdict', value: 'leak' },
      { name: 'epic', value: 'cycles' },
    ],
    statusDetails: { message: 'LEAK: bench' },
    steps: [],
    parameters: [],
    attachments: attachments.map(([name, type, body]) => {
      const source = `${randomUUID()}-attachment${path.extname(name)}`;
      writeFileSync(path.join(results, source), body);
      return { name, type, source };
    }),
  };
  writeFileSync(path.join(results, `${result.uuid}-result.json`), JSON.stringify(result));
  execFileSync('npx', ['allure', 'generate', '--config', path.join(PACKAGE_ROOT, 'allurerc.mjs')], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, DRVCYCLE_REPORTS_DIR: dir },
    stdio: 'ignore',
  });
  const total = (performance.now() - started) / 1000;
  return {
    cycles,
    collectAndChartsSeconds: +((collected - started) / 1000).toFixed(2),
    totalSeconds: +total.toFixed(2),
    target: '< 30 s',
    report: path.join(dir, 'allure-report'),
  };
}
