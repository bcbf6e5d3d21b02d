/**
 * The lab's verdict for an open or close of the I/O table's device that the driver never
 * completed. Under Wine 8, CreateFileW and CloseHandle do not wait for the driver's IRP_MJ_CREATE
 * or IRP_MJ_CLOSE (drivers/BUILD-NOTES.md), so the batch's watchdog, which bounds them on Windows,
 * sees nothing; the driver host's trace shows the IRP left pending (core/wine-create-trace.ts),
 * and the verdict is the same hang in io naming `open` or `close` and the device.
 */
import { tableDeviceName, type IoTable } from '../core/io-table.ts';
import { classifyIoFailure } from '../core/io-verdict.ts';
import type { Verdict } from '../core/verdict.ts';
import { pendingDeviceIrps } from '../core/wine-create-trace.ts';

export interface HostTraceContext {
  readonly driver: string;
  readonly scenario: string;
  /** The driver image's file name: its hosts' opens count. */
  readonly driverFile: string;
  readonly io: IoTable;
  /** The first cycle of the run the trace covers. */
  readonly firstCycle: number;
  /** Each cycle's time in the table's calls. */
  readonly ioMsByCycle: ReadonlyMap<number, number>;
}

/** The first open or close the driver left pending in `trace`, as a verdict; none: undefined. */
export function pendingOpenOrClose(trace: string, ctx: HostTraceContext): Verdict | undefined {
  const left = pendingDeviceIrps(trace, ctx.driverFile)[0];
  if (!left) return undefined;
  // The k-th open of the run is the table's k-th run.
  const cycle = ctx.firstCycle - 1 + left.open * ctx.io.everyCycles;
  return classifyIoFailure({
    driver: ctx.driver,
    scenario: ctx.scenario,
    cycle,
    failure: {
      kind: 'hang',
      operation: left.operation,
      description: `${left.operation} ${tableDeviceName(ctx.io)}`,
      call: 1,
      elapsedMs: ctx.ioMsByCycle.get(cycle) ?? 0,
      boundMs: ctx.io.openTimeoutMs,
      hostTrace: left.lines,
    },
    crashLines: [],
    state: 'STOPPED',
  });
}
