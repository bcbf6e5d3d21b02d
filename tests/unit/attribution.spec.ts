/**
 * The attribution rules: a driver verdict only with evidence against the driver, `environment`
 * for the machine or lab with its evidence, `error` for drvcycle's own failures.
 */
import { expect, test } from '@playwright/test';
import {
  classifyCycleFailure,
  labFlakeOf,
  labHostSpawnFailure,
  verdictForUnrecorded,
  winePnpManagerRace,
  verifierPoolLeak,
} from '../../src/core/classify.ts';
import {
  AgentRequestError,
  DrvcycleError,
  ErrorCodes,
  ForeignServiceError,
  ScmError,
  toWire,
} from '../../src/core/errors.ts';
import type { CycleRecord } from '../../src/core/records.ts';

const start = (error: unknown, cycle = 47): CycleRecord => ({
  cycle,
  outcome: 'start-failed',
  startMs: null,
  stopMs: null,
  state: 'UNKNOWN',
  error: toWire(error),
});
const silent = new DrvcycleError(
  ErrorCodes.AGENT_UNREACHABLE,
  'The agent at http://127.0.0.1:4000 sent nothing for 15000 ms during a cycle batch.',
);
const classify = (
  record: CycleRecord,
  machine?: Parameters<typeof classifyCycleFailure>[0]['machine'],
) => classifyCycleFailure({ driver: 'dc_x', scenario: 'cycles', record, machine });

test('an agent that died mid-batch is the environment, naming how it ended, never a driver crash', () => {
  const verdict = classify(start(silent), { lost: true, agentExit: 'killed by SIGKILL' });
  expect(verdict).toMatchObject({
    kind: 'environment',
    cycle: 47,
    evidence: { cause: 'machine-lost', agentExit: 'killed by SIGKILL' },
  });
  expect(verdict.summary).toBe(
    'ENVIRONMENT in load at cycle 47: the machine stopped answering (the agent killed by SIGKILL; The agent at http://127.0.0.1:4000 sent nothing for 15000 ms during a cycle batch.) with no evidence that the driver crashed it: no crash line, dump or bugcheck event (last state UNKNOWN)',
  );
});

test('a lost machine with a bugcheck on record is a crash, with the bugcheck as evidence', () => {
  const bugcheck =
    'crash dump C:\\Windows\\MEMORY.DMP: bugcheck 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL (0x0, 0x2, 0x0, 0xFFFFF80012345678)';
  const verdict = classify(start(silent), { lost: true, crashEvidence: [bugcheck] });
  expect(verdict).toMatchObject({
    kind: 'crash',
    phase: 'load',
    evidence: { crashLines: [bugcheck] },
  });
  expect(verdict.summary).toContain('the machine stopped answering and it crashed: crash dump');
});

test('a request the agent refused is drvcycle failing, not the driver', () => {
  const refused = new AgentRequestError(
    404,
    ErrorCodes.INVALID_REQUEST,
    'No route for POST /v1/cycles.',
  );
  const verdict = classify(start(refused, 1));
  expect(verdict).toMatchObject({ kind: 'error', cycle: 1, evidence: { cause: 'drvcycle' } });
  expect(verdict.summary).toBe(
    'ERROR in load at cycle 1: drvcycle failed, not the driver: No route for POST /v1/cycles.',
  );
  expect(classify(start(new DrvcycleError(ErrorCodes.AGENT_INTERNAL, 'boom'))).kind).toBe('error');
});

test('an interrupted run is the environment, whatever the last record says', () => {
  const scm = new ScmError({ operation: 'ControlService', service: 'dc_x', win32Code: 1060 });
  const verdict = classify(
    { ...start(scm, 56), outcome: 'stop-failed' },
    {
      lost: false,
      interrupted: true,
    },
  );
  expect(verdict).toMatchObject({ kind: 'environment', evidence: { cause: 'interrupted' } });
  expect(verdict.summary).toMatch(/^ENVIRONMENT in unload at cycle 56: interrupted/);
});

test('a service drvcycle does not own in the way is the environment', () => {
  const foreign = new ForeignServiceError({
    service: 'dc_x',
    action: 'stop',
    seen: 'no drvcycle marker',
  });
  expect(classify(start(foreign))).toMatchObject({
    kind: 'environment',
    evidence: { cause: 'foreign-service' },
  });
});

