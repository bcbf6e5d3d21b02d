/**
 * The self-check's I/O cases: each I/O sample driver is cycled with its own table in drivers/io,
 * by the runner behind the cycles and leaks specs (cycle-plan.ts), for a few cycles, and the
 * verdict it gets is held against the one it must get: its kind, phase and cycle, what the
 * summary names (the operation, its buffer, the device) and the evidence. On Windows a crash in a
 * dispatch routine is a bugcheck (the machine, not the call, is what is seen), so there only the
 * kind is expected.
 */
import type { Phase, Verdict, VerdictKind } from '../core/verdict.ts';
import { makeVerdict } from '../core/verdict.ts';
import { scenarioOf } from '../core/spec-families.ts';

/** The verdict a sample must get. */
export interface ExpectedVerdict {
  readonly kind: VerdictKind;
  readonly phase?: Phase;
  readonly cycle?: number;
  /** Text the summary must contain, each piece. */
  readonly says?: readonly string[];
  /** Evidence the verdict must carry: a partial match (objects by their keys, arrays item by item). */
  readonly evidence?: Record<string, unknown>;
}

export interface IoSelfCheckCase {
  readonly id: string;
  readonly title: string;
  /** The sample driver (drivers/src/<sample>.c). */
  readonly sample: string;
  /** Its I/O table: drivers/io/<table>.json. */
  readonly table: string;
  /** The spec family whose runner decides: a leak needs the leaks family's decision. */
  readonly family: 'cycles' | 'leaks';
  readonly cycles: number;
  readonly lab: ExpectedVerdict;
  readonly windows: ExpectedVerdict;
}

export const SELF_CHECK_IO_CASES: readonly IoSelfCheckCase[] = [
  {
    id: 'io-clean',
    title: 'I/O: a clean IOCTL, read and write table',
    sample: 'io_clean',
    table: 'io_clean',
    family: 'cycles',
    cycles: 3,
    lab: {
      kind: 'pass',
      says: ['3 cycles with the I/O table (8 operations)'],
      evidence: {
        io: {
          device: '\\\\.\\DcIoClean',
          operations: [
            'get',
            'get-short',
            'alloc',
            'alloc-short',
            'echo',
            'unknown-code',
            'read',
            'write',
          ],
        },
      },
    },
    windows: { kind: 'pass' },
  },
  {
    id: 'io-crash-short',
    title: 'I/O: an IOCTL that crashes on a short input buffer',
    sample: 'io_crash_short',
    table: 'io_crash_short',
    family: 'cycles',
    cycles: 2,
    lab: {
      kind: 'crash',
      phase: 'io',
      cycle: 1,
      says: [
        'the driver host died in alloc-short (IOCTL 0x00222004',
        'call 1 with a 1-byte input and no output',
      ],
      evidence: { operation: 'alloc-short', ioctl: '0x00222004', request: { inputLength: 1 } },
    },
    windows: { kind: 'crash', cycle: 1 },
  },
  {
    id: 'io-pending-read',
    title: 'I/O: a read that never completes',
    sample: 'io_pending_read',
    table: 'io_pending_read',
    family: 'cycles',
    cycles: 2,
    lab: {
      kind: 'hang',
      phase: 'io',
      cycle: 1,
      says: [
        'read (ReadFile 16 bytes), call 1 with no input and a 16-byte output did not complete within 1000 ms; cancelled then, it ended at once',
      ],
      evidence: { operation: 'read', afterCancel: 'ended', boundMs: 1000 },
    },
    windows: { kind: 'hang', phase: 'io', cycle: 1, evidence: { operation: 'read' } },
  },
  {
    id: 'io-pending-read-cancel',
    title: 'I/O: a read that waits, cancelled as its table says (cancelAfterMs)',
    sample: 'io_pending_read',
    table: 'io_pending_read.cancel',
    family: 'cycles',
    cycles: 2,
    lab: { kind: 'pass', says: ['2 cycles with the I/O table (2 operations)'] },
    windows: { kind: 'pass' },
  },
  {
    id: 'io-leak-ioctl',
    title: 'I/O: an IOCTL that leaks on one code',
    sample: 'io_leak_ioctl',
    table: 'io_leak_ioctl',
    family: 'leaks',
    cycles: 10,
    lab: {
      kind: 'leak',
      cycle: 1,
      says: [
        'DcIo 256 B × 1 ',
        'from io_leak_ioctl.sys+0x',
        '(DcDeviceControl); the operation alloc (IOCTL 0x00222004',
        'leaks 256 B per cycle run alone',
      ],
      evidence: { leakingOperations: ['alloc'] },
    },
    windows: { kind: 'leak' },
  },
  {
    id: 'io-slow-close',
    title: 'I/O: a close that takes 300 ms (the unload must wait for it)',
    sample: 'io_slow_close',
    table: 'io_slow_close',
    family: 'cycles',
    cycles: 3,
    // Under Wine the unload would overtake the close and the sample's DriverUnload fault: the lab
    // waits for the host's IRP thread first (target/host-barrier.ts), as Windows' I/O manager does.
    lab: { kind: 'pass', says: ['3 cycles with the I/O table (1 operation'] },
    windows: { kind: 'pass' },
  },
  {
    id: 'io-hang-create',
    title: 'I/O: an open that never completes (IRP_MJ_CREATE)',
    sample: 'io_hang_create',
    table: 'io_hang_create',
    family: 'cycles',
    cycles: 2,
    lab: {
      kind: 'hang',
      phase: 'io',
      cycle: 1,
      // Wine does not make CreateFileW wait: the host's trace shows the create left pending.
      says: [
        'open \\\\.\\DcIoHangCreate never completed',
        'returned STATUS_PENDING for its IRP_MJ_CREATE',
      ],
      evidence: { operation: 'open', device: '\\\\.\\DcIoHangCreate', boundMs: 2000 },
    },
    windows: {
      kind: 'hang',
      phase: 'io',
      cycle: 1,
      says: ['open \\\\.\\DcIoHangCreate did not complete within 2000 ms'],
      evidence: { operation: 'open' },
    },
  },
];

