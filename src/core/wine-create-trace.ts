/**
 * The lab's view of a device open or close the driver never completes. Under Wine 8, CreateFileW
 * and CloseHandle on a driver's device do not wait for its IRP_MJ_CREATE or IRP_MJ_CLOSE: the
 * server queues the IRP to the driver host and returns at once (drivers/BUILD-NOTES.md), so the
 * batch's watchdog has nothing to bound there. The driver host's trace has what happened instead
 * (`WINEDEBUG=+pid,+relay,trace+ntoskrnl`, the lab's default), each line prefixed by
 * `pid:tid:`:
 *
 *   0120:0124:trace:ntoskrnl:dispatch_create device 000000000011D9F0 -> file 00000000001276B0
 *   0120:0124:Call driver dispatch 0000000140001370 (device=000000000011D9F0,irp=0000000000129F10)
 *   0120:0124:Ret  driver dispatch 0000000140001370 (device=000000000011D9F0,irp=0000000000129F10) retval=00000103
 *   0120:0124:trace:ntoskrnl:IofCompleteRequest 0000000000129F10 0
 *   0120:0124:trace:ntoskrnl:dispatch_close device 000000000011D9F0 file 00000000001276B0
 *
 * A create whose dispatch routine returned STATUS_PENDING (0x103) and whose IRP was not completed
 * before the file's close was dispatched was never completed while drvcycle used the device: on
 * Windows, CreateFileW would still be waiting. A close left pending the same way is found by the
 * next create in the host, or by the end of the text.
 */

export interface PendingDeviceIrp {
  readonly operation: 'open' | 'close';
  /** Which open of the text (1: the first `dispatch_create`): the I/O table's run in its order. */
  readonly open: number;
  readonly irp: string;
  /** The trace lines that show it: the dispatch, its return with STATUS_PENDING, what came next. */
  readonly lines: readonly string[];
}

const PREFIX = /^([0-9a-f]+):([0-9a-f]+):/i;
const LOAD = /trace:ntoskrnl:load_driver loading driver L"(.*)"/i;
const CREATE = /trace:ntoskrnl:dispatch_create device ([0-9a-f]+) -> file ([0-9a-f]+)/i;
const CLOSE = /trace:ntoskrnl:dispatch_close device ([0-9a-f]+) file ([0-9a-f]+)/i;
const CALL = /Call driver dispatch [0-9a-f]+ \(device=[0-9a-f]+,irp=([0-9a-f]+)\)/i;
const RET =
  /Ret {2}driver dispatch [0-9a-f]+ \(device=[0-9a-f]+,irp=([0-9a-f]+)\) retval=([0-9a-f]+)/i;
const COMPLETE = /trace:ntoskrnl:Iof?CompleteRequest ([0-9a-f]{8,16}) /i;
const STATUS_PENDING = 0x103;

interface Dispatch {
  readonly operation: 'open' | 'close';
  readonly open: number;
  readonly file: string;
  irp?: string;
  readonly lines: string[];
}

/**
 * The opens and closes the driver left pending in the text, in the order they were made.
 * `driverFile`: the driver image's file name (`io_hang_create.sys`); its hosts' devices count.
 */
export function pendingDeviceIrps(text: string, driverFile: string): PendingDeviceIrp[] {
  const file = driverFile.toLowerCase();
  /** The processes that loaded the driver. */
  const hosts = new Set<string>();
  /** The create or close each host thread is dispatching, until its routine returns. */
  const dispatching = new Map<string, Dispatch>();
  /** Returned STATUS_PENDING, not completed yet: by IRP address. */
  const pending = new Map<string, Dispatch>();
  /** Each file's open, by its file object. */
  const openOf = new Map<string, number>();
  const found: PendingDeviceIrp[] = [];
  let opens = 0;
  const report = (d: Dispatch, line: string) =>
    found.push({ operation: d.operation, open: d.open, irp: d.irp!, lines: [...d.lines, line] });
  for (const line of text.split('\n')) {
    const prefix = PREFIX.exec(line);
    if (!prefix) continue;
    const [, pid, tid] = prefix;
    const load = LOAD.exec(line);
    if (load) {
      if (load[1]!.replace(/\\\\/g, '\\').toLowerCase().endsWith(`\\${file}`)) hosts.add(pid!);
      continue;
    }
    if (!hosts.has(pid!)) continue;
    const thread = `${pid}:${tid}`;
    const create = CREATE.exec(line);
    const close = create ? null : CLOSE.exec(line);
    if (create || close) {
      const fileObject = `${pid}:${(create ?? close)![2]!}`;
      if (create) openOf.set(fileObject, ++opens);
      // A create of this file left pending: its close is dispatched without it ever completing.
      if (close)
        for (const [irp, d] of pending)
          if (d.operation === 'open' && d.file === fileObject) {
            report(d, line);
            pending.delete(irp);
          }
      dispatching.set(thread, {
        operation: create ? 'open' : 'close',
        open: openOf.get(fileObject) ?? 0,
        file: fileObject,
        lines: [line],
      });
      continue;
    }
    const current = dispatching.get(thread);
    const call = CALL.exec(line);
    if (call && current && current.irp === undefined) {
      current.irp = call[1]!;
      current.lines.push(line);
      continue;
    }
    const ret = RET.exec(line);
    if (ret && current && ret[1] === current.irp) {
      current.lines.push(line);
      dispatching.delete(thread);
      if (parseInt(ret[2]!, 16) === STATUS_PENDING) pending.set(`${pid}:${current.irp}`, current);
      continue;
    }
    const complete = COMPLETE.exec(line);
    if (complete) pending.delete(`${pid}:${complete[1]!}`);
  }
  // A close still pending when the text ends was never completed while drvcycle watched.
  for (const d of pending.values()) if (d.operation === 'close') report(d, '(end of trace)');
  return found.sort((a, b) => a.open - b.open);
}
