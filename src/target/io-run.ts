/**
 * One run of the I/O table between a load and its unload, on the batch's thread: open the device,
 * make each operation's calls in order (then, in fuzz mode, its hostile calls), close the device.
 * Every call waits on its own event with its operation's bound (the thread is never stuck in the
 * driver): a call past its bound is cancelled and is a hang; a call that ends with a status its
 * operation does not expect is one too. The first failure ends the run, named by its operation.
 * Opening and closing cannot wait on an event (CreateFileW waits for the driver's IRP_MJ_CREATE,
 * CloseHandle for its cleanup and close): the batch thread's watchdog bounds them with the
 * table's `openTimeoutMs`, and reports a hang itself when one overruns (batch-thread.ts).
 */
import { callSeed, fuzzCalls, type FuzzCall } from '../core/io-fuzz.ts';
import {
  describeExpect,
  describeOperation,
  hexBytes,
  statusExpected,
  tableDeviceName,
  type IoOperation,
  type IoTable,
} from '../core/io-table.ts';
import type { IoFailure, IoOperationRecord } from '../core/records.ts';
import { CallAbandonedError } from '../windows/scm/blocking-call-watch.ts';
import { deviceInterfacePath } from '../windows/io/device-interface.ts';
import {
  DeviceOpenFailed,
  openDevice,
  type IoCall,
  type IoCallEnd,
  type IoDevice,
  type IoRequest,
} from '../windows/io/device-io.ts';

/** How a call learns under Wine that the driver's host died under it (drivers/BUILD-NOTES.md). */
export const STATUS_FILE_DELETED = 0xc0000123;
/** After a cancel, how long a call has to end before it is given up on. */
const AFTER_CANCEL_MS = 1_000;

export interface IoRunResult {
  readonly operations: IoOperationRecord[];
  readonly failure?: IoFailure;
}

/** Opens the table's device: its path, or the first present interface of its class. */
export type DeviceOpener = (
  table: IoTable,
) => IoDevice | { readonly win32: number; readonly path: string };

/** The target's own opener: CreateFileW on the table's device path or interface. */
export const openTableDevice: DeviceOpener = (table) => {
  let path = table.device;
  if (path === undefined) {
    const found = deviceInterfacePath(table.deviceInterface!);
    if ('win32' in found) return { win32: found.win32, path: `interface ${table.deviceInterface}` };
    path = found.path;
  }
  try {
    return openDevice(path);
  } catch (error) {
    if (error instanceof DeviceOpenFailed) return { win32: error.win32, path };
    throw error;
  }
};

/**
 * Opening or closing the device, or issuing one of the table's calls, as the watchdog on another
 * thread sees it. A call is watched while it is being issued: a dispatch routine that never
 * returns holds the caller there (Windows runs it in the caller's thread; Wine's ntdll waits for
 * an IRP the routine completes synchronously), past the reach of the call's own event wait.
 */
export interface DeviceCall {
  readonly operation: 'open' | 'close' | 'call';
  /** The device path, or the interface class whose first present interface is opened. */
  readonly path: string;
  readonly boundMs: number;
  /** When the call began, in ms since the epoch (threads have different performance clocks). */
  readonly startedAtEpochMs: number;
  readonly cycle: number;
  /** The operations run so far this cycle: a close given up on reports them. */
  readonly operations: readonly IoOperationRecord[];
  /** A close after a failed call: that failure is the cycle's, the close's hang beside it. */
  readonly failure?: IoFailure;
  /** A call: the hang to report when it is given up on (the watchdog fills in the time). */
  readonly hang?: IoFailure;
}

/** The watchdog's side as the batch thread sees it (BatchControl). */
export interface DeviceCallWatch {
  beginDeviceCall(call: DeviceCall): void;
  /** After the call: false when the watchdog gave up on it meanwhile. */
  end(): boolean;
}

export interface IoRunOptions {
  readonly cycle: number;
  /** The fuzz seed in effect (the table's, or one drawn for the batch). */
  readonly seed?: number;
  readonly now?: () => number;
  /** Bounds the open, the close and each call's issue from another thread (a batch thread's watchdog). */
  readonly watch?: DeviceCallWatch;
  /**
   * Under Wine, after the close: returns once the driver's host has finished dispatching it
   * (host-barrier.ts). Wine's CloseHandle does not wait for the driver's IRP_MJ_CLOSE, and its
   * host runs a stop's DriverUnload while the close may still be in the driver; Windows holds
   * the unload until the device's last reference is gone. Bounded as the close is.
   */
  readonly afterClose?: () => void;
}

