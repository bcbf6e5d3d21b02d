import { expect, test } from '@playwright/test';
import { ScmError, ScmTimeoutError, toWire, UnexpectedStateError } from '../../src/core/errors.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { classifyCycleFailure, crashLines } from '../../src/core/classify.ts';
import { classifyIoFailure } from '../../src/core/io-verdict.ts';
import {
  headline,
  isVerdict,
  leavesMachineDirty,
  makeVerdict,
  summarise,
} from '../../src/core/verdict.ts';
import { scratchDir } from './scratch.ts';

const CRASH =
  'wine: Unhandled page fault on write access to 0000000000000000 at address 0000000396B41025 (thread 016c), starting debugger...';
const record = (over: Partial<CycleRecord>): CycleRecord => ({
  cycle: 7,
  outcome: 'stop-failed',
  startMs: 100,
  stopMs: null,
  state: 'STOP_PENDING',
  ...over,
});

test('headlines lead with the kind in capitals, then phase and cycle', () => {
  expect(headline('crash', 'unload', 7)).toBe('CRASH in unload at cycle 7');
  expect(headline('leak')).toBe('LEAK');
  expect(headline('error-path-mismatch')).toBe('ERROR PATH MISMATCH');
  expect(
    makeVerdict({
      kind: 'leak',
      driver: 'dc_x',
      scenario: 'leaks',
      detail: 'grows 256 B per cycle',
      evidence: {},
    }).summary,
  ).toBe('LEAK: grows 256 B per cycle');
});

test('a Wine crash line during a failed stop is a crash in unload', () => {
  const verdict = classifyCycleFailure({
    driver: 'dc_crash_in_unload',
    scenario: 'cycles',
    record: record({
      error: toWire(
        new ScmError({
          operation: 'ControlService',
          service: 'dc_crash_in_unload',
          win32Code: 109,
          state: 'STOP_PENDING',
          cycle: 7,
        }),
      ),
    }),
    debugOutput: `0160:016c:warn:debugstr:vDbgPrintExWithPrefix …\n${CRASH}\n0038:0058:err:service:process_send_command service protocol error`,
  });
  expect(verdict.kind).toBe('crash');
  expect(verdict.summary).toMatch(
    /^CRASH in unload at cycle 7: the driver host died: wine: Unhandled page fault on write access to 0{16} .* \(ControlService returned 109 ERROR_BROKEN_PIPE, state STOP_PENDING\)$/,
  );
  expect(verdict.evidence).toMatchObject({ win32Code: 109, crashLines: [CRASH] });
});

test('a crash line during a failed start is a crash in load', () => {
  const verdict = classifyCycleFailure({
    driver: 'dc_crash_in_entry',
    scenario: 'cycles',
    record: record({
      cycle: 1,
      outcome: 'start-failed',
      state: 'STOPPED',
      error: toWire(
        new ScmError({ operation: 'StartService', service: 'dc_crash_in_entry', win32Code: 1053 }),
      ),
    }),
    debugOutput: `0134:0140:${CRASH}`,
  });
  expect(verdict.summary).toMatch(/^CRASH in load at cycle 1: the driver host died/);
});

test('a bounded wait that ran out is a hang', () => {
  const verdict = classifyCycleFailure({
    driver: 'd',
    scenario: 'cycles',
    record: record({
      error: toWire(
        new ScmTimeoutError({
          operation: 'ControlService',
          service: 'd',
          state: 'STOP_PENDING',
          elapsedMs: 3004.6,
          boundMs: 3000,
          cycle: 7,
        }),
      ),
    }),
  });
  expect(verdict.summary).toBe(
    'HANG in unload at cycle 7: still STOP_PENDING after 3005 ms (bound 3000 ms)',
  );
});

