/**
 * The state a batch thread shares with the thread that owns the batch, in shared memory, so it
 * costs the cycling thread no message: whether the batch is cancelled, the phase of the cycle
 * under way, the blocking call in progress with its bound (an SCM call, or the I/O table's open
 * or close of the device, with the device and the operations run so far), and the records of the
 * cycles done (record-ring.ts). The owner reads it to give up on a call that overruns its bound (the batch
 * thread is then stuck in driver code and cannot). Whoever moves the call from "running" first wins: the batch thread when the call returns in
 * time, the owner when it claims it as overdue.
 */
import {
  BOUND_OPERATIONS,
  type CallWatch,
  type WatchedCall,
} from '../windows/scm/blocking-call-watch.ts';
import type { IoFailure, IoOperationRecord } from '../core/records.ts';
import type { DeviceCall, DeviceCallWatch } from './io-run.ts';
import { RecordRing, type RecordRingBuffers } from './record-ring.ts';

/** The I/O table's device calls the owner bounds: the open, the close, and each call's issue. */
const DEVICE_OPERATIONS = [
  'open',
  'close',
  'call',
] as const satisfies readonly DeviceCall['operation'][];
/** Every call the owner bounds: the SCM's, then the I/O table's device calls. */
const WATCHED_OPERATIONS = [...BOUND_OPERATIONS, ...DEVICE_OPERATIONS] as const;
export type WatchedOperation = (typeof WATCHED_OPERATIONS)[number];

/** Whether a watched call is one of the device's (its details are in the shared device text). */
export function isDeviceOperation(
  operation: WatchedOperation,
): operation is DeviceCall['operation'] {
  return (DEVICE_OPERATIONS as readonly string[]).includes(operation);
}

const CANCELLED = 0;
const CALL = 1;
const CALL_CYCLE = 2;
const CALL_OPERATION = 3;
const PHASE = 4;
const PHASE_CYCLE = 5;
const DEVICE_BYTES = 6;
const INT_SLOTS = 7;

const CALL_STARTED = 0;
const CALL_BOUND = 1;
const PHASE_START_MS = 2;
const FLOAT_SLOTS = 3;

const IDLE = 0;
const RUNNING = 1;
const CLAIMED = 2;

const NO_CYCLE = -1;
const PHASES = ['none', 'load', 'unload', 'io'] as const;
/**
 * Room for the device call's details (its path and the operations' records, as JSON): 64
 * operations' records fit many times over; past it the records are left out, the path kept.
 */
const DEVICE_TEXT_BYTES = 64 * 1024;

/** A call the owner claimed: what the record of its cycle needs. */
export interface OverdueCall {
  readonly operation: WatchedOperation;
  readonly cycle: number | undefined;
  readonly elapsedMs: number;
  readonly boundMs: number;
  /** The phase of the cycle the call belongs to, and that cycle's load time once it has loaded. */
  readonly phase: (typeof PHASES)[number];
  readonly startMs: number | null;
  /** For the I/O table's open or close: the device, and the cycle's operations so far. */
  readonly device?: {
    readonly path: string;
    readonly operations: readonly IoOperationRecord[];
    readonly failure?: IoFailure;
    readonly hang?: IoFailure;
  };
}

export interface BatchControlBuffers {
  readonly ints: SharedArrayBuffer;
  readonly floats: SharedArrayBuffer;
  readonly device: SharedArrayBuffer;
  readonly records: RecordRingBuffers;
}

export class BatchControl implements CallWatch, DeviceCallWatch {
  readonly buffers: BatchControlBuffers;
  /** Each side's end of the records' ring: the batch thread appends, the owner takes. */
  readonly records: RecordRing;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;
  private readonly deviceText: Uint8Array;

  constructor(
    buffers: BatchControlBuffers = {
      ints: new SharedArrayBuffer(INT_SLOTS * Int32Array.BYTES_PER_ELEMENT),
      floats: new SharedArrayBuffer(FLOAT_SLOTS * Float64Array.BYTES_PER_ELEMENT),
      device: new SharedArrayBuffer(DEVICE_TEXT_BYTES),
      records: new RecordRing().buffers,
    },
  ) {
    this.buffers = buffers;
    this.records = new RecordRing(buffers.records);
    this.ints = new Int32Array(buffers.ints);
    this.floats = new Float64Array(buffers.floats);
    this.deviceText = new Uint8Array(buffers.device);
  }

