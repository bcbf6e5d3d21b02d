/**
 * The cycle plan and its batches (src/families/cycle-plan.ts, cycle-batch.ts) over fake targets
 * (named as such): where a batch stops, how a leak plan samples, which failures are re-run on a
 * fresh lab machine; and the progress lines and end-of-run summary they feed.
 */
import { expect, test } from '@playwright/test';
import { ERROR_LINES, errorExcerpt, formatRow } from '../../src/report/reporters/summary.ts';
import {
  AgentRequestError,
  DrvcycleError,
  ErrorCodes,
  ScmError,
  toWire,
} from '../../src/core/errors.ts';
import { runCycleBatch } from '../../src/families/cycle-batch.ts';
import { formatProgress, progressReporter } from '../../src/families/cycle-progress.ts';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Collector } from '../../src/collector/collector.ts';
import type { Machine } from '../../src/machines/machine.ts';
import { runCyclePlan } from '../../src/families/cycle-plan.ts';
import { leavesMachineDirty } from '../../src/core/verdict.ts';
import { SOAK_BATCH_MAX, soakBatchSize } from '../../src/families/soak-pacing.ts';
import type { InstalledDriver, Target } from '../../src/target/types.ts';
import { fakeInstalledDriver } from './fake-scm.ts';
import type { CycleOptions, CycleRecord, SampleRequest } from '../../src/core/records.ts';
import { scratchDir } from './scratch.ts';

const ok = (cycle: number, startMs: number, stopMs: number): CycleRecord => ({
  cycle,
  outcome: 'ok',
  startMs,
  stopMs,
  state: 'STOPPED',
});

/** A fake target whose batch yields the given records, then optionally fails with `error`. */
function fakeBatch(records: CycleRecord[], error?: Error): Target {
  return {
    async *runCycles() {
      for (const r of records) yield r;
      if (error) throw error;
    },
  } as unknown as Target;
}
const REF = { name: 'dc_x' };

/** A fake machine with no pool trace and no debug output, always healthy. */
const fakeMachine = () =>
  ({
    name: 'fake',
    poolTrace: false,
    debugMark: () => 0,
    debugOutput: () => '',
    healthy: async () => true,
  }) as unknown as Machine;

test("a batch stops at its first bad cycle, numbered on from the batch's first cycle", async () => {
  const bad: CycleRecord = {
    cycle: 3,
    outcome: 'stop-failed',
    startMs: 5,
    stopMs: null,
    state: 'STOP_PENDING',
    error: toWire(new ScmError({ operation: 'ControlService', service: 'dc_x', win32Code: 109 })),
  };
  const seen: number[] = [];
  const failed = await runCycleBatch(
    fakeBatch([ok(1, 1, 1), ok(2, 1, 1), bad, ok(4, 1, 1)]),
    REF,
    { count: 4 },
    { firstCycle: 101, onRecord: (r) => seen.push(r.cycle) },
  );
  expect(seen).toEqual([101, 102, 103]);
  expect(failed).toMatchObject({
    cycle: 103,
    outcome: 'stop-failed',
    state: 'STOP_PENDING',
    error: { win32Code: 109 },
  });
  expect(await runCycleBatch(fakeBatch([ok(1, 1, 1)]), REF, { count: 1 })).toBeUndefined();
});

test('a batch stopped at a certain verdict is cancelled and read to its end: the cycles the target ran on are counted', async () => {
  // A fake target whose batch thread runs `ahead` cycles past the one the cancel arrives after,
  // as the agent's does (records are handed over in bursts).
  const calls: string[] = [];
  let cancelledAfter: number | undefined;
  const ahead = 3;
  const target = {
    async *runCycles() {
      for (let cycle = 1; cycle <= 60; cycle++) {
        if (cancelledAfter !== undefined && cycle > cancelledAfter + ahead) break;
        calls.push(`record ${cycle}`);
        yield ok(cycle, 1, 1);
      }
      calls.push('end');
    },
    async cancelCycles() {
      calls.push('cancel');
      cancelledAfter = Number(calls.filter((c) => c.startsWith('record')).length);
      return true;
    },
  } as unknown as Target;
  const seen: number[] = [];
  let asked = 0;
  const failed = await runCycleBatch(
    target,
    REF,
    { count: 60 },
    {
      onRecord: (r) => seen.push(r.cycle),
      stopAfter: (r) => {
        asked++;
        return r.cycle === 2;
      },
    },
  );
  expect(failed).toBeUndefined();
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  // Asked until it said stop, never again; cancelled once; the stream read to its end.
  expect(asked).toBe(2);
  expect(calls.filter((c) => c === 'cancel')).toHaveLength(1);
  expect(calls.at(-1)).toBe('end');
});