/** Runs `step` under the watchdog: a step it gave up on ends the batch (it reported the hang). */
function underWatch<T>(
  watch: DeviceCallWatch | undefined,
  call: DeviceCall,
  step: () => T,
  abandon?: (value: T) => void,
): T {
  watch?.beginDeviceCall(call);
  let value: T;
  try {
    value = step();
  } catch (error) {
    watch?.end();
    throw error;
  }
  if (watch && !watch.end()) {
    abandon?.(value);
    throw new CallAbandonedError(call.hang?.operation ?? call.operation, call.path);
  }
  return value;
}

export function runIoTable(table: IoTable, open: DeviceOpener, options: IoRunOptions): IoRunResult {
  const now = options.now ?? (() => performance.now());
  const operations: IoOperationRecord[] = [];
  const path = tableDeviceName(table);
  const watched = <T>(
    operation: 'open' | 'close',
    step: () => T,
    abandon?: (value: T) => void,
    failure?: IoFailure,
  ) =>
    underWatch(
      options.watch,
      {
        operation,
        path,
        boundMs: table.openTimeoutMs,
        startedAtEpochMs: Date.now(),
        cycle: options.cycle,
        operations,
        ...(failure ? { failure } : {}),
      },
      step,
      abandon,
    );
  const openedAt = now();
  const device = watched(
    'open',
    () => open(table),
    (late) => {
      if ('call' in late) late.close();
    },
  );
  if (!('call' in device))
    return {
      operations,
      failure: {
        kind: 'open-failed',
        operation: 'open',
        description: `open ${device.path}`,
        call: 1,
        win32: device.win32,
        elapsedMs: now() - openedAt,
      },
    };
  let failure: IoFailure | undefined;
  try {
    failure = runOperations(table, device, options, now, operations, path);
  } catch (error) {
    device.close();
    throw error;
  }
  // The close is bounded too; given up on, it is reported with this run's failure if it had one.
  watched('close', () => device.close(), undefined, failure);
  if (options.afterClose) watched('close', options.afterClose, undefined, failure);
  return failure ? { operations, failure } : { operations };
}

/** Each operation's calls in order, recorded in `operations`; the first failure ends them. */
function runOperations(
  table: IoTable,
  device: IoDevice,
  options: IoRunOptions,
  now: () => number,
  operations: IoOperationRecord[],
  path: string,
): IoFailure | undefined {
  for (const op of table.operations) {
    const record = {
      name: op.name,
      calls: 0,
      ntstatus: null as number | null,
      win32: null as number | null,
      bytes: 0,
      totalMs: 0,
      maxMs: 0,
    };
    operations.push(record);
    const calls: { request: IoRequest; fuzz?: FuzzCall; expectAny: boolean }[] = [];
    for (let i = 0; i < op.repeat; i++) calls.push({ request: requestOf(op), expectAny: false });
    if (table.fuzz && options.seed !== undefined)
      for (const fuzz of fuzzCalls(
        op,
        callSeed(options.seed, options.cycle, op.name),
        table.fuzz.randomCalls,
      ))
        calls.push({ request: fuzzRequest(op, fuzz), fuzz, expectAny: true });
    for (const [n, planned] of calls.entries()) {
      const described = {
        operation: op.name,
        ...(op.kind === 'ioctl' ? { code: op.ioctl } : {}),
        description: describeOperation(op),
        call: n + 1,
        request: {
          inputLength: planned.request.inputLength,
          outputLength: planned.request.outputLength,
          ...(planned.request.input === null ? { nullInput: true } : {}),
          ...(planned.request.nullOutput ? { nullOutput: true } : {}),
          ...(planned.request.misaligned ? { misaligned: true } : {}),
          ...(planned.fuzz ? { fuzz: planned.fuzz.label, seed: options.seed! } : {}),
          ...(planned.request.input && planned.request.input.length > 0
            ? { inputHex: Buffer.from(planned.request.input.subarray(0, 64)).toString('hex') }
            : {}),
        },
      };
      const issue = () =>
        underWatch(
          options.watch,
          {
            operation: 'call',
            path,
            boundMs: op.timeoutMs,
            startedAtEpochMs: Date.now(),
            cycle: options.cycle,
            operations,
            hang: {
              ...described,
              kind: 'hang',
              elapsedMs: op.timeoutMs,
              boundMs: op.timeoutMs,
              afterCancel: 'never-returned',
              expected: describeExpect(op.expect),
            },
          },
          () => device.call(planned.request),
          (late) => late.release(),
        );
      const outcome = makeCall(issue, op, planned.fuzz, now);
      record.calls++;
      record.totalMs += outcome.elapsedMs;
      record.maxMs = Math.max(record.maxMs, outcome.elapsedMs);
      const base = { ...described, elapsedMs: outcome.elapsedMs };
      if (!outcome.end)
        return {
          ...base,
          kind: 'hang',
          boundMs: op.timeoutMs,
          afterCancel: outcome.afterCancel ?? 'still-pending',
          ...(outcome.afterCancelMs !== undefined ? { afterCancelMs: outcome.afterCancelMs } : {}),
          expected: describeExpect(op.expect),
        };
      record.ntstatus = outcome.end.ntstatus;
      record.win32 = outcome.end.win32;
      record.bytes += outcome.end.bytes;
      const expected = planned.expectAny
        ? outcome.end.ntstatus !== STATUS_FILE_DELETED
        : statusExpected(outcome.end, op.expect);
      if (!expected)
        return {
          ...base,
          kind: 'unexpected-status',
          ntstatus: outcome.end.ntstatus,
          win32: outcome.end.win32,
          expected: planned.expectAny
            ? 'any status but 0xC0000123 STATUS_FILE_DELETED (the device gone)'
            : describeExpect(op.expect),
        };
    }
  }
  return undefined;
}

