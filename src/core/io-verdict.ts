/**
 * Who is to blame for a cycle whose I/O table failed, and the verdict that names the operation: a
 * crash (the driver's host died in the call: Wine's Unhandled page fault line), a hang (the call
 * never completed within its bound), or an unexpected status (it ended, but not as its operation
 * expects; or the device would not open after a successful load). Each verdict's evidence has the
 * operation's name and control code, the call and its buffers, the status and what was expected,
 * and for a fuzz call its case and seed.
 */
import { formatNtstatus } from './ntstatus.ts';
import { describeStatus } from './io-table.ts';
import type { IoFailure } from './records.ts';
import { makeVerdict, type Verdict } from './verdict.ts';
import { WIN32_NAMES } from './win32-names.ts';

export interface IoFailureEvidence {
  readonly driver: string;
  readonly scenario: string;
  readonly cycle: number;
  readonly failure: IoFailure;
  /** Wine's crash lines (or a bugcheck's evidence) seen since the test began. */
  readonly crashLines: readonly string[];
  /** The service's state after the failed cycle. */
  readonly state: string;
  /** Closing the device hung too, after the failed call. */
  readonly closeHang?: IoFailure;
}

/** `a 1-byte input and a 4-byte output buffer (misaligned; fuzz case "short input", seed 42)`. */
export function describeRequest(failure: IoFailure): string {
  const r = failure.request;
  if (!r) return '';
  const part = (length: number, isNull: boolean | undefined, what: string) =>
    isNull
      ? `a NULL ${what} of length ${length}`
      : length === 0
        ? `no ${what}`
        : `a ${length}-byte ${what}`;
  const extras = [
    ...(r.misaligned ? ['misaligned'] : []),
    ...(r.fuzz !== undefined ? [`fuzz case "${r.fuzz}", seed ${r.seed}`] : []),
  ];
  return `${part(r.inputLength, r.nullInput, 'input')} and ${part(r.outputLength, r.nullOutput, 'output')}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
}

/** Past this after the cancel, the call ended on its own work, not on the cancel. */
const AT_ONCE_MS = 50;

/** What a hung call did once cancelled: ended at once, ended later, or never. */
function afterCancel(failure: IoFailure): string {
  if (failure.afterCancel !== 'ended')
    return 'still did not end: the driver neither completes nor cancels it';
  const ms = failure.afterCancelMs;
  if (ms === undefined || ms < AT_ONCE_MS)
    return 'ended at once: the driver completes it only when it is cancelled (set cancelAfterMs if the call is meant to wait)';
  return `ended ${Math.round(ms)} ms later: the driver was still working on it past its bound, and finished it rather than on the cancel (raise the operation's timeoutMs if that is its normal time)`;
}

export function classifyIoFailure(input: IoFailureEvidence): Verdict {
  const { failure, driver, scenario, cycle } = input;
  const base = { driver, scenario, cycle, phase: 'io' as const };
  const evidence: Record<string, unknown> = {
    operation: failure.operation,
    ...(failure.code !== undefined
      ? { ioctl: `0x${failure.code.toString(16).toUpperCase().padStart(8, '0')}` }
      : {}),
    call: failure.call,
    ...(failure.request ? { request: failure.request } : {}),
    ...(failure.ntstatus !== undefined ? { ntstatus: formatNtstatus(failure.ntstatus) } : {}),
    ...(failure.win32 !== undefined
      ? { win32Code: failure.win32, win32Name: WIN32_NAMES.get(failure.win32) }
      : {}),
    ...(failure.expected !== undefined ? { expected: failure.expected } : {}),
    elapsedMs: Math.round(failure.elapsedMs),
    ...(failure.boundMs !== undefined ? { boundMs: failure.boundMs } : {}),
    ...(failure.request?.seed !== undefined ? { seed: failure.request.seed } : {}),
    state: input.state,
  };
  const call = `${failure.description}, call ${failure.call}${failure.request ? ` with ${describeRequest(failure)}` : ''}`;
  const closeHang = input.closeHang
    ? `; then ${input.closeHang.description} did not complete within ${input.closeHang.boundMs} ms either`
    : '';
  if (input.closeHang)
    evidence.closeHang = {
      elapsedMs: Math.round(input.closeHang.elapsedMs),
      boundMs: input.closeHang.boundMs,
    };
  if (input.crashLines.length > 0 && failure.kind !== 'open-failed')
    return makeVerdict({
      ...base,
      kind: 'crash',
      detail: `the driver host died in ${call}: ${input.crashLines[0]}${failure.ntstatus !== undefined ? ` (the call ended with ${formatNtstatus(failure.ntstatus)} after ${Math.round(failure.elapsedMs)} ms)` : ''}${closeHang}`,
      evidence: { ...evidence, crashLines: input.crashLines },
    });
  if (failure.kind === 'hang' && (failure.operation === 'open' || failure.operation === 'close')) {
    const irp = failure.operation === 'open' ? 'IRP_MJ_CREATE' : 'IRP_MJ_CLEANUP or IRP_MJ_CLOSE';
    const device = { device: failure.description.slice(failure.operation.length + 1) };
    if (failure.hostTrace)
      return makeVerdict({
        ...base,
        kind: 'hang',
        detail: `${failure.description} never completed: the driver's dispatch routine returned STATUS_PENDING for its ${failure.operation === 'open' ? 'IRP_MJ_CREATE' : 'IRP_MJ_CLOSE'} and the IRP was still pending ${failure.operation === 'open' ? `when the device was closed, after the table's calls (${Math.round(failure.elapsedMs)} ms)` : 'when the run ended'}; under Wine the caller does not wait for it (on Windows it would still be waiting): seen in the driver host's trace`,
        evidence: { ...evidence, ...device, hostTrace: failure.hostTrace },
      });
    return makeVerdict({
      ...base,
      kind: 'hang',
      detail: `${failure.description} did not complete within ${failure.boundMs} ms: the driver never completed its ${irp}; the thread making the call was given up on, and the machine is recovered before the next test`,
      evidence: { ...evidence, ...device },
    });
  }
  if (failure.kind === 'hang')
    return makeVerdict({
      ...base,
      kind: 'hang',
      detail:
        failure.afterCancel === 'never-returned'
          ? `${call} did not return to its caller within ${failure.boundMs} ms: the driver's dispatch routine still held the call (it had neither completed nor pended the IRP by then); the thread making the call was given up on, and the machine is recovered before the next test${closeHang}`
          : failure.afterCancel === 'returned-late'
            ? `${call} took ${Math.round(failure.elapsedMs)} ms, past its ${failure.boundMs} ms bound: the call itself returned only then, completed by the driver's dispatch routine without pending it (raise the operation's timeoutMs if that is its normal time)${closeHang}`
            : `${call} did not complete within ${failure.boundMs} ms; cancelled then, it ${afterCancel(failure)}${closeHang}`,
      evidence: {
        ...evidence,
        afterCancel: failure.afterCancel,
        ...(failure.afterCancelMs !== undefined
          ? { afterCancelMs: Math.round(failure.afterCancelMs) }
          : {}),
      },
    });
  if (failure.kind === 'open-failed')
    return makeVerdict({
      ...base,
      kind: 'unexpected-status',
      detail: `the driver loaded, but its device would not open: ${failure.description} failed with Win32 ${failure.win32}${WIN32_NAMES.has(failure.win32 ?? -1) ? ` ${WIN32_NAMES.get(failure.win32!)}` : ''} (the driver did not create it, or the I/O table names another device)`,
      evidence,
    });
  return makeVerdict({
    ...base,
    kind: 'unexpected-status',
    detail: `${call} ended with ${describeStatus({ ntstatus: failure.ntstatus ?? null, win32: failure.win32 ?? 0 })}; expected ${failure.expected}${closeHang}`,
    evidence,
  });
}
