import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { Collector } from '../../src/collector/collector.ts';
import { readableDebugOutput } from '../../src/collector/window-events.ts';
import { latencyChartSpec, MAX_CHART_POINTS, memoryChartSpec } from '../../src/report/charts.ts';
import { fileVersion } from '../../src/report/driver-file.ts';
import { scratchDir } from './scratch.ts';

const tmp = () => scratchDir('drvcycle-collector-');

test('every line reaches the NDJSON file as it is written, before close', () => {
  const file = path.join(tmp(), 'metrics.ndjson');
  const collector = new Collector(file);
  collector.cycle({
    cycle: 1,
    outcome: 'ok',
    startMs: 120.5,
    stopMs: 18.25,
    state: 'STOPPED',
    sample: { t: 1, hosts: [] },
  });
  // A crash right now must lose nothing: read the file while the collector is still open.
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  expect(lines).toEqual([
    { type: 'cycle', cycle: 1, outcome: 'ok', startMs: 120.5, stopMs: 18.25, state: 'STOPPED' },
    { type: 'sample', cycle: 1, phase: 'cycle', sample: { t: 1, hosts: [] } },
  ]);
  collector.cycle({
    cycle: 2,
    outcome: 'start-failed',
    startMs: null,
    stopMs: null,
    state: 'STOPPED',
    error: { code: 'DRVCYCLE_SCM', name: 'ScmError', message: 'x', win32Code: 1450 },
  });
  collector.close();
  expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[2]!)).toMatchObject({
    cycle: 2,
    win32Code: 1450,
    startMs: null,
  });
  expect(collector.linesWritten).toBe(3);
});

test('timings: percentiles, CSV and a series that keeps failed cycles as gaps', () => {
  const collector = new Collector(path.join(tmp(), 'm.ndjson'));
  for (let c = 1; c <= 100; c++)
    collector.cycle({ cycle: c, outcome: 'ok', startMs: c, stopMs: 200 - c, state: 'STOPPED' });
  collector.cycle({
    cycle: 101,
    outcome: 'start-failed',
    startMs: null,
    stopMs: null,
    state: 'STOPPED',
  });
  expect(collector.latency()).toEqual({
    start: { count: 100, p50: 50, p95: 95, p99: 99, max: 100 },
    stop: { count: 100, p50: 149, p95: 194, p99: 198, max: 199 },
  });
  expect(collector.timings().at(-1)).toEqual({ cycle: 101, startMs: null, stopMs: null });
  expect(collector.timingsCsv().split('\n').slice(0, 2)).toEqual([
    'cycle,start_ms,stop_ms',
    '1,1.000,199.000',
  ]);
  expect(collector.timingsCsv().trim().split('\n').at(-1)).toBe('101,,');
  collector.close();
});

test('memory points reach the NDJSON file and come back as series, and charts carry their series', () => {
  const file = path.join(tmp(), 'memory.ndjson');
  const collector = new Collector(file);
  collector.memoryPoint('verifier-pool', 0, 64);
  collector.memoryPoint('verifier-pool', 1, 320);
  collector.memoryPoint('pool-tags', 1, 7);
  collector.memoryPoint('verifier-pool', 2, 576);
  expect(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown),
  ).toEqual([
    { type: 'memory', signal: 'verifier-pool', cycle: 0, value: 64 },
    { type: 'memory', signal: 'verifier-pool', cycle: 1, value: 320 },
    { type: 'memory', signal: 'pool-tags', cycle: 1, value: 7 },
    { type: 'memory', signal: 'verifier-pool', cycle: 2, value: 576 },
  ]);
  expect(collector.memorySeries('verifier-pool')).toEqual([
    { cycle: 0, value: 64 },
    { cycle: 1, value: 320 },
    { cycle: 2, value: 576 },
  ]);
  expect(collector.memorySeries('never-sampled')).toEqual([]);
  expect(collector.memoryCharts()).toEqual([]);
  collector.chart({ signal: 'pool-tags', title: 'dc_x: pool-tags', unit: 'B' });
  expect(collector.memoryCharts()).toEqual([
    { signal: 'pool-tags', title: 'dc_x: pool-tags', unit: 'B', series: [{ cycle: 1, value: 7 }] },
  ]);
  expect(collector.cycles).toBe(0);
  collector.close();
});

