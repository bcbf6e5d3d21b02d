/**
 * Verdicts: the machine-readable diagnosis every test records, and the message that leads with it
 * (`LEAK: …`, `CRASH in unload at cycle 7: …`) so a person reading a list sees the kind first.
 * Who is blamed: the driver (leak, load-failure, unload-failure, crash, hang,
 * error-path-mismatch, unexpected-status: a call of the I/O table ended with a status it should
 * not, regression: the candidate build worse than its baseline), the machine or lab
 * (environment), or drvcycle itself (error).
 */
import type { ReproRecord } from './repro-record.ts';

export const VERDICT_KINDS = [
  'pass',
  'leak',
  'load-failure',
  'unload-failure',
  'crash',
  'hang',
  'error-path-mismatch',
  'unexpected-status',
  'regression',
  'environment',
  'error',
] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

/** `io`: between the load and the unload, in a call of the I/O table. */
export type Phase = 'load' | 'unload' | 'io';

export interface Verdict {
  readonly kind: VerdictKind;
  readonly driver: string;
  /** The spec family and case: `cycles`, `leaks`, `error-paths › second start`. */
  readonly scenario: string;
  readonly cycle?: number | undefined;
  readonly phase?: Phase | undefined;
  /** One line, leading with the kind. */
  readonly summary: string;
  /** Figures and codes behind the verdict. */
  readonly evidence: Record<string, unknown>;
  /** A failure's: what `drvcycle repro` needs to rerun it exactly (see repro-record.ts). */
  readonly repro?: ReproRecord | undefined;
}

export function headline(kind: VerdictKind, phase?: Phase, cycle?: number): string {
  const name = kind === 'pass' ? 'PASS' : kind.replaceAll('-', ' ').toUpperCase();
  // LOAD FAILURE and UNLOAD FAILURE already name their phase.
  const where = phase && kind !== 'load-failure' && kind !== 'unload-failure' ? ` in ${phase}` : '';
  const when = cycle !== undefined ? ` at cycle ${cycle}` : '';
  return `${name}${where}${when}`;
}

export function makeVerdict(input: Omit<Verdict, 'summary'> & { detail: string }): Verdict {
  const { detail, ...rest } = input;
  return { ...rest, summary: `${headline(input.kind, input.phase, input.cycle)}: ${detail}` };
}

/** The error a failing test throws: its message is the verdict's summary. */
export class VerdictError extends Error {
  readonly verdict: Verdict;
  constructor(verdict: Verdict) {
    super(verdict.summary);
    this.name = 'VerdictError';
    this.verdict = verdict;
  }
}

/**
 * Whether the verdict leaves the machine in no state to serve the next test as it is: it crashed,
 * a call hung, or the driver could not be unloaded (its service is not STOPPED: no DriverUnload, a
 * driver object kept, a removal that waits for a reboot). Uninstalling such a driver only waits
 * out its bounds (7.3 s a test for a driver with no DriverUnload); the machine is reverted.
 */
export function leavesMachineDirty(verdict: Verdict): boolean {
  if (verdict.kind === 'hang') return !settledIoHang(verdict);
  if (verdict.kind === 'crash') return true;
  // The cycles run on past a certain leak ended in a failure: what it left is not known clean.
  if (verdict.evidence.failedAfterStop !== undefined) return true;
  return verdict.kind === 'unload-failure' && verdict.evidence.state !== 'STOPPED';
}

/**
 * A call of the I/O table past its bound that the driver then completed (once cancelled, or late
 * on its own), its device closed in time: nothing is left pending, so the test's teardown unloads
 * the driver as after any test (a failed uninstall marks the machine dirty), and the next test's
 * clean check proves the machine clean rather than a new machine being booted for it.
 */
function settledIoHang(verdict: Verdict): boolean {
  const { afterCancel, closeHang } = verdict.evidence;
  return (
    verdict.phase === 'io' &&
    (afterCancel === 'ended' || afterCancel === 'returned-late') &&
    closeHang === undefined
  );
}

export function isVerdict(value: unknown): value is Verdict {
  const v = value as Verdict;
  return (
    typeof v === 'object' &&
    v !== null &&
    (VERDICT_KINDS as readonly string[]).includes(v.kind) &&
    typeof v.summary === 'string' &&
    typeof v.driver === 'string'
  );
}

export interface VerdictSummary {
  readonly generatedAt: string;
  readonly runId: string | undefined;
  readonly counts: Record<VerdictKind, number>;
  readonly verdicts: (Verdict & {
    test: string;
    project: string;
    status: string;
    /** The spec file, relative to the config's rootDir (for `drvcycle resume`). */
    file?: string;
  })[];
}

export function summarise(
  verdicts: VerdictSummary['verdicts'],
  runId: string | undefined,
  now = new Date(),
): VerdictSummary {
  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<
    VerdictKind,
    number
  >;
  for (const v of verdicts) counts[v.kind]++;
  return { generatedAt: now.toISOString(), runId, counts, verdicts };
}