test('a cycle that fails after the stop was asked for is still returned: it ran, and it failed', async () => {
  let cancelled = false;
  const bad: CycleRecord = {
    cycle: 3,
    outcome: 'start-failed',
    startMs: null,
    stopMs: null,
    state: 'STOPPED',
    error: toWire(new ScmError({ operation: 'StartService', service: 'dc_x', win32Code: 1058 })),
  };
  const target = {
    async *runCycles() {
      yield ok(1, 1, 1);
      yield ok(2, 1, 1);
      yield bad;
    },
    async cancelCycles() {
      cancelled = true;
      return true;
    },
  } as unknown as Target;
  const failed = await runCycleBatch(target, REF, { count: 10 }, { stopAfter: () => true });
  expect(cancelled).toBe(true);
  expect(failed).toMatchObject({ cycle: 3, outcome: 'start-failed' });
});

test('a batch that goes silent fails the next cycle with the typed error: the machine is lost, no driver evidence', async () => {
  const seen: CycleRecord[] = [];
  const silence = new DrvcycleError(
    ErrorCodes.AGENT_UNREACHABLE,
    'The agent at http://127.0.0.1:9 sent nothing for 15000 ms during a cycle batch.',
  );
  const failed = await runCycleBatch(
    fakeBatch([ok(1, 1, 1), ok(2, 1, 1)], silence),
    REF,
    { count: 5 },
    { onRecord: (r) => seen.push(r) },
  );
  expect(failed).toMatchObject({
    cycle: 3,
    outcome: 'start-failed',
    state: 'UNKNOWN',
    error: { code: 'DRVCYCLE_AGENT_UNREACHABLE' },
  });
  expect(seen.at(-1)).toBe(failed);
  expect(
    classifyCycleFailure({ driver: 'dc_x', scenario: 'cycles', record: failed! }).summary,
  ).toMatch(
    /^ENVIRONMENT in load at cycle 3: the machine stopped answering \(no answer; The agent at http:\/\/127\.0\.0\.1:9 sent nothing/,
  );
});

test('a batch the agent refuses keeps its typed error: drvcycle failed, not the driver', async () => {
  const refused = new AgentRequestError(400, ErrorCodes.INVALID_REQUEST, 'Expected `count` …');
  const failed = await runCycleBatch(fakeBatch([], refused), REF, { count: 0 });
  expect(failed).toMatchObject({
    cycle: 1,
    error: { code: 'DRVCYCLE_INVALID_REQUEST', status: 400 },
  });
  expect(classifyCycleFailure({ driver: 'dc_x', scenario: 'cycles', record: failed! }).kind).toBe(
    'error',
  );
});

test('a leak plan samples before the first load and after every unload, and decides on that series', async () => {
  const verifierSample = (t: number, bytes: number) => ({
    t,
    verifier: [
      {
        driver: 'leak.sys',
        loads: t,
        unloads: t,
        currentPagedAllocations: 0,
        currentNonPagedAllocations: t,
        pagedBytes: 0,
        nonPagedBytes: bytes,
        peakPagedBytes: 0,
        peakNonPagedBytes: bytes,
      },
    ],
  });
  const requests: SampleRequest[] = [];
  const batches: CycleOptions[] = [];
  const target = {
    async info() {
      return { wineVersion: null };
    },
    async samplers() {
      return {
        verifier: { available: true },
        poolTags: { available: true },
        performance: { available: true },
        hosts: { available: true },
      };
    },
    async sample(request: SampleRequest) {
      requests.push(request);
      return verifierSample(0, 100);
    },
    async *runCycles(_driver: unknown, options: CycleOptions) {
      batches.push(options);
      for (let cycle = 1; cycle <= options.count; cycle++)
        yield { ...ok(cycle, 1, 1), sample: verifierSample(cycle, 100 + 256 * cycle) };
    },
  } as unknown as Target;
  const machine = fakeMachine();
  const driver = {
    name: 'dc_leak',
    binaryPath: 'C:\\stage\\ab\\leak.sys',
    type: 'kernel',
    group: undefined,
    runId: 'r',
    config: {} as never,
  } satisfies InstalledDriver;
  const collector = new Collector(path.join(scratchDir('drvcycle-plan-'), 'metrics.ndjson'));
  const sampleRequest = { tags: [], verifierDrivers: ['leak.sys'] };
  const thresholds = { perCycle: 64, warmupCycles: 0, minSamples: 2, residualTolerance: 0 };
  const verdict = await runCyclePlan(
    { target, machine, driver, collector, sampleRequest, reinstall: async () => driver },
    {
      family: 'leaks',
      count: 4,
      startTimeoutMs: 1000,
      stopTimeoutMs: 1000,
      sampleEvery: 0,
      leak: { thresholds, poolTags: [] },
    },
  );
  collector.close();
  expect(requests).toEqual([sampleRequest]);
  expect(batches).toEqual([
    { count: 4, startTimeoutMs: 1000, stopTimeoutMs: 1000, sampleEvery: 1, sample: sampleRequest },
  ]);
  expect(collector.memorySeries('verifier-pool')).toEqual([
    { cycle: 0, value: 100 },
    { cycle: 1, value: 356 },
    { cycle: 2, value: 612 },
    { cycle: 3, value: 868 },
    { cycle: 4, value: 1124 },
  ]);
  expect(verdict).toMatchObject({
    kind: 'leak',
    driver: 'dc_leak',
    scenario: 'leaks',
    evidence: { signal: 'verifier-pool', slopeBytesPerCycle: 256, residualBytes: 1024 },
  });
  expect(collector.memoryCharts()).toMatchObject([
    { signal: 'verifier-pool', unit: 'B', fit: { slope: 256 }, warmupCycles: 0 },
  ]);
});

test('a soak batch is sized to the time left at the pace so far: one cycle first, then what fits, at most 100', () => {
  expect(soakBatchSize(2000, { elapsedMs: 0, cycles: 0 })).toBe(1);
  // A 2 s start: one cycle took 2.1 s; 1.9 s left fits one more, not a hundred.
  expect(soakBatchSize(1900, { elapsedMs: 2100, cycles: 1 })).toBe(1);
  expect(soakBatchSize(60_000, { elapsedMs: 4000, cycles: 2 })).toBe(30);
  // A fast driver: batches of the most, records still handed over batch by batch.
  expect(soakBatchSize(600_000, { elapsedMs: 150, cycles: 10 })).toBe(SOAK_BATCH_MAX);
  // Past the deadline (the loop stops before asking): never a batch of none.
  expect(soakBatchSize(-5, { elapsedMs: 1000, cycles: 10 })).toBe(1);
});

test('a soak of a slow driver ends near its deadline, not a whole batch after it (fake target: 40 ms cycles)', async () => {
  const batches: number[] = [];
  const target = {
    async info() {
      return { wineVersion: null };
    },
    async *runCycles(_driver: unknown, options: CycleOptions) {
      batches.push(options.count);
      for (let cycle = 1; cycle <= options.count; cycle++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        yield ok(cycle, 30, 10);
      }
    },
  } as unknown as Target;
  const machine = fakeMachine();
  const driver = fakeInstalledDriver();
  const collector = new Collector(path.join(scratchDir('drvcycle-soak-'), 'metrics.ndjson'));
  const verdict = await runCyclePlan(
    {
      target,
      machine,
      driver,
      collector,
      sampleRequest: { tags: [], verifierDrivers: [] },
      reinstall: async () => driver,
    },
    {
      family: 'soak',
      durationSeconds: 0.4,
      startTimeoutMs: 1000,
      stopTimeoutMs: 1000,
      sampleEvery: 0,
    },
  );
  collector.close();
  expect(verdict.kind).toBe('pass');
  expect(batches[0]).toBe(1);
  // A cycle takes at least 40 ms, so the pace never promises more than 0.4 s holds: ~10 cycles
  // and a few batches' rounding, where a fixed batch ran 100.
  expect(collector.cycles).toBeGreaterThanOrEqual(2);
  expect(collector.cycles).toBeLessThan(20);
  expect(batches.every((count) => count < 20)).toBe(true);
});

test('progress lines', () => {
  expect(formatProgress({ done: 29, total: 100, perSecond: 5.84, etaSeconds: 12.2 })).toBe(
    'cycle 29/100 (5.8/s, ETA 13 s)',
  );
  expect(formatProgress({ done: 0, total: 100, perSecond: 0, etaSeconds: Infinity })).toBe(
    'cycle 0/100 (0.0/s, ETA ?)',
  );
  const lines: string[] = [];
  const report = progressReporter('dc_x', 10, (l) => lines.push(l), 0);
  report(5);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^\[dc_x\] cycle 5\/10 \(/);
});

test('the end-of-run summary shows the cycle figures and a failure with its diff', () => {
  const summary = {
    driver: 'dc_clean',
    requested: 100,
    completed: 100,
    start: { p50: 123.61, p95: 166.3, max: 200 },
    stop: { p50: 18.3, p95: 26.6, max: 30 },
  };
  expect(formatRow({ title: 'lab › cycles', status: 'passed', summary, error: undefined })).toBe(
    'PASS  lab › cycles  dc_clean: 100/100 cycles, start p50 123.6 / p95 166.3 ms, stop p50 18.3 / p95 26.6 ms',
  );
  expect(
    formatRow({
      title: 't',
      status: 'failed',
      summary: undefined,
      error: 'LOAD FAILURE at cycle 1',
    }),
  ).toBe('FAILED  t\n      LOAD FAILURE at cycle 1');
  // A soak is bound by time: its count has no denominator (it read "0/1" when its first cycle failed).
  const soak = {
    driver: summary.driver,
    completed: 0,
    start: summary.start,
    stop: summary.stop,
  };
  expect(
    formatRow({ title: 'soak', status: 'failed', summary: soak, error: 'UNLOAD FAILURE' }),
  ).toBe(
    'FAILED  soak  dc_clean: 0 cycles, start p50 123.6 / p95 166.3 ms, stop p50 18.3 / p95 26.6 ms\n      UNLOAD FAILURE',
  );
  // An assertion keeps its expected/received lines, without colour codes or blank lines.
  const assertion =
    'Error: \u001b[2mexpect(\u001b[22m\u001b[31mreceived\u001b[39m\u001b[2m).toEqual(\u001b[22mexpected\u001b[2m)\u001b[22m\n\n' +
    '- Expected  - 1\n+ Received  + 1\n\n  Array [\n-   256,\n+   0,\n  ]';
  expect(formatRow({ title: 't', status: 'failed', summary: undefined, error: assertion })).toBe(
    [
      'FAILED  t',
      '      Error: expect(received).toEqual(expected)',
      '      - Expected  - 1',
      '      + Received  + 1',
      '        Array [',
      '      -   256,',
      '      +   0,',
      '        ]',
    ].join('\n'),
  );
  const long = Array.from({ length: ERROR_LINES + 5 }, (_, i) => `line ${i}`).join('\n');
  expect(errorExcerpt(long).split('\n')).toHaveLength(ERROR_LINES + 1);
  expect(errorExcerpt(long).split('\n').at(-1)).toBe('… 5 more lines');
});

/** A fake lab: its batches yield what `script` says for each batch, in order. Fakes, unit test only. */
function fakeLab(script: ((first: number, count: number) => CycleRecord[])[], debug = '') {
  let batch = 0;
  const calls: string[] = [];
  const target = {
    async info() {
      return { wineVersion: '8.0' };
    },
    async *runCycles(_driver: unknown, options: CycleOptions) {
      calls.push(`batch of ${options.count}`);
      for (const record of script[batch++]!(1, options.count)) yield record;
    },
  } as unknown as Target;
  const machine = {
    name: 'fake lab',
    poolTrace: false,
    debugMark: () => 0,
    debugOutput: () => debug,
    healthy: async () => true,
    postMortem: async () => ({ lost: false }),
    recover: async (why: string) => {
      calls.push(`recover: ${why}`);
    },
  } as unknown as Machine;
  const driver = fakeInstalledDriver();
  const reinstall = async () => {
    calls.push('reinstall');
    return driver;
  };
  const collector = new Collector(path.join(scratchDir('drvcycle-flake-'), 'metrics.ndjson'));
  return { target, machine, driver, reinstall, collector, calls, sampleRequest: {} };
}

const internalError = (cycle: number): CycleRecord => ({
  cycle,
  outcome: 'start-failed',
  startMs: null,
  stopMs: null,
  state: 'STOPPED',
  error: toWire(
    new ScmError({ operation: 'StartService', service: 'dc_clean', win32Code: 1359, cycle }),
  ),
});
const oks = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ok(from + i, 1, 1));
const cyclesPlan = (count: number) =>
  ({ family: 'cycles', count, startTimeoutMs: 1000, stopTimeoutMs: 1000, sampleEvery: 0 }) as const;