  // The owner's side.

  cancel(): void {
    Atomics.store(this.ints, CANCELLED, 1);
  }

  /** Claims the call in progress when it has run past its bound at `nowEpochMs`. */
  claimOverdue(nowEpochMs: number): OverdueCall | undefined {
    if (Atomics.load(this.ints, CALL) !== RUNNING) return undefined;
    const cycle = Atomics.load(this.ints, CALL_CYCLE);
    const operation = WATCHED_OPERATIONS[Atomics.load(this.ints, CALL_OPERATION)]!;
    const started = this.floats[CALL_STARTED]!;
    const boundMs = this.floats[CALL_BOUND]!;
    if (nowEpochMs - started < boundMs) return undefined;
    if (Atomics.compareExchange(this.ints, CALL, RUNNING, CLAIMED) !== RUNNING) return undefined;
    const sameCycle = Atomics.load(this.ints, PHASE_CYCLE) === cycle;
    const phase = sameCycle ? PHASES[Atomics.load(this.ints, PHASE)]! : 'none';
    const startMs = this.floats[PHASE_START_MS]!;
    const loaded = phase === 'unload' || phase === 'io';
    return {
      operation,
      cycle: cycle === NO_CYCLE ? undefined : cycle,
      elapsedMs: nowEpochMs - started,
      boundMs,
      phase,
      startMs: loaded && !Number.isNaN(startMs) ? startMs : null,
      ...(isDeviceOperation(operation) ? { device: this.readDevice() } : {}),
    };
  }

  private readDevice(): NonNullable<OverdueCall['device']> {
    const length = Atomics.load(this.ints, DEVICE_BYTES);
    // Copied out first: TextDecoder does not read shared memory.
    return JSON.parse(new TextDecoder().decode(this.deviceText.slice(0, length))) as NonNullable<
      OverdueCall['device']
    >;
  }

  // The batch thread's side.

  get cancelled(): boolean {
    return Atomics.load(this.ints, CANCELLED) === 1;
  }

  phase(cycle: number, phase: 'load' | 'io' | 'unload', startMs: number | null): void {
    this.floats[PHASE_START_MS] = startMs ?? Number.NaN;
    Atomics.store(this.ints, PHASE, PHASES.indexOf(phase));
    Atomics.store(this.ints, PHASE_CYCLE, cycle);
  }

  begin(call: WatchedCall): void {
    this.watchCall(call.operation, call.startedAtEpochMs, call.boundMs, call.cycle);
  }

  beginDeviceCall(call: DeviceCall): void {
    const details = {
      path: call.path,
      operations: call.operations,
      failure: call.failure,
      hang: call.hang,
    };
    let text = new TextEncoder().encode(JSON.stringify(details));
    if (text.length > DEVICE_TEXT_BYTES)
      text = new TextEncoder().encode(JSON.stringify({ ...details, operations: [] }));
    this.deviceText.set(text.subarray(0, DEVICE_TEXT_BYTES));
    Atomics.store(this.ints, DEVICE_BYTES, Math.min(text.length, DEVICE_TEXT_BYTES));
    this.watchCall(call.operation, call.startedAtEpochMs, call.boundMs, call.cycle);
  }

  private watchCall(
    operation: WatchedOperation,
    startedAtEpochMs: number,
    boundMs: number,
    cycle: number | undefined,
  ): void {
    this.floats[CALL_STARTED] = startedAtEpochMs;
    this.floats[CALL_BOUND] = boundMs;
    Atomics.store(this.ints, CALL_CYCLE, cycle ?? NO_CYCLE);
    Atomics.store(this.ints, CALL_OPERATION, WATCHED_OPERATIONS.indexOf(operation));
    // Last: the owner reads the fields above only once it sees the call running.
    Atomics.store(this.ints, CALL, RUNNING);
  }

  end(): boolean {
    return Atomics.compareExchange(this.ints, CALL, RUNNING, IDLE) === RUNNING;
  }
}
