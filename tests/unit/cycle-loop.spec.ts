/**
 * The target-side cycle loop: the order of its SCM calls and records, and which cycle a failure is
 * blamed on. The ServiceManager and the clock are fakes (named as such): the loop's decisions
 * are what is tested; the lab suite runs the same loop on real drivers.
 */
import { expect, test } from '@playwright/test';
import { ScmError, UnexpectedStateError } from '../../src/core/errors.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { runCycleLoop } from '../../src/target/cycle-loop.ts';
import { PnpDriverServices } from '../../src/windows/pnp/pnp-services.ts';
import { ownedDescription, ownedDisplayName } from '../../src/windows/scm/ownership.ts';
import type { ServiceManager } from '../../src/windows/scm/service-manager.ts';
import { ServiceState } from '../../src/windows/scm/status.ts';
import { Win32 } from '../../src/core/win32-codes.ts';
import { fakeClock, serviceStatus } from './fake-scm.ts';

const NAME = 'dc_loop';

interface FakeBehaviour {
  /** The state a successful StartService leaves (RUNNING unless told). */
  afterStart?: (cycle: number) => number;
  /** Makes ControlService(STOP) fail in that cycle with this error, or never return. */
  stopFails?: (cycle: number, state: number) => ScmError | 'hang' | undefined;
}

/** A fake SCM for one drvcycle-owned driver service; `log` is every call in order. */
function fakeScm(behaviour: FakeBehaviour = {}) {
  const log: string[] = [];
  let state: number = ServiceState.STOPPED;
  let starts = 0;
  const scm = {
    queryConfig: () => ({ displayName: ownedDisplayName(NAME, 'run1') }),
    queryDescription: () => ownedDescription('run1', new Date(0)),
    holdOpen: () => () => log.push('close'),
    queryStatus: () => {
      log.push('query');
      return serviceStatus(state);
    },
    start: async () => {
      starts++;
      log.push(`start ${starts}`);
      state = behaviour.afterStart?.(starts) ?? ServiceState.RUNNING;
    },
    stop: async () => {
      log.push(`stop ${starts}`);
      const failure = behaviour.stopFails?.(starts, state);
      if (failure === 'hang') return new Promise<never>(() => {});
      if (failure) throw failure;
      state = ServiceState.STOPPED;
      return serviceStatus(state);
    },
  };
  return { scm: scm as unknown as ServiceManager, log, state: () => state };
}

async function collect(
  records: AsyncIterable<CycleRecord>,
  log: string[],
  stopAfter = Infinity,
): Promise<CycleRecord[]> {
  const seen: CycleRecord[] = [];
  for await (const record of records) {
    log.push(`record ${record.cycle}`);
    seen.push(record);
    if (seen.length >= stopAfter) break;
  }
  return seen;
}

test('a cycle is StartService then ControlService, with no status query in between', async () => {
  const { scm, log } = fakeScm();
  const services = new PnpDriverServices(scm, fakeClock());
  const records = await collect(runCycleLoop(services, NAME, { count: 3 }), log);
  expect(records.map((r) => [r.cycle, r.outcome, r.state])).toEqual([
    [1, 'ok', 'STOPPED'],
    [2, 'ok', 'STOPPED'],
    [3, 'ok', 'STOPPED'],
  ]);
  // Each stop that succeeds confirms the start before it; each record goes out as its cycle ends.
  expect(log).toEqual([
    'start 1',
    'stop 1',
    'record 1',
    'start 2',
    'stop 2',
    'record 2',
    'start 3',
    'stop 3',
    'record 3',
    'close',
  ]);
});