test('the memory chart plots the series and the fitted line from the end of warm-up to the last cycle', () => {
  const series = Array.from({ length: 40 }, (_, i) => ({ cycle: i + 1, value: 256 * (i + 1) }));
  const spec = memoryChartSpec({
    title: 'dc_leak_small',
    unit: 'B',
    series,
    fit: { slope: 256, intercept: 0 },
    warmupCycles: 5,
  }) as unknown as {
    title: string;
    layer: {
      data: { values: { cycle: number; value: number }[] };
      mark: { strokeDash?: number[] };
    }[];
  };
  expect(spec.title).toBe('dc_leak_small — Theil–Sen slope 256.0 B/cycle');
  expect(spec.layer).toHaveLength(2);
  expect(spec.layer[0]!.data.values).toHaveLength(40);
  expect(spec.layer[1]!.data.values).toEqual([
    { cycle: 6, value: 1536 },
    { cycle: 40, value: 10240 },
  ]);
  expect(spec.layer[1]!.mark.strokeDash).toEqual([6, 4]);
  const noFit = memoryChartSpec({ title: 't', unit: 'B', series }) as unknown as {
    layer: unknown[];
  };
  expect(noFit.layer).toHaveLength(1);
});

test('long runs are decimated for the charts', () => {
  const timings = Array.from({ length: 20_000 }, (_, i) => ({
    cycle: i + 1,
    startMs: 100,
    stopMs: i === 5 ? null : 20,
  }));
  const spec = latencyChartSpec(timings) as unknown as { data: { values: { phase: string }[] } };
  expect(spec.data.values.length).toBeLessThanOrEqual(2 * MAX_CHART_POINTS);
  expect(new Set(spec.data.values.map((v) => v.phase))).toEqual(
    new Set(['start (DriverEntry)', 'stop (DriverUnload)']),
  );
});

test('the driver file version comes from VS_FIXEDFILEINFO', () => {
  const image = new Uint8Array(64);
  image.set([0xbd, 0x04, 0xef, 0xfe], 16);
  new DataView(image.buffer).setUint32(24, (10 << 16) | 2, true);
  new DataView(image.buffer).setUint32(28, (19041 << 16) | 1, true);
  expect(fileVersion(image)).toBe('10.2.19041.1');
  expect(fileVersion(new Uint8Array(64))).toBeNull();
});

test('debug output for people: DbgPrint text, crashes and errors, not the pool trace', () => {
  const text = [
    '0194:01a0:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A0370',
    '0194:01a0:warn:debugstr:vDbgPrintExWithPrefix 00000000:00000001: drvcycle:leak_small: DriverEntry: leaking 256 bytes',
    'wine: Unhandled page fault on write access to 0000000000000000 at address 0000000396B41025 (thread 016c), starting debugger...',
    '0038:0058:err:service:process_send_command service protocol error - failed to read pipe r = 0  count = 0!',
    '0040:0044:fixme:ntdll:NtQuerySystemInformation info_class SYSTEM_PERFORMANCE_INFORMATION',
  ].join('\n');
  expect(readableDebugOutput(text)).toEqual([
    'DbgPrint: drvcycle:leak_small: DriverEntry: leaking 256 bytes',
    'wine: Unhandled page fault on write access to 0000000000000000 at address 0000000396B41025 (thread 016c), starting debugger...',
    '0038:0058:err:service:process_send_command service protocol error - failed to read pipe r = 0  count = 0!',
  ]);
});