/** What differs between the verdict a sample got and the one it must get (empty: as expected). */
export function ioSelfCheckProblems(expected: ExpectedVerdict, got: Verdict): string[] {
  const problems: string[] = [];
  if (got.kind !== expected.kind) problems.push(`kind ${got.kind}, expected ${expected.kind}`);
  if (expected.phase !== undefined && got.phase !== expected.phase)
    problems.push(`phase ${got.phase ?? 'none'}, expected ${expected.phase}`);
  if (expected.cycle !== undefined && got.cycle !== expected.cycle)
    problems.push(`cycle ${got.cycle ?? 'none'}, expected ${expected.cycle}`);
  for (const piece of expected.says ?? [])
    if (!got.summary.includes(piece)) problems.push(`the summary does not say "${piece}"`);
  for (const [key, value] of Object.entries(expected.evidence ?? {}))
    for (const difference of partialDifferences(value, got.evidence[key], `evidence.${key}`))
      problems.push(difference);
  return problems;
}

function partialDifferences(expected: unknown, got: unknown, at: string): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length)
      return [`${at} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`];
    return expected.flatMap((item, i) => partialDifferences(item, got[i], `${at}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof got !== 'object' || got === null)
      return [`${at} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`];
    return Object.entries(expected).flatMap(([key, value]) =>
      partialDifferences(value, (got as Record<string, unknown>)[key], `${at}.${key}`),
    );
  }
  return Object.is(expected, got)
    ? []
    : [`${at} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`];
}

/**
 * The self-check's verdict for a case: it names the sample's service (a self-check never blames
 * the driver under test) and passes when the sample got the verdict it must get.
 */
export function ioSelfCheckVerdict(
  selfCheck: IoSelfCheckCase,
  platform: 'lab' | 'windows',
  sampleService: string,
  got: Verdict,
  /** Whether the machine was recovered after the sample (a crash or hang), the clean driver loading on it again. */
  after: { readonly recovered: boolean },
): Verdict {
  const expected = selfCheck[platform];
  const problems = ioSelfCheckProblems(expected, got);
  const evidence = {
    platform,
    sample: selfCheck.sample,
    table: `drivers/io/${selfCheck.table}.json`,
    expected,
    observed: {
      kind: got.kind,
      phase: got.phase,
      cycle: got.cycle,
      summary: got.summary,
      evidence: got.evidence,
    },
    recovered: after.recovered,
  };
  const scenario = scenarioOf('self-check', selfCheck.id);
  return problems.length > 0
    ? makeVerdict({
        kind: 'error-path-mismatch',
        driver: sampleService,
        scenario,
        detail: `${selfCheck.title}: ${problems.join('; ')} (got: ${got.summary})`,
        evidence,
      })
    : makeVerdict({
        kind: 'pass',
        driver: sampleService,
        scenario,
        detail: `${selfCheck.title}: ${got.summary}`,
        evidence,
      });
}