/** One call, bounded: cancelled at its `cancelAfterMs` (or at once, a fuzz case) and at its bound. */
function makeCall(
  issue: () => IoCall,
  op: IoOperation,
  fuzz: FuzzCall | undefined,
  now: () => number,
): {
  end: IoCallEnd | undefined;
  elapsedMs: number;
  afterCancel?: 'ended' | 'still-pending' | 'returned-late';
  afterCancelMs?: number;
} {
  const started = now();
  const call = issue();
  try {
    // The call itself returned, done, only past its bound: its dispatch routine completed it
    // synchronously and held the caller that long (Wine's ntdll waits for such an IRP; on
    // Windows the routine runs in the caller's thread). Past the bound is a hang all the same.
    const issuedMs = now() - started;
    if (issuedMs > op.timeoutMs && call.wait(0))
      return { end: undefined, elapsedMs: issuedMs, afterCancel: 'returned-late' };
    const cancelAfter = fuzz?.cancelAtOnce ? 0 : fuzz ? undefined : op.cancelAfterMs;
    let end: IoCallEnd | undefined;
    if (cancelAfter !== undefined) {
      end = call.wait(cancelAfter);
      if (!end) {
        call.cancel();
        end = call.wait(Math.max(0, op.timeoutMs - (now() - started)));
      }
    } else {
      end = call.wait(op.timeoutMs);
      if (!end) {
        // Past its bound: a hang. Cancelled, to tell whether the driver ends it then.
        const elapsedMs = now() - started;
        call.cancel();
        const cancelledAt = now();
        const ended = call.wait(AFTER_CANCEL_MS) !== undefined;
        return ended
          ? { end, elapsedMs, afterCancel: 'ended', afterCancelMs: now() - cancelledAt }
          : { end, elapsedMs, afterCancel: 'still-pending' };
      }
    }
    return { end, elapsedMs: now() - started };
  } finally {
    call.release();
  }
}

function requestOf(op: IoOperation): IoRequest {
  if (op.kind === 'ioctl')
    return {
      kind: 'ioctl',
      code: op.ioctl,
      input: hexBytes(op.inputHex, op.inputSize),
      inputLength: op.inputSize,
      outputLength: op.outputSize,
    };
  if (op.kind === 'read')
    return { kind: 'read', input: new Uint8Array(0), inputLength: 0, outputLength: op.read };
  const data = hexBytes(op.write);
  return { kind: 'write', input: data, inputLength: data.length, outputLength: 0 };
}

function fuzzRequest(op: IoOperation, fuzz: FuzzCall): IoRequest {
  return {
    kind: op.kind,
    ...(op.kind === 'ioctl' ? { code: op.ioctl } : {}),
    input: fuzz.input,
    inputLength: fuzz.inputLength,
    outputLength: fuzz.outputLength,
    ...(fuzz.nullOutput ? { nullOutput: true } : {}),
    ...(fuzz.misaligned ? { misaligned: true } : {}),
  };
}
