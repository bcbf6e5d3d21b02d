/**
 * The state a batch thread shares with the thread that owns the batch, in shared memory, so it
 * costs the cycling thread no message: whether the batch is cancelled, the phase of the cycle
 * under way, the blocking call in progress with its bound, and the records of the cycles done
 * (record-ring.ts). The owner reads it to give up on a call that overruns its bound (the batch
 * thread is then stuck in driver code and cannot). Whoever moves the call from "running" first wins: the batch thread when the call returns in
 * time, the owner when it claims it as overdue.
 */
import {
  BOUND_OPERATIONS,
  type BoundOperation,
  type CallWatch,
  type WatchedCall,
} from '../windows/scm/blocking-call-watch.ts';
import { RecordRing, type RecordRingBuffers } from './record-ring.ts';

const CANCELLED = 0;
const CALL = 1;
const CALL_CYCLE = 2;
const CALL_OPERATION = 3;
const PHASE = 4;
const PHASE_CYCLE = 5;
const INT_SLOTS = 6;

const CALL_STARTED = 0;
const CALL_BOUND = 1;
const PHASE_START_MS = 2;
const FLOAT_SLOTS = 3;

const IDLE = 0;
const RUNNING = 1;
const CLAIMED = 2;

const NO_CYCLE = -1;
const PHASES = ['none', 'load', 'unload'] as const;

/** A call the owner claimed: what the record of its cycle needs. */
export interface OverdueCall {
  readonly operation: BoundOperation;
  readonly cycle: number | undefined;
  readonly elapsedMs: number;
  readonly boundMs: number;
  /** The phase of the cycle the call belongs to, and that cycle's load time when it is unloading. */
  readonly phase: 'load' | 'unload' | 'none';
  readonly startMs: number | null;
}

export interface BatchControlBuffers {
  readonly ints: SharedArrayBuffer;
  readonly floats: SharedArrayBuffer;
  readonly records: RecordRingBuffers;
}

export class BatchControl implements CallWatch {
  readonly buffers: BatchControlBuffers;
  /** Each side's end of the records' ring: the batch thread appends, the owner takes. */
  readonly records: RecordRing;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;

  constructor(
    buffers: BatchControlBuffers = {
      ints: new SharedArrayBuffer(INT_SLOTS * Int32Array.BYTES_PER_ELEMENT),
      floats: new SharedArrayBuffer(FLOAT_SLOTS * Float64Array.BYTES_PER_ELEMENT),
      records: new RecordRing().buffers,
    },
  ) {
    this.buffers = buffers;
    this.records = new RecordRing(buffers.records);
    this.ints = new Int32Array(buffers.ints);
    this.floats = new Float64Array(buffers.floats);
  }

  // The owner's side.

  cancel(): void {
    Atomics.store(this.ints, CANCELLED, 1);
  }

  /** Claims the call in progress when it has run past its bound at `nowEpochMs`. */
  claimOverdue(nowEpochMs: number): OverdueCall | undefined {
    if (Atomics.load(this.ints, CALL) !== RUNNING) return undefined;
    const cycle = Atomics.load(this.ints, CALL_CYCLE);
    const operation = BOUND_OPERATIONS[Atomics.load(this.ints, CALL_OPERATION)]!;
    const started = this.floats[CALL_STARTED]!;
    const boundMs = this.floats[CALL_BOUND]!;
    if (nowEpochMs - started < boundMs) return undefined;
    if (Atomics.compareExchange(this.ints, CALL, RUNNING, CLAIMED) !== RUNNING) return undefined;
    const sameCycle = Atomics.load(this.ints, PHASE_CYCLE) === cycle;
    const phase = sameCycle ? PHASES[Atomics.load(this.ints, PHASE)]! : 'none';
    const startMs = this.floats[PHASE_START_MS]!;
    return {
      operation,
      cycle: cycle === NO_CYCLE ? undefined : cycle,
      elapsedMs: nowEpochMs - started,
      boundMs,
      phase,
      startMs: phase === 'unload' && !Number.isNaN(startMs) ? startMs : null,
    };
  }

  // The batch thread's side.

  get cancelled(): boolean {
    return Atomics.load(this.ints, CANCELLED) === 1;
  }

  phase(cycle: number, phase: 'load' | 'unload', startMs: number | null): void {
    this.floats[PHASE_START_MS] = startMs ?? Number.NaN;
    Atomics.store(this.ints, PHASE, PHASES.indexOf(phase));
    Atomics.store(this.ints, PHASE_CYCLE, cycle);
  }

  begin(call: WatchedCall): void {
    this.floats[CALL_STARTED] = call.startedAtEpochMs;
    this.floats[CALL_BOUND] = call.boundMs;
    Atomics.store(this.ints, CALL_CYCLE, call.cycle ?? NO_CYCLE);
    Atomics.store(this.ints, CALL_OPERATION, BOUND_OPERATIONS.indexOf(call.operation));
    // Last: the owner reads the fields above only once it sees the call running.
    Atomics.store(this.ints, CALL, RUNNING);
  }

  end(): boolean {
    return Atomics.compareExchange(this.ints, CALL, RUNNING, IDLE) === RUNNING;
  }
}
