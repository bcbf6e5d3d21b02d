/**
 * Turns what a failed cycle left behind (its record, the machine's debug output, whether the
 * machine still answers) into a verdict. Pure: the evidence comes in, a verdict goes out.
 */
import {
  ErrorCodes,
  reviveError,
  ScmError,
  ScmTimeoutError,
  UnexpectedStateError,
} from './errors.ts';
import type { CycleRecord } from './records.ts';
import { makeVerdict, type Phase, type Verdict } from './verdict.ts';

/** Wine prints this when a process (the driver host) dies of an unhandled exception. */
const WINE_CRASH =
  /^(?:[0-9a-f]{4}:[0-9a-f]{4}:)?wine: Unhandled (?:page fault|exception|illegal instruction|stack overflow|privileged instruction|divide by zero)[^\n]*/im;
const WINE_CRASH_ALL = new RegExp(WINE_CRASH.source, 'gim');

export function crashLines(debugOutput: string): string[] {
  return [...debugOutput.matchAll(WINE_CRASH_ALL)].map((m) => m[0].trim());
}

export interface CycleFailureEvidence {
  readonly driver: string;
  readonly scenario: string;
  readonly record: CycleRecord;
  /** The machine's debug output since the test began (Wine channels, a serial console). */
  readonly debugOutput?: string;
  /** The machine stopped answering (agent gone, bugcheck, host process or wineserver died). */
  readonly machineLost?: boolean;
}

export function classifyCycleFailure(evidence: CycleFailureEvidence): Verdict {
  const { record, driver, scenario } = evidence;
  const phase: Phase = record.outcome === 'start-failed' ? 'load' : 'unload';
  const error = record.error ? reviveError(record.error) : undefined;
  const scm = error instanceof ScmError ? error : undefined;
  const codes = {
    win32Code: scm?.win32Code,
    win32Name: scm?.win32Name,
    state: record.state,
    operation: scm?.operation ?? (error as { operation?: string } | undefined)?.operation,
  };
  const base = { driver, scenario, cycle: record.cycle, phase };
  const crashes = crashLines(evidence.debugOutput ?? '');

  if (evidence.machineLost || error?.code === ErrorCodes.AGENT_UNREACHABLE) {
    return makeVerdict({
      ...base,
      kind: 'crash',
      detail: `the machine stopped answering (${error?.problem ?? 'no answer'}); last state ${record.state}`,
      evidence: { ...codes, crashLines: crashes },
    });
  }
  if (crashes.length > 0) {
    return makeVerdict({
      ...base,
      kind: 'crash',
      detail:
        `the driver host died: ${crashes[0]} (${codes.operation ?? 'SCM'} returned ${scm?.win32Code ?? '-'} ${scm?.win32Name ?? ''}, state ${record.state})`.replace(
          / +\)/,
          ')',
        ),
      evidence: { ...codes, crashLines: crashes },
    });
  }
  if (error instanceof ScmTimeoutError) {
    return makeVerdict({
      ...base,
      kind: 'hang',
      detail: `still ${record.state} after ${Math.round(error.elapsedMs)} ms (bound ${error.boundMs} ms)`,
      evidence: { ...codes, elapsedMs: error.elapsedMs, boundMs: error.boundMs },
    });
  }
  const kind = phase === 'load' ? 'load-failure' : 'unload-failure';
  const what =
    error instanceof UnexpectedStateError
      ? `${error.operation} reported success but the service is ${record.state}, not ${error.expected}`
      : (error?.problem ?? 'no error detail');
  return makeVerdict({ ...base, kind, detail: what, evidence: codes });
}