test("the lab's host-spawn failure (1359, no DriverEntry status) is re-run on a fresh machine and counted, never a verdict", async () => {
  const lab = fakeLab([() => [...oks(1, 2), internalError(3)], (_first, count) => oks(1, count)]);
  const verdict = await runCyclePlan(lab, cyclesPlan(5));
  expect(lab.calls).toEqual([
    'batch of 5',
    'recover: lab flake at cycle 3: StartService 1359 ERROR_INTERNAL_ERROR with no DriverEntry status logged: the driver host process did not start',
    'reinstall',
    'batch of 3',
  ]);
  expect(verdict).toMatchObject({ kind: 'pass', evidence: { cycles: 5, labFlakes: 1 } });
  expect(verdict.summary).toBe('PASS: 5 cycles (1 lab flake re-run on a fresh machine: cycle 3)');
  lab.collector.close();
  const lines = readFileSync(lab.collector.file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.filter((l) => l.type === 'flake')).toEqual([
    expect.objectContaining({ type: 'flake', cycle: 3, win32Code: 1359 }),
  ]);
  expect(lines.filter((l) => l.type === 'cycle').map((l) => l.cycle)).toEqual([1, 2, 3, 4, 5]);
});

test('the same cycle failing the same way on the fresh machine is the lab again: environment, not the driver', async () => {
  const lab = fakeLab([() => [internalError(1)], () => [internalError(1)]]);
  const verdict = await runCyclePlan(lab, cyclesPlan(5));
  expect(verdict).toMatchObject({
    kind: 'environment',
    cycle: 1,
    evidence: { cause: 'lab-flake', labFlakes: 1 },
  });
  expect(verdict.summary).toMatch(
    /^ENVIRONMENT in load at cycle 1: the lab failed again to start a driver host/,
  );
});

