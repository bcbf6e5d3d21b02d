/**
 * A batch thread's calls run inline; the owning thread bounds them through shared memory
 * (src/target/batch-thread-control.ts). The ServiceManager and query here are fakes (named as such):
 * the claim protocol, and what each side then reports, is what is tested.
 */
import { expect, test } from '@playwright/test';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import { ErrorCodes } from '../../src/core/errors.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { BatchControl } from '../../src/target/batch-thread-control.ts';
import { BatchThreads, overdueRecord, watchEveryMs } from '../../src/target/batch-thread.ts';
import { Worker } from 'node:worker_threads';
import { runCycleLoop } from '../../src/target/cycle-loop.ts';
import { CallAbandonedError } from '../../src/windows/scm/blocking-call-watch.ts';
import { PnpDriverServices } from '../../src/windows/pnp/pnp-services.ts';
import { ownedDisplayName } from '../../src/windows/scm/ownership.ts';
import type { ServiceManager } from '../../src/windows/scm/service-manager.ts';
import { ServiceState } from '../../src/windows/scm/status.ts';
import { serviceStatus } from './fake-scm.ts';

const call = (cycle: number | undefined, startedAtEpochMs: number) => ({
  operation: 'ControlService' as const,
  service: 'dc_x',
  boundMs: 1_000,
  startedAtEpochMs,
  cycle,
});

test('a call is claimed only once past its bound, and then its own return loses', () => {
  const owner = new BatchControl();
  // The batch thread's view: the same shared memory, as a worker receives it.
  const thread = new BatchControl(owner.buffers);
  expect(owner.claimOverdue(10_000)).toBeUndefined(); // no call in progress

  thread.phase(7, 'unload', 12.5);
  thread.begin(call(7, 5_000));
  expect(owner.claimOverdue(5_999)).toBeUndefined();
  expect(owner.claimOverdue(6_000)).toEqual({
    operation: 'ControlService',
    cycle: 7,
    elapsedMs: 1_000,
    boundMs: 1_000,
    phase: 'unload',
    startMs: 12.5,
  });
  expect(owner.claimOverdue(9_000)).toBeUndefined(); // claimed once
  expect(thread.end()).toBe(false); // the call came back late: the owner already reported it
});

test('a call that returns in time cannot be claimed afterwards', () => {
  const owner = new BatchControl();
  const thread = new BatchControl(owner.buffers);
  thread.phase(1, 'load', null);
  thread.begin({ ...call(1, 0), operation: 'StartService' });
  expect(thread.end()).toBe(true);
  expect(owner.claimOverdue(1_000_000)).toBeUndefined();
  thread.begin({ ...call(undefined, 0), operation: 'CM_Disable_DevNode' });
  expect(owner.claimOverdue(1_000)).toMatchObject({
    operation: 'CM_Disable_DevNode',
    cycle: undefined,
    phase: 'none',
    startMs: null,
  });
});

test('the owner looks at the call in progress often enough for the batch’s shortest bound', () => {
  expect(watchEveryMs({ count: 1 })).toBe(250);
  expect(watchEveryMs({ count: 1, stopTimeoutMs: 2_500 })).toBe(50);
  expect(watchEveryMs({ count: 1, startTimeoutMs: 100, stopTimeoutMs: 60_000 })).toBe(25);
  const io = { everyCycles: 1, openTimeoutMs: 2_000, operations: [] };
  expect(watchEveryMs({ count: 1, io: { device: '\\\\.\\A', ...io } })).toBe(40);
});

test('cancel is seen by the batch thread', () => {
  const owner = new BatchControl();
  const thread = new BatchControl(owner.buffers);
  expect(thread.cancelled).toBe(false);
  owner.cancel();
  expect(thread.cancelled).toBe(true);
});