test('plain SCM failures are load or unload failures with their code', () => {
  const load = classifyCycleFailure({
    driver: 'd',
    scenario: 'cycles',
    record: record({
      cycle: 1,
      outcome: 'start-failed',
      state: 'STOPPED',
      error: toWire(
        new ScmError({ operation: 'StartService', service: 'd', win32Code: 1450, cycle: 1 }),
      ),
    }),
  });
  expect(load.kind).toBe('load-failure');
  expect(load.evidence).toMatchObject({ win32Code: 1450, win32Name: 'ERROR_NO_SYSTEM_RESOURCES' });
  const ineffective = classifyCycleFailure({
    driver: 'd',
    scenario: 'cycles',
    record: record({
      state: 'RUNNING',
      error: toWire(
        new UnexpectedStateError({
          operation: 'ControlService',
          service: 'd',
          expected: 'STOPPED',
          state: 'RUNNING',
          cycle: 7,
        }),
      ),
    }),
  });
  expect(ineffective.summary).toBe(
    'UNLOAD FAILURE at cycle 7: ControlService reported success but the service is RUNNING, not STOPPED',
  );
  // 109 with no crash line in the debug output is an unload failure, not a crash.
  const broken = classifyCycleFailure({
    driver: 'd',
    scenario: 'cycles',
    record: record({
      cycle: 2,
      error: toWire(
        new ScmError({
          operation: 'ControlService',
          service: 'd',
          win32Code: 109,
          state: 'STOP_PENDING',
          cycle: 2,
        }),
      ),
    }),
    debugOutput:
      '0160:016c:warn:debugstr:vDbgPrintExWithPrefix 00000000:00000001: drvcycle:x: DriverUnload',
  });
  expect(broken).toMatchObject({
    kind: 'unload-failure',
    cycle: 2,
    evidence: { win32Code: 109, win32Name: 'ERROR_BROKEN_PIPE', state: 'STOP_PENDING' },
  });
  expect(broken.summary).toMatch(
    /^UNLOAD FAILURE at cycle 2: ControlService on service "d" failed at cycle 2: 109 ERROR_BROKEN_PIPE/,
  );
  // A driver still loaded is reverted with its machine, not uninstalled in vain; a start that
  // failed, or a stop that failed with the service stopped, leaves a machine teardown cleans.
  expect([load, ineffective, broken].map(leavesMachineDirty)).toEqual([false, true, true]);
  const stoppedAnyway = classifyCycleFailure({
    driver: 'd',
    scenario: 'cycles',
    record: record({
      state: 'STOPPED',
      error: toWire(
        new ScmError({ operation: 'ControlService', service: 'd', win32Code: 1061, cycle: 7 }),
      ),
    }),
  });
  expect(stoppedAnyway.kind).toBe('unload-failure');
  expect(leavesMachineDirty(stoppedAnyway)).toBe(false);
});

test('crash lines are found with or without the +pid prefix', () => {
  expect(
    crashLines(
      `x\n0134:0140:${CRASH}\nwine: Unhandled exception 0xc0000005 in thread 3c at address 0x1234\n`,
    ),
  ).toHaveLength(2);
  expect(crashLines('wine: configuration in L"/root/.wine" has been updated.')).toEqual([]);
});

test('the run summary counts every kind', () => {
  const v = makeVerdict({
    kind: 'hang',
    driver: 'd',
    scenario: 'cycles',
    detail: 'x',
    evidence: {},
  });
  expect(isVerdict(v)).toBe(true);
  expect(isVerdict({ kind: 'maybe' })).toBe(false);
  const summary = summarise(
    [{ ...v, test: 't', project: 'lab', status: 'failed' }],
    'run-1',
    new Date('2026-01-01T00:00:00Z'),
  );
  expect(summary.counts).toMatchObject({ hang: 1, pass: 0, leak: 0 });
  expect(summary.generatedAt).toBe('2026-01-01T00:00:00.000Z');
});

test('verdict files per test make verdicts.json, rebuilt as each test ends; other runs are pruned', async () => {
  const { readFileSync, existsSync } = await import('node:fs');
  const path = await import('node:path');
  const { pruneOtherRuns, rebuildSummary, runVerdictDir, storeVerdict } =
    await import('../../src/report/verdict-store.ts');
  const file = path.join(scratchDir('drvcycle-verdicts-'), 'verdicts.json');
  const leak = makeVerdict({
    kind: 'leak',
    driver: 'dc_a',
    scenario: 'leaks',
    detail: 'grows',
    evidence: {},
  });
  const pass = makeVerdict({
    kind: 'pass',
    driver: 'dc_b',
    scenario: 'cycles',
    detail: 'ok',
    evidence: {},
  });
  storeVerdict(file, 'old-run', 't0', { ...pass, test: 'old', project: 'lab', status: 'passed' });
  storeVerdict(file, 'run-2', 'a/b:1', {
    ...leak,
    test: 'leaks',
    project: 'lab',
    status: 'failed',
  });
  storeVerdict(file, 'run-2', 'c', { ...pass, test: 'cycles', project: 'lab', status: 'passed' });
  const written = JSON.parse(readFileSync(file, 'utf8')) as {
    runId: string;
    counts: Record<string, number>;
    verdicts: unknown[];
  };
  expect(written).toMatchObject({ runId: 'run-2', counts: { leak: 1, pass: 1 } });
  expect(written.verdicts).toHaveLength(2);
  pruneOtherRuns(file, 'run-2');
  expect(existsSync(runVerdictDir(file, 'old-run'))).toBe(false);
  expect(rebuildSummary(file, 'run-2').verdicts).toHaveLength(2);
});

test('load and unload failures do not repeat their phase', () => {
  expect(headline('load-failure', 'load', 3)).toBe('LOAD FAILURE at cycle 3');
  expect(headline('hang', 'load', 3)).toBe('HANG in load at cycle 3');
});

