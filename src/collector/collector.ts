/**
 * The runner side of the collector: every sample, cycle timing, memory point and event of a test
 * goes to an NDJSON file as it arrives (one write per line, so a crash loses nothing), and only
 * compact per-cycle timings stay in memory (typed arrays), so long runs keep the runner flat.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { percentile } from '../core/stats.ts';
import type { CycleRecord, IoFailure, IoOperationRecord, SystemSample } from '../core/records.ts';

export type CollectorLine =
  | {
      type: 'cycle';
      cycle: number;
      outcome: string;
      startMs: number | null;
      stopMs: number | null;
      state: string;
      win32Code?: number | undefined;
    }
  | {
      type: 'sample';
      cycle: number | null;
      phase: 'baseline' | 'cycle' | 'end';
      sample: SystemSample;
    }
  | { type: 'memory'; signal: string; cycle: number; value: number }
  | { type: 'io'; cycle: number; operations: readonly IoOperationRecord[]; failure?: IoFailure }
  | { type: 'flake'; cycle: number; win32Code?: number; why: string }
  | { type: 'event'; source: string; time: string; line: string; trouble: boolean };

class GrowableFloats {
  private data = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  at(i: number): number {
    return this.data[i]!;
  }
  sorted(): number[] {
    return Array.from(this.data.subarray(0, this.length))
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
  }
}

export interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** A memory signal's points after each unload, kept compact, and how the report should draw it. */
export interface MemoryChart {
  readonly signal: string;
  readonly title: string;
  readonly unit: string;
  readonly fit?: { readonly slope: number; readonly intercept: number } | undefined;
  readonly warmupCycles?: number | undefined;
  /** The leak decision behind the fit, attached to the test as leak-analysis.json. */
  readonly analysis?: unknown;
  /** The allocations a leak left, as markdown: attached as leak-allocations.md. */
  readonly leakList?: string | undefined;
}

export class Collector {
  readonly file: string;
  private fd: number | null;
  private readonly memory = new Map<string, { cycles: GrowableFloats; values: GrowableFloats }>();
  private readonly charts = new Map<string, MemoryChart>();
  private readonly starts = new GrowableFloats();
  private readonly stops = new GrowableFloats();
  private readonly cycleNumbers = new GrowableFloats();
  private lines = 0;

  constructor(file: string) {
    this.file = file;
    this.fd = openSync(file, 'a');
  }

  write(line: CollectorLine): void {
    if (this.fd === null) return;
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.lines++;
  }

  cycle(record: CycleRecord): void {
    this.cycleNumbers.push(record.cycle);
    this.starts.push(record.startMs ?? NaN);
    this.stops.push(record.stopMs ?? NaN);
    this.write({
      type: 'cycle',
      cycle: record.cycle,
      outcome: record.outcome,
      startMs: record.startMs,
      stopMs: record.stopMs,
      state: record.state,
      ...(typeof record.error?.win32Code === 'number' && record.error.win32Code !== 0
        ? { win32Code: record.error.win32Code }
        : {}),
    });
    if (record.sample)
      this.write({ type: 'sample', cycle: record.cycle, phase: 'cycle', sample: record.sample });
    if (record.io || record.ioFailure)
      this.write({
        type: 'io',
        cycle: record.cycle,
        operations: record.io ?? [],
        ...(record.ioFailure ? { failure: record.ioFailure } : {}),
      });
  }

  /** One point of a memory signal (bytes after the cycle's unload, say): NDJSON and memory. */
  memoryPoint(signal: string, cycle: number, value: number): void {
    let series = this.memory.get(signal);
    if (!series)
      this.memory.set(
        signal,
        (series = { cycles: new GrowableFloats(), values: new GrowableFloats() }),
      );
    series.cycles.push(cycle);
    series.values.push(value);
    this.write({ type: 'memory', signal, cycle, value });
  }

  memorySeries(signal: string): { cycle: number; value: number }[] {
    const series = this.memory.get(signal);
    const points: { cycle: number; value: number }[] = [];
    for (let i = 0; i < (series?.cycles.length ?? 0); i++)
      points.push({ cycle: series!.cycles.at(i), value: series!.values.at(i) });
    return points;
  }

  /** Asks for the signal to be drawn in the report (with its fitted line). */
  chart(chart: MemoryChart): void {
    this.charts.set(chart.signal, chart);
  }

  memoryCharts(): (MemoryChart & { series: { cycle: number; value: number }[] })[] {
    return [...this.charts.values()].map((c) => ({ ...c, series: this.memorySeries(c.signal) }));
  }

  get cycles(): number {
    return this.cycleNumbers.length;
  }

  get linesWritten(): number {
    return this.lines;
  }

  latency(): { start: LatencyStats; stop: LatencyStats } {
    const stats = (values: number[]): LatencyStats => ({
      count: values.length,
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
      max: values.at(-1) ?? NaN,
    });
    return { start: stats(this.starts.sorted()), stop: stats(this.stops.sorted()) };
  }

  timings(): { cycle: number; startMs: number | null; stopMs: number | null }[] {
    const out: { cycle: number; startMs: number | null; stopMs: number | null }[] = [];
    for (let i = 0; i < this.cycleNumbers.length; i++) {
      const start = this.starts.at(i);
      const stop = this.stops.at(i);
      out.push({
        cycle: this.cycleNumbers.at(i),
        startMs: Number.isNaN(start) ? null : start,
        stopMs: Number.isNaN(stop) ? null : stop,
      });
    }
    return out;
  }

  timingsCsv(): string {
    const rows = this.timings().map(
      (t) => `${t.cycle},${t.startMs?.toFixed(3) ?? ''},${t.stopMs?.toFixed(3) ?? ''}`,
    );
    return `cycle,start_ms,stop_ms\n${rows.join('\n')}${rows.length ? '\n' : ''}`;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