test('the owner’s record of an overdue call is the one a pool timer would give', () => {
  const query = () => serviceStatus(ServiceState.STOP_PENDING);
  const unload = overdueRecord(
    'dc_hang',
    {
      operation: 'ControlService',
      cycle: 3,
      elapsedMs: 5_012,
      boundMs: 5_000,
      phase: 'unload',
      startMs: 9.5,
    },
    query,
  );
  expect(unload).toMatchObject({
    cycle: 3,
    outcome: 'stop-failed',
    startMs: 9.5,
    stopMs: null,
    state: 'STOP_PENDING',
    error: { code: ErrorCodes.SCM_TIMEOUT },
  });
  const load = overdueRecord(
    'dc_hang',
    {
      operation: 'StartService',
      cycle: 1,
      elapsedMs: 30_001,
      boundMs: 30_000,
      phase: 'load',
      startMs: null,
    },
    () => {
      throw new Error('fake: the query fails');
    },
  );
  expect(load).toMatchObject({ outcome: 'start-failed', state: 'UNKNOWN', startMs: null });
  const stillStarting = overdueRecord(
    'dc_hang',
    {
      operation: 'ControlService',
      cycle: 4,
      elapsedMs: 5_010,
      boundMs: 5_000,
      phase: 'unload',
      startMs: 3.1,
    },
    () => serviceStatus(ServiceState.START_PENDING),
  );
  expect(stillStarting).toMatchObject({
    cycle: 4,
    outcome: 'start-failed',
    startMs: null,
    state: 'START_PENDING',
  });
  expect(() =>
    overdueRecord(
      'dc_hang',
      {
        operation: 'CM_Disable_DevNode',
        cycle: undefined,
        elapsedMs: 31_000,
        boundMs: 30_000,
        phase: 'none',
        startMs: null,
      },
      query,
    ),
  ).toThrow(/CM_Disable_DevNode/);
});

test('a batch whose call the owner gave up on ends without a record of its own', async () => {
  const control = new BatchControl();
  const owner = new BatchControl(control.buffers);
  const calls: string[] = [];
  // A fake SCM: its stop returns only after the owner has claimed the call as overdue.
  const scm = {
    queryConfig: () => ({ displayName: ownedDisplayName('dc_x', 'run-1') }),
    queryDescription: () => '',
    holdOpen: () => () => calls.push('released'),
    queryStatus: () => serviceStatus(ServiceState.RUNNING),
    start: async () => {
      calls.push('start');
    },
    stop: async () => {
      calls.push('stop');
      expect(owner.claimOverdue(Date.now() + 60_000)).toMatchObject({ cycle: 1, phase: 'unload' });
      return serviceStatus(ServiceState.STOPPED);
    },
  } as unknown as ServiceManager;
  const services = new PnpDriverServices(scm, undefined, { watch: control });
  const records: CycleRecord[] = [];
  const ended = await (async () => {
    for await (const record of runCycleLoop(
      services,
      'dc_x',
      { count: 3 },
      {
        onPhase: (cycle, phase, startMs) => control.phase(cycle, phase, startMs),
      },
    ))
      records.push(record);
  })().catch((error: unknown) => error);
  // The batch thread drops it silently (batch-thread-worker.ts): the owner has written the record.
  expect(ended).toBeInstanceOf(CallAbandonedError);
  expect(records).toEqual([]);
  expect(calls).toEqual(['start', 'stop', 'released']);
});

const okRecord = (cycle: number) =>
  JSON.stringify({ cycle, outcome: 'ok', startMs: 1, stopMs: 1, state: 'STOPPED' });

/**
 * What a fake batch thread (plain JavaScript in an eval'd worker) runs to append its first record
 * to the ring, laid out as record-ring.ts does: lines from byte 0, their byte count in counters[0].
 */
const appendFirstRecord = (record: string) =>
  `const line = new TextEncoder().encode(${JSON.stringify(`${record}\n`)});
   new Uint8Array(control.records.bytes).set(line, 0);
   Atomics.add(new Int32Array(control.records.counters), 0, line.length);`;