test('a driver that set no DriverUnload is named so: 1052 on Windows, DriverUnload = 0 in the lab trace', () => {
  // Wine 8's ntoskrnl trace of a load (the lines drvcycle reads; the addresses as the lab prints them).
  const loadTrace = (service: string, unload: string) =>
    [
      `0130:0134:trace:ntoskrnl:ZwLoadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\${service}")`,
      `0130:0134:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\${service}", 000000000011F900)`,
      `0130:0134:trace:ntoskrnl:init_driver - DriverInit = 00000002F0AF1020`,
      `0130:0134:trace:ntoskrnl:init_driver - DriverStartIo = 0000000000000000`,
      `0130:0134:trace:ntoskrnl:init_driver - DriverUnload = ${unload}`,
    ].join('\n');
  const stoppedNot = (debugOutput: string) =>
    classifyCycleFailure({
      driver: 'dc_tdi',
      scenario: 'cycles',
      debugOutput,
      record: record({
        state: 'RUNNING',
        error: toWire(
          new UnexpectedStateError({
            operation: 'ControlService',
            service: 'dc_tdi',
            expected: 'STOPPED',
            state: 'RUNNING',
            cycle: 7,
          }),
        ),
      }),
    });
  const none = stoppedNot(
    `${loadTrace('dc_other', '00000002F0AF1000')}\n${loadTrace('dc_tdi', '0000000000000000')}\n`,
  );
  expect(none).toMatchObject({
    kind: 'unload-failure',
    evidence: { cause: 'no-driver-unload', state: 'RUNNING' },
  });
  expect(none.summary).toBe(
    "UNLOAD FAILURE at cycle 7: the driver set no DriverUnload, so it can never be unloaded (the lab's trace shows DriverUnload = 0; ControlService reported success and the service stayed RUNNING; Windows refuses the stop with 1052 ERROR_INVALID_SERVICE_CONTROL)",
  );
  // A DriverUnload set (or no trace of the load): the plain unload failure, nothing invented.
  for (const debug of [loadTrace('dc_tdi', '00000002F0AF1000'), ''])
    expect(stoppedNot(debug).summary).toBe(
      'UNLOAD FAILURE at cycle 7: ControlService reported success but the service is RUNNING, not STOPPED',
    );
  const windows = classifyCycleFailure({
    driver: 'dc_tdi',
    scenario: 'cycles',
    record: record({
      state: 'RUNNING',
      error: toWire(
        new ScmError({ operation: 'ControlService', service: 'dc_tdi', win32Code: 1052, cycle: 7 }),
      ),
    }),
  });
  expect(windows).toMatchObject({
    kind: 'unload-failure',
    evidence: { cause: 'no-driver-unload' },
  });
  expect(windows.summary).toMatch(
    /^UNLOAD FAILURE at cycle 7: the driver set no DriverUnload, so it can never be unloaded \(ControlService on service "dc_tdi" failed at cycle 7: 1052 ERROR_INVALID_SERVICE_CONTROL: .*: Windows refuses to stop a driver without one\)$/,
  );
});

test('an I/O call the driver completed once cancelled leaves the machine to its clean check; one still held, or a close that hung, reverts it', () => {
  const hang = (
    afterCancel: 'ended' | 'returned-late' | 'still-pending' | 'never-returned',
    closeHang = false,
  ) =>
    classifyIoFailure({
      driver: 'dc_io',
      scenario: 'cycles',
      cycle: 1,
      state: 'RUNNING',
      crashLines: [],
      failure: {
        kind: 'hang',
        operation: 'read',
        description: 'read (ReadFile 16 bytes)',
        call: 1,
        elapsedMs: 1003,
        boundMs: 1000,
        afterCancel,
        ...(afterCancel === 'ended' ? { afterCancelMs: 2 } : {}),
      },
      ...(closeHang
        ? {
            closeHang: {
              kind: 'hang' as const,
              operation: 'close',
              description: 'close \\\\.\\DcIo',
              call: 1,
              elapsedMs: 2000,
              boundMs: 2000,
            },
          }
        : {}),
    });
  expect(hang('ended')).toMatchObject({ kind: 'hang', phase: 'io' });
  expect(leavesMachineDirty(hang('ended'))).toBe(false);
  expect(leavesMachineDirty(hang('returned-late'))).toBe(false);
  expect(leavesMachineDirty(hang('still-pending'))).toBe(true);
  expect(leavesMachineDirty(hang('never-returned'))).toBe(true);
  expect(leavesMachineDirty(hang('ended', true))).toBe(true);
  // A hang in a cycle's unload is never settled.
  expect(
    leavesMachineDirty({ ...hang('ended'), phase: 'unload', evidence: { afterCancel: 'ended' } }),
  ).toBe(true);
});