test('1359 with the DriverEntry status in the log is the driver: a load failure with its NTSTATUS', async () => {
  const lab = fakeLab(
    [() => [internalError(1)]],
    '0130:013c:err:ntoskrnl:ZwLoadDriver failed to create driver L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_clean": c00000e5\n',
  );
  const verdict = await runCyclePlan(lab, cyclesPlan(5));
  expect(lab.calls).toEqual(['batch of 5']);
  expect(verdict).toMatchObject({
    kind: 'load-failure',
    evidence: { win32Code: 1359, ntstatus: '0xC00000E5 STATUS_INTERNAL_ERROR' },
  });
});

/**
 * A fake lab machine and target that replay a real Wine relay trace of leak_small, one cycle's
 * part of it as each cycle's record is handed over; after the cancel the target runs `ahead`
 * cycles on (the last of them replaying cycle 3's trace), then ends with `end` (an error thrown,
 * or nothing).
 */
function replayedLeakLab(end: { after: number; error?: Error; record?: CycleRecord }) {
  const text = readFileSync(
    new URL('./fixtures/wine-relay-leak_small.txt', import.meta.url),
    'utf8',
  );
  const lines = text.split('\n');
  const loads = lines.flatMap((l, i) => (l.includes('load_driver loading driver') ? [i - 3] : []));
  const cycleText = (cycle: number) =>
    lines
      .slice(loads[cycle - 1], loads[cycle] ?? lines.length)
      .join('\n')
      .replace(/\n?$/, '\n');
  let debug = '';
  const calls: string[] = [];
  const target = {
    async info() {
      return { wineVersion: '9.0' };
    },
    async samplers() {
      throw new Error('no Windows samplers on the lab');
    },
    async cancelCycles() {
      calls.push('cancel');
      return true;
    },
    async *runCycles(_driver: unknown, options: CycleOptions) {
      calls.push(`batch of ${options.count}`);
      for (let cycle = 1; cycle <= end.after; cycle++) {
        debug += cycleText(Math.min(cycle, 3));
        yield ok(cycle, 1, 1);
      }
      if (end.record) yield end.record;
      if (end.error) throw end.error;
    },
  } as unknown as Target;
  const machine = {
    name: 'fake lab',
    poolTrace: true,
    debugMark: () => 0,
    debugOutput: (mark: number) => debug.slice(mark),
    healthy: async () => true,
    postMortem: async () => ({ lost: true, agentExit: 'killed by SIGKILL' }),
    recover: async (why: string) => {
      calls.push(`recover: ${why}`);
    },
  } as unknown as Machine;
  const driver = {
    ...fakeInstalledDriver(),
    name: 'dc_leak_small',
    binaryPath: 'C:\\drvcycle\\images\\3c710532ff52753f\\leak_small.sys',
  };
  const collector = new Collector(path.join(scratchDir('drvcycle-afterstop-'), 'metrics.ndjson'));
  return {
    ctx: {
      target,
      machine,
      driver,
      collector,
      sampleRequest: {},
      reinstall: async () => driver,
    },
    calls,
  };
}
const leakPlan = (count: number) =>
  ({
    family: 'leaks',
    count,
    startTimeoutMs: 1000,
    stopTimeoutMs: 1000,
    sampleEvery: 0,
    leak: {
      thresholds: { perCycle: 64, warmupCycles: 0, minSamples: 2, residualTolerance: 0 },
      poolTags: [],
    },
  }) as const;