test('a reader that stops early while the batch thread hangs in a call is let go at the call’s bound', async () => {
  // A fake batch thread: it hands over one record, then never ends (stuck in a call).
  const fakeThread = () =>
    new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.once('message', ({ control }) => {
         ${appendFirstRecord(okRecord(1))}
         parentPort.postMessage({ type: 'records' });
       });`,
      { eval: true },
    );
  const threads = new BatchThreads(fakeThread);
  const control = new BatchControl();
  const seen: number[] = [];
  for await (const record of threads.run(
    { name: 'dc_x', options: { count: 5 }, unloadsWithLastDevice: false, handOverEveryMs: 0 },
    control,
    () => serviceStatus(ServiceState.STOP_PENDING),
  )) {
    seen.push(record.cycle);
    // What the batch thread writes once cycle 1 is posted: cycle 2's stop, begun now, bound
    // 50 ms. Written here, not before the run, so a slow thread start cannot make it overdue
    // before cycle 1 arrives.
    new BatchControl(control.buffers).begin({
      operation: 'ControlService',
      service: 'dc_x',
      boundMs: 50,
      startedAtEpochMs: Date.now(),
      cycle: 2,
    });
    break;
  }
  expect(seen).toEqual([1]);
  expect(control.cancelled).toBe(true);
  // The call was claimed: the stuck thread is not kept for the next batch.
  expect(control.claimOverdue(Date.now() + 60_000)).toBeUndefined();
  threads.close();
});

/** A fake batch thread that never says anything: the test plays its part in shared memory. */
const silentThread = () =>
  new Worker(`require('node:worker_threads').parentPort.once('message', () => {});`, {
    eval: true,
  });

test('records a batch thread holds back reach the owner on its watch, without a hand-over', async () => {
  const threads = new BatchThreads(silentThread);
  const control = new BatchControl();
  const thread = new BatchControl(control.buffers);
  thread.records.append(okRecord(1), () => {});
  thread.records.append(okRecord(2), () => {});
  const seen: number[] = [];
  for await (const record of threads.run(
    {
      name: 'dc_x',
      options: { count: 5, stopTimeoutMs: 1_000 },
      unloadsWithLastDevice: false,
      handOverEveryMs: 50,
    },
    control,
    () => serviceStatus(ServiceState.STOPPED),
  )) {
    seen.push(record.cycle);
    if (seen.length < 2) continue;
    // The thread is now in cycle 3's stop, past its bound: the reader is let go there.
    thread.begin({
      operation: 'ControlService',
      service: 'dc_x',
      boundMs: 50,
      startedAtEpochMs: Date.now(),
      cycle: 3,
    });
    break;
  }
  expect(seen).toEqual([1, 2]);
  threads.close();
});

test('an overdue call is reported after the records the stuck thread appended before it', async () => {
  const threads = new BatchThreads(silentThread);
  const control = new BatchControl();
  const thread = new BatchControl(control.buffers);
  thread.records.append(okRecord(1), () => {});
  thread.records.append(okRecord(2), () => {});
  thread.phase(3, 'load', null);
  thread.phase(3, 'unload', 2.5);
  thread.begin({
    operation: 'ControlService',
    service: 'dc_hang',
    boundMs: 5_000,
    startedAtEpochMs: Date.now() - 6_000,
    cycle: 3,
  });
  const records: CycleRecord[] = [];
  for await (const record of threads.run(
    { name: 'dc_hang', options: { count: 5 }, unloadsWithLastDevice: false, handOverEveryMs: 50 },
    control,
    () => serviceStatus(ServiceState.STOP_PENDING),
  ))
    records.push(record);
  expect(records.map((r) => [r.cycle, r.outcome])).toEqual([
    [1, 'ok'],
    [2, 'ok'],
    [3, 'stop-failed'],
  ]);
  expect(records[2]).toMatchObject({ startMs: 2.5, state: 'STOP_PENDING' });
  threads.close();
});

test('a batch thread that dies hands on the records it appended, then its error', async () => {
  // A fake batch thread: appends cycle 1's record to the ring without a hand-over, then dies.
  const dyingThread = () =>
    new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.once('message', ({ control }) => {
         ${appendFirstRecord(okRecord(1))}
         throw new Error('fake: the batch thread died');
       });`,
      { eval: true },
    );
  const threads = new BatchThreads(dyingThread);
  const seen: number[] = [];
  const error = await (async () => {
    for await (const record of threads.run(
      { name: 'dc_x', options: { count: 5 }, unloadsWithLastDevice: false, handOverEveryMs: 50 },
      new BatchControl(),
      () => serviceStatus(ServiceState.STOPPED),
    ))
      seen.push(record.cycle);
  })().catch((e: unknown) => e);
  expect(seen).toEqual([1]);
  expect((error as Error).message).toBe('fake: the batch thread died');
  threads.close();
});

