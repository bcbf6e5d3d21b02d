/**
 * A blocking SCM call as a watchdog on another thread sees it. A batch thread runs its calls
 * inline (target/batch-thread.ts), so its own timers cannot fire while a driver hangs in
 * DriverEntry or DriverUnload: the thread that owns the batch watches the call and gives up on it
 * at its bound, as DriverServices' own timer does for a call on the worker pool.
 */
import type { ScmOperation } from '../../core/errors.ts';

/** The operations DriverServices bounds: each one waits for driver code. */
export const BOUND_OPERATIONS = [
  'StartService',
  'ControlService',
  'UpdateDriverForPlugAndPlayDevices',
  'SetupDiCallClassInstaller(DIF_REMOVE)',
  'CM_Enable_DevNode',
  'CM_Disable_DevNode',
] as const satisfies readonly ScmOperation[];
export type BoundOperation = (typeof BOUND_OPERATIONS)[number];

export interface WatchedCall {
  readonly operation: BoundOperation;
  readonly service: string;
  readonly boundMs: number;
  /** When the operation began, in ms since the epoch (threads have different performance clocks). */
  readonly startedAtEpochMs: number;
  readonly cycle: number | undefined;
}

export interface CallWatch {
  begin(call: WatchedCall): void;
  /** After the call: false when the watchdog gave up on it meanwhile. */
  end(): boolean;
}

/** The call returned after the watchdog had already reported it as timed out: nothing more to do. */
export class CallAbandonedError extends Error {
  /** `subject`: the service, or the device an I/O table's open or close was for. */
  constructor(operation: string, subject: string) {
    super(`${operation} on "${subject}" returned after its bound had been reported as exceeded.`);
    this.name = 'CallAbandonedError';
  }
}