test('a failure drvcycle cannot attribute is its own answer, not the driver and not the machine', () => {
  const verdict = classify(start(new RangeError('offset out of range')));
  expect(verdict.kind).toBe('error');
  expect(verdict.summary).toContain(
    'drvcycle failed, not the driver: drvcycle failed unexpectedly: RangeError',
  );
});

test('the SCM refusing the driver stays a load failure with its code', () => {
  const verdict = classify(
    start(
      new ScmError({
        operation: 'StartService',
        service: 'dc_x',
        win32Code: 1450,
        state: 'STOPPED',
      }),
      3,
    ),
    { lost: false },
  );
  expect(verdict).toMatchObject({ kind: 'load-failure', cycle: 3, evidence: { win32Code: 1450 } });
});

test('a test that ended without a verdict: interrupted is environment, anything else is error', () => {
  const base = { driver: 'dc_x', scenario: 'cycles', title: 'load/unload cycles' };
  expect(verdictForUnrecorded({ ...base, status: 'passed', message: undefined }).kind).toBe('pass');
  expect(verdictForUnrecorded({ ...base, status: 'interrupted', message: 'x' })).toMatchObject({
    kind: 'environment',
    evidence: { cause: 'interrupted' },
  });
  expect(
    verdictForUnrecorded({
      ...base,
      status: 'failed',
      message: 'TypeError: x is undefined\n  at …',
    }),
  ).toMatchObject({ kind: 'error', summary: 'ERROR: drvcycle failed: TypeError: x is undefined' });
  expect(verdictForUnrecorded({ ...base, status: 'timedOut', message: undefined }).summary).toBe(
    'ERROR: the test ran out of time: timedOut',
  );
});

test("the lab's host that died at start (1359, the shared user data not mapped) is a lab flake, named", () => {
  const record = start(
    new ScmError({
      operation: 'StartService',
      service: 'dc_flake',
      win32Code: 1359,
      state: 'STOPPED',
    }),
    199,
  );
  // As the lab printed it at the 1 in ~3,000 start that failed (2026-11-25).
  const debug = [
    '0038:072c:trace:service:svcctl_StartServiceW (00000000010A5970, 0, 0000000000000000)',
    'err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018',
    '0038:072c:trace:service:service_start returning 1359',
  ].join('\n');
  expect(labHostSpawnFailure(record, debug, 'dc_flake')).toEqual({
    cycle: 199,
    win32Code: 1359,
    why: 'StartService 1359 ERROR_INTERNAL_ERROR with no DriverEntry status logged: the driver host process did not start (err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018)',
  });
  // Not on a stop, not another code, not when DriverEntry's status is in the log.
  expect(
    labHostSpawnFailure({ ...record, outcome: 'stop-failed' }, debug, 'dc_flake'),
  ).toBeUndefined();
  expect(
    labHostSpawnFailure(
      start(new ScmError({ operation: 'StartService', service: 'dc_flake', win32Code: 1450 })),
      debug,
      'dc_flake',
    ),
  ).toBeUndefined();
  expect(
    labHostSpawnFailure(
      record,
      `${debug}\n0130:013c:err:ntoskrnl:ZwLoadDriver failed to create driver L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_flake": c00000e5`,
      'dc_flake',
    ),
  ).toBeUndefined();
});