const HANG_DEVICE = '\\\\.\\DcIoHangCreate';

test('an open past the table’s bound is claimed with its device, and reported as a hang in io naming it', () => {
  const owner = new BatchControl();
  const thread = new BatchControl(owner.buffers);
  thread.phase(2, 'load', null);
  thread.phase(2, 'io', 11.5);
  thread.beginDeviceCall({
    operation: 'open',
    path: HANG_DEVICE,
    boundMs: 2_000,
    startedAtEpochMs: 1_000,
    cycle: 2,
    operations: [],
  });
  expect(owner.claimOverdue(2_999)).toBeUndefined();
  const claimed = owner.claimOverdue(3_004)!;
  expect(claimed).toEqual({
    operation: 'open',
    cycle: 2,
    elapsedMs: 2_004,
    boundMs: 2_000,
    phase: 'io',
    startMs: 11.5,
    device: { path: HANG_DEVICE, operations: [] },
  });
  expect(thread.end()).toBe(false);
  const record = overdueRecord('dc_io_hang_create', claimed, () =>
    serviceStatus(ServiceState.RUNNING),
  );
  expect(record).toEqual({
    cycle: 2,
    outcome: 'io-failed',
    startMs: 11.5,
    stopMs: null,
    state: 'RUNNING',
    io: [],
    ioFailure: {
      kind: 'hang',
      operation: 'open',
      description: `open ${HANG_DEVICE}`,
      call: 1,
      elapsedMs: 2_004,
      boundMs: 2_000,
      afterCancel: 'still-pending',
      expected: "the driver's IRP_MJ_CREATE completed",
    },
  });
  const verdict = classifyCycleFailure({ record, driver: 'dc_io_hang_create', scenario: 'cycles' });
  expect(verdict.kind).toBe('hang');
  expect(verdict.summary).toBe(
    'HANG in io at cycle 2: open \\\\.\\DcIoHangCreate did not complete within 2000 ms: the driver never completed its IRP_MJ_CREATE; the thread making the call was given up on, and the machine is recovered before the next test',
  );
  expect(verdict.evidence).toMatchObject({
    operation: 'open',
    device: HANG_DEVICE,
    boundMs: 2_000,
    elapsedMs: 2_004,
    state: 'RUNNING',
  });
});

test('a close given up on after a failed call reports that failure, and the close hang beside it', () => {
  const owner = new BatchControl();
  const thread = new BatchControl(owner.buffers);
  const failure = {
    kind: 'unexpected-status' as const,
    operation: 'get',
    code: 0x222000,
    description: 'get (IOCTL 0x00222000)',
    call: 1,
    ntstatus: 0xc000000d,
    win32: 87,
    expected: 'success',
    elapsedMs: 3,
  };
  const operations = [
    { name: 'get', calls: 1, ntstatus: 0xc000000d, win32: 87, bytes: 0, totalMs: 3, maxMs: 3 },
  ];
  thread.phase(1, 'io', 4);
  thread.beginDeviceCall({
    operation: 'close',
    path: HANG_DEVICE,
    boundMs: 500,
    startedAtEpochMs: 0,
    cycle: 1,
    operations,
    failure,
  });
  const record = overdueRecord('dc_x', owner.claimOverdue(600)!, () =>
    serviceStatus(ServiceState.RUNNING),
  );
  expect(record).toMatchObject({
    outcome: 'io-failed',
    io: operations,
    ioFailure: failure,
    ioCloseHang: { kind: 'hang', operation: 'close', description: `close ${HANG_DEVICE}` },
  });
  expect(classifyCycleFailure({ record, driver: 'dc_x', scenario: 'cycles' }).summary).toBe(
    'UNEXPECTED STATUS in io at cycle 1: get (IOCTL 0x00222000), call 1 ended with 0xC000000D STATUS_INVALID_PARAMETER (Win32 87 ERROR_INVALID_PARAMETER); expected success; then close \\\\.\\DcIoHangCreate did not complete within 500 ms either',
  );
});

