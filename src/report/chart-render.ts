/**
 * Renders the reports' vega-lite charts to SVG on a thread of their own. vega and vega-lite cost
 * 0.3-1 s of CPU to load (more through Playwright's module hooks) and ~0.1 s for a first chart:
 * on the worker's thread that came between a test's last cycle and its verdict, and slowed the
 * worker's start. The thread is started early (as a worker's machine is acquired) and loads
 * beside the test; the test waits only for its SVGs. Where no thread can run the charts (it
 * failed to start or died), they are rendered on the calling thread as before.
 */
import { Worker } from 'node:worker_threads';
import type * as Vega from 'vega';
import type * as vl from 'vega-lite';

/** The thread's own code: a script, so it needs no TypeScript loader and no file of its own. */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = Promise.all([import(workerData.vega), import(workerData.vegaLite)]);
loaded.catch(() => {});
const render = async ([vega, vegaLite], spec) => {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};
// A first chart costs ~3 times the next ones (cold code): one nobody waits for goes first.
loaded.then((modules) => render(modules, workerData.warmUp)).catch(() => {});
parentPort.on('message', async ({ id, spec }) => {
  try {
    parentPort.postMessage({ id, svg: await render(await loaded, spec) });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

/** Like the charts of a test: lines over cycles, two series, a layer. */
const WARM_UP_CHART = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 100,
  height: 50,
  data: {
    values: [
      { cycle: 1, ms: 1, phase: 'start' },
      { cycle: 2, ms: 2, phase: 'stop' },
    ],
  },
  layer: [
    {
      mark: 'line',
      encoding: {
        x: { field: 'cycle', type: 'quantitative' },
        y: { field: 'ms', type: 'quantitative' },
        color: { field: 'phase', type: 'nominal' },
      },
    },
    { mark: 'point', encoding: { x: { field: 'cycle', type: 'quantitative' } } },
  ],
};

interface Reply {
  readonly id: number;
  readonly svg?: string;
  readonly error?: string;
}

/** Where the thread imports vega and vega-lite from (a test points it at modules that fail). */
export interface ChartModules {
  readonly vega: string;
  readonly vegaLite: string;
}

export function chartModules(): ChartModules {
  return { vega: import.meta.resolve('vega'), vegaLite: import.meta.resolve('vega-lite') };
}

export class ChartThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (svg: string) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  /** Why the thread cannot render any more (it died): renders go to the calling thread. */
  private broken: string | undefined;

  constructor(modules: ChartModules = chartModules()) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { ...modules, warmUp: WARM_UP_CHART },
    });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.settled(reply.id);
      if (reply.svg !== undefined) waiting.resolve(reply.svg);
      else waiting.reject(new Error(`chart rendering failed: ${reply.error ?? 'no reason given'}`));
    });
    const fail = (why: string) => {
      this.broken ??= why;
      for (const [id, waiting] of this.pending) {
        this.settled(id);
        waiting.reject(new ChartThreadGone(why));
      }
    };
    this.worker.on('error', (error) => fail(error.message));
    this.worker.on('exit', (code) => fail(`the chart thread exited (code ${code})`));
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  render(spec: vl.TopLevelSpec): Promise<string> {
    if (this.broken) return Promise.reject(new ChartThreadGone(this.broken));
    const id = this.nextId++;
    const reply = new Promise<string>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    // Kept alive while a chart is on its way, never because of the thread alone.
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, spec });
    return reply;
  }

  async close(): Promise<void> {
    this.broken ??= 'closed';
    await this.worker.terminate();
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }
}

class ChartThreadGone extends Error {}

let thread: ChartThread | undefined;

/** Starts the chart thread loading, so the first chart does not wait for it (idempotent). */
export function startChartRenderer(): void {
  if (thread?.usable) return;
  try {
    thread = new ChartThread();
  } catch {
    thread = undefined;
  }
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  startChartRenderer();
  if (thread?.usable) {
    try {
      return await thread.render(spec);
    } catch (error) {
      if (!(error instanceof ChartThreadGone)) throw error;
    }
  }
  return renderOnThisThread(spec);
}

export async function renderOnThisThread(spec: vl.TopLevelSpec): Promise<string> {
  const [vega, vegaLite]: [typeof Vega, typeof vl] = await Promise.all([
    import('vega'),
    import('vega-lite'),
  ]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * A chart for a test's report, or why it could not be drawn: a chart belongs to the report, not
 * to the verdict, so a failure to draw it never fails the test (its data stays in the test's
 * metrics.ndjson and CSV).
 */
export async function chartOrProblem(
  spec: vl.TopLevelSpec,
): Promise<{ svg: string } | { problem: string }> {
  try {
    return { svg: await renderSvg(spec) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}
