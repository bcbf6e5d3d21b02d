/**
 * The self-check's I/O cases (src/families/self-check-io.ts): every I/O sample is covered, and a
 * sample's verdict is held against the one it must get, field by field. The verdicts here are
 * built by the classifiers from real-format records; the lab run is tests/e2e/verdicts.spec.ts.
 */
import { readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { classifyIoFailure } from '../../src/core/io-verdict.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { makeVerdict } from '../../src/core/verdict.ts';
import {
  ioSelfCheckProblems,
  ioSelfCheckVerdict,
  SELF_CHECK_IO_CASES,
} from '../../src/families/self-check-io.ts';

const caseOf = (id: string) => SELF_CHECK_IO_CASES.find((c) => c.id === id)!;

test('every I/O sample driver and table is in the self-check, each case once', () => {
  // io_slow_get is io_clean's later, slower build for compare's latency figures: no failure of
  // its own to detect.
  const samples = readdirSync(packagePaths.driverSources())
    .filter((f) => /^io_.*\.c$/.test(f) && f !== 'io_slow_get.c')
    .map((f) => f.replace(/\.c$/, ''));
  expect([...new Set(SELF_CHECK_IO_CASES.map((c) => c.sample))].sort()).toEqual(samples.sort());
  const tables = readdirSync(packagePaths.driverIoTables())
    .filter((f) => f.startsWith('io_'))
    .map((f) => f.replace(/\.json$/, ''));
  expect(SELF_CHECK_IO_CASES.map((c) => c.table).sort()).toEqual(tables.sort());
  expect(new Set(SELF_CHECK_IO_CASES.map((c) => c.id)).size).toBe(SELF_CHECK_IO_CASES.length);
  // A few cycles each: the verdicts come at cycle 1 (the leak's is certain after cycle 2).
  for (const c of SELF_CHECK_IO_CASES) expect(c.cycles).toBeLessThanOrEqual(10);
});

test('the crash the lab gives io_crash_short passes its case; another operation does not', () => {
  const crash = (operation: string, inputLength: number) =>
    classifyIoFailure({
      driver: 'dc_ep_io_crash_short',
      scenario: 'self-check › io-crash-short',
      cycle: 1,
      failure: {
        kind: 'unexpected-status',
        operation,
        code: 0x222004,
        description: `${operation} (IOCTL 0x00222004 (device 0x22, function 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS))`,
        call: 1,
        ntstatus: 0xc0000123,
        win32: 5,
        expected: 'STATUS_INVALID_PARAMETER',
        elapsedMs: 4734,
        request: { inputLength, outputLength: 0, inputHex: '01' },
      },
      crashLines: [
        'wine: Unhandled page fault on write access to 0000000000000000 at address 0000000140001234 (thread 0144), starting debugger...',
      ],
      state: 'RUNNING',
    });
  const selfCheck = caseOf('io-crash-short');
  const passed = ioSelfCheckVerdict(
    selfCheck,
    'lab',
    'dc_ep_io_crash_short',
    crash('alloc-short', 1),
    { recovered: true },
  );
  expect(passed.kind).toBe('pass');
  expect(passed.driver).toBe('dc_ep_io_crash_short');
  expect(passed.scenario).toBe('self-check › io-crash-short');
  expect(passed.evidence).toMatchObject({
    platform: 'lab',
    table: 'drivers/io/io_crash_short.json',
    observed: { kind: 'crash', phase: 'io', cycle: 1 },
    recovered: true,
  });
  expect(passed.summary).toMatch(
    /^PASS: I\/O: an IOCTL that crashes on a short input buffer: CRASH in io at cycle 1: the driver host died in alloc-short/,
  );

  const wrong = ioSelfCheckVerdict(selfCheck, 'lab', 'dc_ep_io_crash_short', crash('alloc', 4), {
    recovered: true,
  });
  expect(wrong.kind).toBe('error-path-mismatch');
  expect(ioSelfCheckProblems(selfCheck.lab, crash('alloc', 4))).toEqual([
    'the summary does not say "the driver host died in alloc-short (IOCTL 0x00222004"',
    'the summary does not say "call 1 with a 1-byte input and no output"',
    'evidence.operation is "alloc", expected "alloc-short"',
    'evidence.request.inputLength is 4, expected 1',
  ]);
});

test('a pass where a hang is expected is a mismatch that says so; Windows expects the kind alone', () => {
  const pass = makeVerdict({
    kind: 'pass',
    driver: 'dc_ep_io_hang_create',
    scenario: 'cycles',
    detail: '2 cycles with the I/O table (1 operation)',
    evidence: { io: { device: '\\\\.\\DcIoHangCreate', operations: ['get'] } },
  });
  expect(ioSelfCheckProblems(caseOf('io-hang-create').lab, pass)).toEqual([
    'kind pass, expected hang',
    'phase none, expected io',
    'cycle none, expected 1',
    'the summary does not say "open \\\\.\\DcIoHangCreate never completed"',
    'the summary does not say "returned STATUS_PENDING for its IRP_MJ_CREATE"',
    'evidence.operation is undefined, expected "open"',
    'evidence.device is undefined, expected "\\\\\\\\.\\\\DcIoHangCreate"',
    'evidence.boundMs is undefined, expected 2000',
  ]);
  const bugcheck = makeVerdict({
    kind: 'crash',
    driver: 'dc_ep_io_crash_short',
    scenario: 'cycles',
    cycle: 1,
    detail: 'the machine stopped answering (bugcheck 0x7E)',
    evidence: {},
  });
  expect(ioSelfCheckProblems(caseOf('io-crash-short').windows, bugcheck)).toEqual([]);
  // Arrays are matched item by item: the leak must be blamed on alloc alone.
  const leak = (blamed: string[]) =>
    makeVerdict({
      kind: 'leak',
      driver: 'dc_ep_io_leak_ioctl',
      scenario: 'leaks',
      cycle: 1,
      detail: '…',
      evidence: { leakingOperations: blamed },
    });
  expect(
    ioSelfCheckProblems(
      { kind: 'leak', evidence: { leakingOperations: ['alloc'] } },
      leak(['alloc', 'get']),
    ),
  ).toEqual(['evidence.leakingOperations is ["alloc","get"], expected ["alloc"]']);
});