test('a batch stuck in the device’s open ends with the open’s hang, after the records before it', async () => {
  const threads = new BatchThreads(silentThread);
  const control = new BatchControl();
  const thread = new BatchControl(control.buffers);
  thread.records.append(okRecord(1), () => {});
  thread.phase(2, 'load', null);
  thread.phase(2, 'io', 7);
  thread.beginDeviceCall({
    operation: 'open',
    path: HANG_DEVICE,
    boundMs: 100,
    startedAtEpochMs: Date.now(),
    cycle: 2,
    operations: [],
  });
  const records: CycleRecord[] = [];
  for await (const record of threads.run(
    { name: 'dc_x', options: { count: 5 }, unloadsWithLastDevice: false, handOverEveryMs: 50 },
    control,
    () => serviceStatus(ServiceState.RUNNING),
  ))
    records.push(record);
  expect(records.map((r) => [r.cycle, r.outcome, r.ioFailure?.operation])).toEqual([
    [1, 'ok', undefined],
    [2, 'io-failed', 'open'],
  ]);
  threads.close();
});

test('a call whose dispatch routine never returns is claimed with the hang the batch thread described', () => {
  const owner = new BatchControl();
  const thread = new BatchControl(owner.buffers);
  const operations = [
    { name: 'get', calls: 1, ntstatus: 0, win32: 0, bytes: 4, totalMs: 2, maxMs: 2 },
    { name: 'stuck', calls: 0, ntstatus: null, win32: null, bytes: 0, totalMs: 0, maxMs: 0 },
  ];
  thread.phase(3, 'io', 9);
  thread.beginDeviceCall({
    operation: 'call',
    path: '\\\\.\\DcIo',
    boundMs: 250,
    startedAtEpochMs: 1_000,
    cycle: 3,
    operations,
    hang: {
      kind: 'hang',
      operation: 'stuck',
      code: 0x222010,
      description: 'stuck (IOCTL 0x00222010)',
      call: 1,
      request: { inputLength: 0, outputLength: 0 },
      elapsedMs: 250,
      boundMs: 250,
      afterCancel: 'never-returned',
      expected: 'success',
    },
  });
  expect(owner.claimOverdue(1_200)).toBeUndefined();
  const claimed = owner.claimOverdue(1_260)!;
  expect(claimed.operation).toBe('call');
  expect(thread.end()).toBe(false);
  const record = overdueRecord('dc_io', claimed, () => serviceStatus(ServiceState.RUNNING));
  expect(record).toMatchObject({
    cycle: 3,
    outcome: 'io-failed',
    startMs: 9,
    io: operations,
    ioFailure: { operation: 'stuck', elapsedMs: 260, boundMs: 250, afterCancel: 'never-returned' },
  });
  const verdict = classifyCycleFailure({ record, driver: 'dc_io', scenario: 'cycles' });
  expect(verdict.kind).toBe('hang');
  expect(verdict.summary).toBe(
    "HANG in io at cycle 3: stuck (IOCTL 0x00222010), call 1 with no input and no output did not return to its caller within 250 ms: the driver's dispatch routine still held the call (it had neither completed nor pended the IRP by then); the thread making the call was given up on, and the machine is recovered before the next test",
  );
  expect(verdict.evidence).toMatchObject({
    operation: 'stuck',
    ioctl: '0x00222010',
    state: 'RUNNING',
  });
});