test("Wine's PnP manager race in a fresh host is the lab's flake; the same fault after the manager exists is the driver's", () => {
  // The first start of a PnP driver in a fresh winedevice.exe (CI, 2026-11-26): the host said
  // RUNNING, the driver loaded, and Wine enumerated its root device before creating the manager.
  const record = start(
    new DrvcycleError(
      ErrorCodes.SCM_UNEXPECTED_STATE,
      'UpdateDriverForPlugAndPlayDevices: STOPPED',
    ),
    1,
  );
  const crash =
    'wine: Unhandled page fault on read access to 0000000000000008 at address 000000031CAA2391 (thread 0148), starting debugger...';
  const loaded = [
    '0140:0148:trace:ntoskrnl:ZwLoadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_pnp_x")',
    '0140:0148:trace:ntoskrnl:load_driver loading driver L"C:\\\\windows\\\\system32\\\\drivers\\\\dc_pnp_x.sys"',
    '0140:0148:trace:ntoskrnl:init_driver init done for L"dc_pnp_x" obj 000000000034C4D0',
  ];
  const rootDevice =
    '0140:0148:trace:ntoskrnl:IoCreateDevice (0000000000000000, 424, <null>, 4, 80, 0, 0000000001A9F7F8)';
  const manager =
    '0140:0144:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\PnpManager", 000000031CAAA080)';
  const race = [...loaded, rootDevice, crash, manager].join('\n');
  expect(winePnpManagerRace(record, race)).toEqual({
    cycle: 1,
    why: `Wine's PnP manager did not exist yet in the fresh driver host (process 0140) when it enumerated the driver's device: IoCreateDevice on a NULL driver object faulted inside Wine (${crash})`,
  });
  expect(labFlakeOf(record, race, 'dc_pnp_x')).toMatchObject({ cycle: 1 });

  // The manager existed: the same fault is not Wine's race.
  expect(winePnpManagerRace(record, [manager, ...loaded, rootDevice, crash].join('\n'))).toBe(
    undefined,
  );
  // A driver that calls IoCreateDevice with a NULL driver object itself (its own device type).
  const ownFdo =
    '0140:0148:trace:ntoskrnl:IoCreateDevice (0000000000000000, 40, <null>, 34, 100, 0, 0000000001A9F238)';
  expect(winePnpManagerRace(record, [...loaded, ownFdo, crash].join('\n'))).toBeUndefined();
  // Another thread's fault, a stop, another address read.
  expect(
    winePnpManagerRace(record, [...loaded, rootDevice, crash.replace('0148', '0150')].join('\n')),
  ).toBeUndefined();
  expect(winePnpManagerRace({ ...record, outcome: 'stop-failed' }, race)).toBeUndefined();
  expect(
    winePnpManagerRace(
      record,
      race.replace('read access to 0000000000000008', 'read access to 0000000000000010'),
    ),
  ).toBeUndefined();
});

test('with Driver Verifier a leak arrives as bugcheck 0xC4/0x62 at unload: a leak verdict with the count', () => {
  // As a dump header decodes (parameter 4: allocations not freed; 2 and 3 are addresses).
  const dump =
    'crash dump: crash dump C:\\Windows\\MEMORY.DMP: bugcheck 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION (0x62, 0xFFFFE00001B75978, 0xFFFFE00001BD56B0, 0x5)';
  const stop = { ...start(silent, 12), outcome: 'stop-failed' as const };
  const verdict = classify(stop, { lost: true, crashEvidence: [dump] });
  expect(verdict).toMatchObject({
    kind: 'leak',
    phase: 'unload',
    cycle: 12,
    evidence: { signal: 'verifier-bugcheck', leakedAllocations: 5 },
  });
  expect(verdict.summary).toBe(
    'LEAK in unload at cycle 12: Driver Verifier stopped the machine as the driver unloaded with 5 pool allocations not freed (bugcheck 0xC4, parameter 1 0x62)',
  );
  // The same from WER's event 1001 (its first parameter as Windows writes it).
  const wer =
    'Microsoft-Windows-WER-SystemErrorReporting: the computer rebooted from a bugcheck: 0x000000c4 (0x0000000000000062, 0xffffe00001b75978, 0xffffe00001bd56b0, 0x0000000000000001); dump C:\\Windows\\MEMORY.DMP';
  expect(verifierPoolLeak([wer])).toEqual({ allocations: 1 });
  // Another Verifier violation is a crash, not a leak.
  expect(
    classify(stop, {
      lost: true,
      crashEvidence: [dump.replace('(0x62,', '(0x10,')],
    }).kind,
  ).toBe('crash');
});

test('a PnP change that waits for a reboot is the driver failing to load or unload, saying so', () => {
  const install = new ScmError({
    operation: 'UpdateDriverForPlugAndPlayDevices',
    service: 'dc_x',
    win32Code: 3010,
  });
  const load = classify(start(install, 3));
  expect(load).toMatchObject({
    kind: 'load-failure',
    cycle: 3,
    evidence: { cause: 'reboot-required', win32Code: 3010 },
  });
  expect(load.summary).toContain(
    'the driver was installed only for the next reboot (SetupAPI asked for one), so it cannot be loaded without one',
  );
  const removal = new ScmError({
    operation: 'SetupDiCallClassInstaller(DIF_REMOVE)',
    service: 'dc_x',
    win32Code: 3011,
  });
  const unload = classify({ ...start(removal, 4), outcome: 'stop-failed' });
  expect(unload).toMatchObject({
    kind: 'unload-failure',
    evidence: { cause: 'reboot-required', win32Code: 3011 },
  });
  expect(unload.summary).toContain('removed only for the next restart');
});