test('a start that the next stop finds not running (1062) is the cycle’s start failure, not its stop', async () => {
  const { scm, log } = fakeScm({
    afterStart: (cycle) => (cycle === 2 ? ServiceState.STOPPED : ServiceState.RUNNING),
    stopFails: (_cycle, state) =>
      state === ServiceState.STOPPED
        ? new ScmError({
            operation: 'ControlService',
            service: NAME,
            win32Code: Win32.SERVICE_NOT_ACTIVE,
            state: 'STOPPED',
          })
        : undefined,
  });
  const records = await collect(
    runCycleLoop(new PnpDriverServices(scm, fakeClock()), NAME, { count: 5 }),
    log,
  );
  expect(records.map((r) => r.outcome)).toEqual(['ok', 'start-failed']);
  const failure = records[1]!;
  expect(failure).toMatchObject({ cycle: 2, startMs: null, stopMs: null, state: 'STOPPED' });
  expect(failure.error).toMatchObject({
    name: 'UnexpectedStateError',
    operation: 'StartService',
    expected: 'RUNNING',
    state: 'STOPPED',
    cycle: 2,
  });
  // The batch ends at the failure: no third start.
  expect(log).not.toContain('start 3');
});

test('a stop that fails on a running driver stays the driver’s stop failure', async () => {
  const { scm, log } = fakeScm({
    stopFails: (cycle) =>
      cycle === 2
        ? new ScmError({
            operation: 'ControlService',
            service: NAME,
            win32Code: Win32.SERVICE_REQUEST_TIMEOUT,
            state: 'RUNNING',
          })
        : undefined,
  });
  const records = await collect(
    runCycleLoop(new PnpDriverServices(scm, fakeClock()), NAME, { count: 5 }),
    log,
  );
  expect(records.map((r) => r.outcome)).toEqual(['ok', 'stop-failed']);
  expect(records[1]!.error).toMatchObject({
    name: 'ScmError',
    operation: 'ControlService',
    win32Code: Win32.SERVICE_REQUEST_TIMEOUT,
  });
  expect(records[1]!.startMs).not.toBeNull();
});

test('a driver still START_PENDING when its stop gives up is a start that did not finish', async () => {
  const { scm, log } = fakeScm({
    afterStart: () => ServiceState.START_PENDING,
    stopFails: () => 'hang',
  });
  const records = await collect(
    runCycleLoop(new PnpDriverServices(scm, fakeClock()), NAME, {
      count: 3,
      startTimeoutMs: 1000,
      stopTimeoutMs: 20,
    }),
    log,
  );
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ cycle: 1, outcome: 'start-failed', state: 'START_PENDING' });
  expect(records[0]!.error).toMatchObject({
    name: 'ScmTimeoutError',
    operation: 'StartService',
    state: 'START_PENDING',
  });
});

test('a reader that stops early leaves the driver stopped, and a cancelled batch starts no further cycle', async () => {
  const fake = fakeScm();
  const records = await collect(
    runCycleLoop(new PnpDriverServices(fake.scm, fakeClock()), NAME, { count: 10 }),
    fake.log,
    1,
  );
  expect(records).toHaveLength(1);
  expect(fake.log).toEqual(['start 1', 'stop 1', 'record 1', 'close']);
  expect(fake.state()).toBe(ServiceState.STOPPED);

  const { scm, log } = fakeScm();
  const controller = new AbortController();
  const seen: CycleRecord[] = [];
  for await (const record of runCycleLoop(
    new PnpDriverServices(scm, fakeClock()),
    NAME,
    { count: 10 },
    {
      cancel: controller.signal,
    },
  )) {
    seen.push(record);
    if (record.cycle === 2) controller.abort();
  }
  expect(seen.map((r) => r.cycle)).toEqual([1, 2]);
  expect(log.filter((l) => l.startsWith('start'))).toEqual(['start 1', 'start 2']);
});

test('the status is still read back for a lone start (fixtures, error paths)', async () => {
  const { scm, log } = fakeScm({ afterStart: () => ServiceState.STOPPED });
  const error = await new PnpDriverServices(scm, fakeClock()).start(NAME).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnexpectedStateError);
  expect(log).toEqual(['start 1', 'query']);
});
