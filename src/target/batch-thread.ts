/**
 * Runs a batch on a thread of its own (batch-thread-worker.ts), its SCM calls inline: under Wine each
 * hand-over between threads is a wineserver round trip, and a batch on the agent's thread made
 * two per cycle (to its call workers and back), on the cycle's own path. Records come back through
 * shared memory (record-ring.ts); a message tells the owner to read them. On Windows that message
 * follows every cycle, so the runner learns of each cycle as it ends (a bugcheck takes the agent
 * with it: the records it sent are the evidence of which cycle crashed). The owning thread stays
 * free (the agent answers heartbeats) and watches the call in progress: one that overruns its
 * bound is reported here, as DriverServices reports it for a call on its worker pool, after the
 * records before it, and the thread stuck in it is abandoned.
 */
import { Worker } from 'node:worker_threads';
import { reviveError, ScmTimeoutError, type WireError } from '../core/errors.ts';
import type {
  Availability,
  CycleOptions,
  CycleRecord,
  IoFailure,
  SampleRequest,
} from '../core/records.ts';
import type { DeviceSpec } from '../windows/pnp/devices.ts';
import { stateName, type ServiceStatus } from '../windows/scm/status.ts';
import {
  isDeviceOperation,
  type BatchControl,
  type BatchControlBuffers,
  type OverdueCall,
} from './batch-thread-control.ts';
import { failed } from './cycle-loop.ts';
import {
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
} from '../windows/scm/driver-services.ts';

export interface BatchRequest {
  readonly name: string;
  readonly options: CycleOptions;
  readonly pnp?: DeviceSpec;
  readonly sample?: { readonly request: SampleRequest; readonly availability: Availability };
  readonly unloadsWithLastDevice: boolean;
  /**
   * Fewest milliseconds between two hand-overs of records to the owner, a failed cycle's and the
   * batch's end excepted: 0 on Windows (every cycle); more under Wine (see LocalTarget).
   */
  readonly handOverEveryMs: number;
  readonly control: BatchControlBuffers;
}

/** From the batch thread: read the records (`records`), the batch failed, the batch ended. */
export type BatchMessage =
  | { readonly type: 'records' }
  | { readonly type: 'error'; readonly error: WireError }
  | { readonly type: 'end' };

type Delivery =
  | { readonly type: 'record'; readonly record: CycleRecord }
  | Exclude<BatchMessage, { type: 'records' }>;

/**
 * How often the owner looks at the call in progress: a bound is kept to within this, 1/50 of the
 * batch's shortest bound (its start, stop, or I/O table's open/close bound), between 25 ms and 250 ms (the default 30 s bounds). Each look wakes the
 * agent's thread, and under Wine a wake-up is a few wineserver round trips beside the cycle.
 */
export function watchEveryMs(options: CycleOptions): number {
  const bound = Math.min(
    options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    options.io?.openTimeoutMs ?? Number.POSITIVE_INFINITY,
    ...(options.io?.operations.map((op) => op.timeoutMs) ?? []),
  );
  return Math.min(250, Math.max(25, Math.floor(bound / 50)));
}

export class BatchThreads {
  /** One thread kept for the next batch: starting one costs tens of milliseconds under Wine. */
  private idle: Worker | undefined;
  private readonly spawn: () => Worker;

  /** `spawn` starts a batch thread: batch-thread-worker.ts, unless a test gives a fake one. */
  constructor(spawn: () => Worker = spawnBatchWorker) {
    this.spawn = spawn;
  }