test('the agent dying in the cycles run past a certain leak does not replace the leak: it is reported beside it, and the machine is reverted', async () => {
  const silence = new DrvcycleError(
    ErrorCodes.AGENT_UNREACHABLE,
    'The agent at http://127.0.0.1:9 sent nothing for 15000 ms during a cycle batch.',
  );
  const lab = replayedLeakLab({ after: 3, error: silence });
  const verdict = await runCyclePlan(lab.ctx, leakPlan(60));
  lab.ctx.collector.close();
  expect(lab.calls).toEqual(['batch of 60', 'cancel']);
  expect(verdict).toMatchObject({
    kind: 'leak',
    evidence: {
      failedAfterStop: { cycle: 4, kind: 'environment' },
    },
  });
  expect(verdict.summary).toMatch(
    /^LEAK at cycle 1: .*; cycle 4, run past the stop, then failed: ENVIRONMENT in load at cycle 4: the machine stopped answering/,
  );
  expect(leavesMachineDirty(verdict)).toBe(true);
});

test('a lab flake in the cycles run past a certain leak changes nothing: the leak alone, the machine not reverted for it', async () => {
  const lab = replayedLeakLab({ after: 3, record: internalError(4) });
  const verdict = await runCyclePlan(lab.ctx, leakPlan(60));
  lab.ctx.collector.close();
  expect(verdict.kind).toBe('leak');
  expect(verdict.evidence.failedAfterStop).toBeUndefined();
  expect(verdict.summary).not.toMatch(/run past the stop/);
  expect(leavesMachineDirty(verdict)).toBe(false);
});

test('the same leak with no failure past the stop: the control for the two above', async () => {
  const lab = replayedLeakLab({ after: 3 });
  const verdict = await runCyclePlan(lab.ctx, leakPlan(60));
  lab.ctx.collector.close();
  expect(verdict).toMatchObject({ kind: 'leak', evidence: { leakCycle: 1 } });
  expect(verdict.evidence.failedAfterStop).toBeUndefined();
});
