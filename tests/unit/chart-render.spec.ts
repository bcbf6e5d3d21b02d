import { expect, test } from '@playwright/test';
import {
  ChartThread,
  chartOrProblem,
  renderOnThisThread,
  renderSvg,
} from '../../src/report/chart-render.ts';
import { latencyChartSpec, memoryChartSpec } from '../../src/report/charts.ts';

const memory = memoryChartSpec({
  title: 'dc_x',
  unit: 'B',
  series: [
    { cycle: 1, value: 0 },
    { cycle: 2, value: 256 },
  ],
  fit: { slope: 256, intercept: -256 },
});

test('the chart thread renders the same SVG as the calling thread, charts in flight together', async () => {
  const thread = new ChartThread();
  try {
    const latency = latencyChartSpec([
      { cycle: 1, startMs: 3, stopMs: 1 },
      { cycle: 2, startMs: 4, stopMs: null },
    ]);
    const [a, b] = await Promise.all([thread.render(memory), thread.render(latency)]);
    expect(a).toBe(await renderOnThisThread(memory));
    expect(b).toBe(await renderOnThisThread(latency));
    expect(a).toContain('Theil–Sen slope 256.0 B/cycle');
  } finally {
    await thread.close();
  }
});

test("a chart the renderer rejects fails with vega's reason, and the thread renders the next one", async () => {
  const thread = new ChartThread();
  try {
    const bad = {
      $schema: memory.$schema,
      data: { values: [] },
      mark: 'no-such-mark',
    } as unknown as typeof memory;
    const reason = await renderOnThisThread(bad).then(
      () => 'rendered',
      (e: Error) => e.message,
    );
    await expect(thread.render(bad)).rejects.toThrow(`chart rendering failed: ${reason}`);
    expect(await thread.render(memory)).toContain('<svg');
    expect(thread.usable).toBe(true);
  } finally {
    await thread.close();
  }
});

test('a thread that cannot load the renderer fails its renders with the reason, not hangs', async () => {
  // Fake module locations: the thread starts, and its import of them fails.
  const thread = new ChartThread({
    vega: 'file:///nonexistent/vega.js',
    vegaLite: 'file:///nonexistent/vega-lite.js',
  });
  try {
    await expect(thread.render(memory)).rejects.toThrow(/^chart rendering failed: .*nonexistent/);
  } finally {
    await thread.close();
  }
  // renderSvg's own thread is a real one: it renders.
  expect(await renderSvg(memory)).toContain('Theil–Sen slope 256.0 B/cycle');
});

test("a chart that cannot be drawn is the report's problem, given as text, never the test's failure", async () => {
  const bad = {
    $schema: memory.$schema,
    data: { values: [] },
    mark: 'no-such-mark',
  } as unknown as typeof memory;
  const drawn = await chartOrProblem(memory);
  expect('svg' in drawn && drawn.svg.startsWith('<svg')).toBe(true);
  const refused = await chartOrProblem(bad);
  expect(refused).toEqual({ problem: expect.stringMatching(/^chart rendering failed: /) });
});