  /**
   * The batch's records as they complete. Cancel through `control` (the cycle under way
   * finishes); `query` reads the service's state for a call given up on.
   */
  async *run(
    request: Omit<BatchRequest, 'control'>,
    control: BatchControl,
    query: (name: string) => ServiceStatus,
  ): AsyncGenerator<CycleRecord> {
    const worker = this.idle ?? this.spawn();
    this.idle = undefined;
    const queue: Delivery[] = [];
    // Records before anything else the batch thread says: they were appended first.
    const takeRecords = () => {
      for (const line of control.records.take())
        queue.push({ type: 'record', record: JSON.parse(line) as CycleRecord });
    };
    let wake: (() => void) | undefined;
    let crashed: Error | undefined;
    let ended = false;
    const onMessage = (message: BatchMessage) => {
      takeRecords();
      if (message.type === 'end') ended = true;
      if (message.type !== 'records') queue.push(message);
      wake?.();
    };
    const onError = (error: Error) => {
      takeRecords();
      crashed = error;
      wake?.();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ ...request, control: control.buffers } satisfies BatchRequest);
    const every = watchEveryMs(request.options);
    // One interval for the whole batch: a timeout set and cleared around every record left Node's
    // timer armed for the cleared one's expiry, a second wake-up per record for nothing. Each look
    // also takes the records a batch thread holds back between hand-overs.
    const watch = setInterval(() => {
      takeRecords();
      wake?.();
    }, every);
    let abandoned = false;
    try {
      for (;;) {
        const next = queue.shift();
        if (next?.type === 'record') {
          yield next.record;
          continue;
        }
        if (next?.type === 'error') throw reviveError(next.error);
        if (next?.type === 'end') return;
        if (crashed) throw crashed;
        const overdue = control.claimOverdue(Date.now());
        if (overdue) {
          abandoned = true;
          // The stuck thread will say nothing more: the records it appended come first.
          takeRecords();
          for (const held of queue.splice(0)) if (held.type === 'record') yield held.record;
          yield overdueRecord(request.name, overdue, query);
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      clearInterval(watch);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (!ended && !abandoned && !crashed) {
        // The consumer stopped early: the batch ends after the cycle under way, or at its bound.
        control.cancel();
        ended = await untilEnd(worker, control, every);
      }
      if (ended && !this.idle) this.idle = worker;
      else void worker.terminate();
    }
  }

  close(): void {
    void this.idle?.terminate();
    this.idle = undefined;
  }
}

function spawnBatchWorker(): Worker {
  // .ts from the sources (Node 22 strips types), .js from the published build and the bundle.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = new Worker(new URL(`./batch-thread-worker${extension}`, import.meta.url));
  // A thread stuck in driver code must not keep the agent alive.
  worker.unref();
  return worker;
}

/** True when the batch thread ended; false when its call ran past its bound and was given up on. */
function untilEnd(worker: Worker, control: BatchControl, every: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const finish = (endedItself: boolean) => {
      clearInterval(watch);
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolve(endedItself);
    };
    const onMessage = (message: BatchMessage) => {
      control.records.take();
      if (message.type === 'end') finish(true);
    };
    const onError = () => finish(false);
    const watch = setInterval(() => {
      // No one reads these any more; taken so the batch thread never waits on a full ring.
      control.records.take();
      if (control.claimOverdue(Date.now())) finish(false);
    }, every);
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

/**
 * What DriverServices' own timer reports for a call on its pool, built on the owning thread; for
 * the I/O table's open or close, the hang of that call, as io-run.ts reports a call's.
 */
export function overdueRecord(
  name: string,
  call: OverdueCall,
  query: (name: string) => ServiceStatus,
): CycleRecord {
  let state = 'UNKNOWN';
  try {
    state = stateName(query(name).state);
  } catch {
    // the query itself failing is reported as UNKNOWN
  }
  if (call.device) return deviceHangRecord(call, call.device, state);
  if (isDeviceOperation(call.operation))
    throw new Error(`The watchdog claimed a device ${call.operation} without its details.`);
  const error = new ScmTimeoutError({
    operation: call.operation,
    service: name,
    state,
    elapsedMs: call.elapsedMs,
    boundMs: call.boundMs,
    cycle: call.cycle,
  });
  // A bound overrun before the first cycle (a device set up for disable/enable) fails the batch.
  if (call.cycle === undefined) throw error;
  // A stop given up on while the service was still starting is the start's failure, as the
  // batch itself would have found (cycle-loop.ts, unconfirmedStart).
  const unloading = call.phase === 'unload' && state !== 'START_PENDING';
  return failed(
    { query },
    name,
    call.cycle,
    unloading ? 'stop-failed' : 'start-failed',
    unloading ? call.startMs : null,
    null,
    error,
  );
}

/**
 * The cycle's record when the I/O table's open, close or call overran its bound: a hang of that
 * call (the batch thread stays stuck in it). A call carries its own description, made on the batch
 * thread; the watchdog adds the time it saw. A close after a failed call keeps that failure as the
 * cycle's: it came first.
 */
function deviceHangRecord(
  call: OverdueCall,
  device: NonNullable<OverdueCall['device']>,
  state: string,
): CycleRecord {
  const hang: IoFailure = device.hang
    ? { ...device.hang, elapsedMs: call.elapsedMs, boundMs: call.boundMs }
    : {
        kind: 'hang',
        operation: call.operation,
        description: `${call.operation} ${device.path}`,
        call: 1,
        elapsedMs: call.elapsedMs,
        boundMs: call.boundMs,
        afterCancel: 'still-pending',
        expected:
          call.operation === 'open'
            ? "the driver's IRP_MJ_CREATE completed"
            : "the driver's IRP_MJ_CLEANUP and IRP_MJ_CLOSE completed",
      };
  return {
    cycle: call.cycle ?? 0,
    outcome: 'io-failed',
    startMs: call.startMs,
    stopMs: null,
    state,
    io: [...device.operations],
    ioFailure: device.failure ?? hang,
    ...(device.failure ? { ioCloseHang: hang } : {}),
  };
}
