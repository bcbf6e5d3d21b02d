/**
 * SVG charts for the reports, rendered in Node with vega-lite (no browser, no canvas): memory
 * versus cycle with the fitted Theil–Sen line, and start/stop latency per cycle.
 */
import type * as vl from 'vega-lite';
import { decimate } from '../core/stats.ts';

export const MAX_CHART_POINTS = 2000;

export interface MemoryChartInput {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly { cycle: number; value: number }[];
  readonly fit?: { slope: number; intercept: number } | undefined;
  readonly warmupCycles?: number;
}

export function memoryChartSpec(input: MemoryChartInput): vl.TopLevelSpec {
  const points = decimate(input.series, MAX_CHART_POINTS).map((s) => ({
    cycle: s.cycle,
    value: s.value,
    kind: 'measured',
  }));
  const layers: object[] = [
    {
      data: { values: points },
      mark: { type: 'line', point: points.length <= 200, color: '#1f77b4' },
      encoding: {
        x: { field: 'cycle', type: 'quantitative', title: 'cycle' },
        y: { field: 'value', type: 'quantitative', title: input.unit },
      },
    },
  ];
  const first = input.series.find((s) => s.cycle > (input.warmupCycles ?? 0)) ?? input.series[0];
  const last = input.series.at(-1);
  if (input.fit && Number.isFinite(input.fit.slope) && first && last) {
    const fitted = [first.cycle, last.cycle].map((cycle) => ({
      cycle,
      value: input.fit!.intercept + input.fit!.slope * cycle,
    }));
    layers.push({
      data: { values: fitted },
      mark: { type: 'line', strokeDash: [6, 4], color: '#d62728' },
      encoding: {
        x: { field: 'cycle', type: 'quantitative' },
        y: { field: 'value', type: 'quantitative' },
      },
    });
  }
  const slope =
    input.fit && Number.isFinite(input.fit.slope)
      ? ` — Theil–Sen slope ${input.fit.slope.toFixed(1)} ${input.unit}/cycle`
      : '';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${input.title}${slope}`,
    width: 640,
    height: 260,
    layer: layers,
  } as vl.TopLevelSpec;
}

export function latencyChartSpec(
  timings: readonly { cycle: number; startMs: number | null; stopMs: number | null }[],
): vl.TopLevelSpec {
  const values = decimate(timings, MAX_CHART_POINTS).flatMap((t) => [
    ...(t.startMs !== null
      ? [{ cycle: t.cycle, ms: t.startMs, phase: 'start (DriverEntry)' }]
      : []),
    ...(t.stopMs !== null ? [{ cycle: t.cycle, ms: t.stopMs, phase: 'stop (DriverUnload)' }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Start and stop latency per cycle',
    width: 640,
    height: 260,
    data: { values },
    mark: { type: 'line', strokeWidth: 1 },
    encoding: {
      x: { field: 'cycle', type: 'quantitative', title: 'cycle' },
      y: { field: 'ms', type: 'quantitative', title: 'ms' },
      color: { field: 'phase', type: 'nominal', title: null },
    },
  } as vl.TopLevelSpec;
}

/**
 * The compare spec's side-by-side chart: each build's start and stop latency distribution as box
 * plots (median, quartiles, whiskers), baseline beside candidate, on a log scale so a driver
 * seconds slower and one a millisecond slower both read. The title states the finding.
 */
export function comparisonChartSpec(
  title: string,
  builds: readonly {
    readonly name: string;
    readonly startMs: readonly number[];
    readonly stopMs: readonly number[];
  }[],
): vl.TopLevelSpec {
  const values = builds.flatMap((b) => [
    ...decimate(b.startMs, MAX_CHART_POINTS).map((ms) => ({ build: b.name, phase: 'start', ms })),
    ...decimate(b.stopMs, MAX_CHART_POINTS).map((ms) => ({ build: b.name, phase: 'stop', ms })),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: values.map((v) => ({ ...v, ms: Math.max(v.ms, 0.01) })) },
    facet: { column: { field: 'phase', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 260,
      mark: { type: 'boxplot', extent: 'min-max' },
      encoding: {
        x: {
          field: 'build',
          type: 'nominal',
          title: null,
          sort: builds.map((b) => b.name),
          axis: { labelAngle: 0, labelLimit: 300 },
        },
        y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
        color: { field: 'build', type: 'nominal', legend: null },
      },
    },
  } as vl.TopLevelSpec;
}
