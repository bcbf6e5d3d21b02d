/**
 * The error-path catalog: each case, the exact outcome expected on Windows and on the Wine lab
 * (one table, so a difference between them is visible), and how to provoke it.
 */
import {
  DrvcycleError,
  ScmError,
  ScmTimeoutError,
  UnexpectedStateError,
  type ScmOperation,
} from '../core/errors.ts';
import { rootDeviceInf } from '../core/inf.ts';
import type { InstalledDriver, Target } from '../target/types.ts';
import { IMAGE_FILE_MACHINE } from '../core/pe-image.ts';
import { notAnImage, truncated, withMachineType } from './images.ts';

export type Expectation =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'error'; readonly operation: ScmOperation; readonly win32Code: number }
  | { readonly outcome: 'timeout'; readonly state: string }
  | { readonly outcome: 'stop-ineffective'; readonly state: string }
  | { readonly outcome: 'crash' }
  /** drvcycle refuses the request before Windows is asked (a DrvcycleError code). */
  | { readonly outcome: 'refused'; readonly code: string };

export type Observation =
  | { readonly outcome: 'ok' }
  | {
      readonly outcome: 'error';
      readonly operation: string;
      readonly win32Code: number;
      readonly message: string;
    }
  | { readonly outcome: 'timeout'; readonly state: string; readonly message: string }
  | { readonly outcome: 'stop-ineffective'; readonly state: string; readonly message: string }
  | { readonly outcome: 'refused'; readonly code: string; readonly message: string }
  | { readonly outcome: 'crash'; readonly message: string };

export interface CaseContext {
  readonly target: Target;
  /** The driver under test's image bytes (for derived images). */
  readonly imageUnderTest: Uint8Array;
  installBytes(fileName: string, bytes: Uint8Array, serviceName: string): Promise<InstalledDriver>;
  installSample(sample: string): Promise<InstalledDriver>;
  /** A service whose image path lies in the staging folder but has no file. */
  installMissing(serviceName: string): Promise<InstalledDriver>;
  /** A PnP driver on its root-enumerated device, from drvcycle's INF or the given one. */
  installPnp(
    fileName: string,
    bytes: Uint8Array,
    serviceName: string,
    inf?: string,
  ): Promise<InstalledDriver>;
  readonly stopTimeoutMs: number;
}

export interface ErrorPathCase {
  readonly id: string;
  readonly title: string;
  readonly windows: Expectation;
  readonly lab: Expectation;
  /**
   * `driver`: run on the driver under test (or images derived from it). `self-check`: run on
   * drvcycle's sample drivers, proving that drvcycle and the machine detect each kind of failure.
   */
  readonly family: 'driver' | 'self-check';
  /** The driver kind a `driver` case is for (legacy unless it says pnp). */
  readonly kind?: 'legacy' | 'pnp';
  /** The case starts the driver under test: skipped, with the reason, when that driver cannot load. */
  readonly needsLoad?: boolean;
  /** The case leaves a driver loaded or a host hung on this platform: the machine is recovered after it. */
  readonly leavesDirty: { readonly windows: boolean; readonly lab: boolean };
  /** The state the case's own service is expected to be left in (checked before the revert). */
  readonly leftBehind?: { readonly windows?: string; readonly lab?: string };
  run(ctx: CaseContext): Promise<Observation>;
}

/** Runs one SCM step and turns its typed error into an observation. */
export async function observe(step: () => Promise<unknown>): Promise<Observation> {
  try {
    await step();
    return { outcome: 'ok' };
  } catch (error) {
    if (error instanceof ScmTimeoutError)
      return { outcome: 'timeout', state: error.state, message: error.problem };
    if (error instanceof UnexpectedStateError)
      return { outcome: 'stop-ineffective', state: error.state, message: error.problem };
    if (error instanceof ScmError)
      return {
        outcome: 'error',
        operation: error.operation,
        win32Code: error.win32Code,
        message: error.problem,
      };
    if (error instanceof DrvcycleError)
      return { outcome: 'refused', code: error.code, message: error.problem };
    throw error;
  }
}

export function describeExpectation(e: Expectation): string {
  switch (e.outcome) {
    case 'ok':
      return 'succeeds';
    case 'error':
      return `${e.operation} fails with ${e.win32Code}`;
    case 'timeout':
      return `the bounded wait ends in ${e.state}`;
    case 'stop-ineffective':
      return `stop "succeeds" but the service stays ${e.state}`;
    case 'crash':
      return 'the driver crashes (host dies / bugcheck)';
    case 'refused':
      return `drvcycle refuses it (${e.code}) before Windows is asked`;
  }
}

export function describeObservation(o: Observation): string {
  return o.outcome === 'ok' ? 'succeeded' : `${o.outcome}: ${o.message}`;
}

export function matches(expected: Expectation, observed: Observation): boolean {
  if (expected.outcome !== observed.outcome) return false;
  if (expected.outcome === 'error' && observed.outcome === 'error')
    return expected.operation === observed.operation && expected.win32Code === observed.win32Code;
  if (expected.outcome === 'refused' && observed.outcome === 'refused')
    return expected.code === observed.code;
  if (
    (expected.outcome === 'timeout' || expected.outcome === 'stop-ineffective') &&
    'state' in observed
  )
    return expected.state === observed.state;
  return true;
}

const startFails = (win32Code: number): Expectation => ({
  outcome: 'error',
  operation: 'StartService',
  win32Code,
});
const clean = { windows: false, lab: false };
const serviceExists: Expectation = {
  outcome: 'error',
  operation: 'CreateService',
  win32Code: 1073,
};

async function startDerived(
  ctx: CaseContext,
  fileName: string,
  bytes: Uint8Array,
  service: string,
): Promise<Observation> {
  const ref = await ctx.installBytes(fileName, bytes, service);
  return observe(() => ctx.target.start(ref, { retry: false }));
}

export const ERROR_PATH_CASES: readonly ErrorPathCase[] = [
  {
    id: 'missing-image',
    family: 'driver',
    title: 'missing image',
    windows: startFails(2),
    lab: startFails(1114),
    leavesDirty: clean,
    run: async (ctx) => {
      const ref = await ctx.installMissing('dc_ep_missing');
      return observe(() => ctx.target.start(ref, { retry: false }));
    },
  },
  {
    id: 'not-pe',
    family: 'driver',
    title: 'not-a-PE image',
    windows: startFails(193),
    lab: startFails(1114),
    leavesDirty: clean,
    run: (ctx) => startDerived(ctx, 'not_a_driver.sys', notAnImage(), 'dc_ep_notpe'),
  },
  {
    id: 'truncated',
    family: 'driver',
    title: 'truncated image',
    windows: startFails(193),
    lab: startFails(1114),
    leavesDirty: clean,
    run: (ctx) =>
      startDerived(ctx, 'truncated.sys', truncated(ctx.imageUnderTest), 'dc_ep_truncated'),
  },
  {
    id: 'wrong-arch',
    family: 'driver',
    title: 'wrong-architecture image (i386 on x64)',
    windows: startFails(193),
    lab: startFails(1114),
    leavesDirty: clean,
    run: (ctx) =>
      startDerived(
        ctx,
        'i386.sys',
        withMachineType(ctx.imageUnderTest, IMAGE_FILE_MACHINE.I386),
        'dc_ep_i386',
      ),
  },
  {
    id: 'path-spaces-unicode',
    family: 'driver',
    needsLoad: true,
    title: 'image path with spaces and non-ASCII characters',
    windows: { outcome: 'ok' },
    lab: { outcome: 'ok' },
    leavesDirty: clean,
    run: async (ctx) => {
      const ref = await ctx.installBytes(
        'Drïver ünder tést 試験.sys',
        ctx.imageUnderTest,
        'dc_ep_unicode',
      );
      return observe(async () => {
        await ctx.target.start(ref, { retry: false });
        await ctx.target.stop(ref, { retry: false, timeoutMs: ctx.stopTimeoutMs });
      });
    },
  },
  {
    id: 'second-start',
    family: 'driver',
    needsLoad: true,
    title: 'second start',
    windows: startFails(1056),
    lab: startFails(1056),
    leavesDirty: clean,
    run: async (ctx) => {
      const ref = await ctx.installBytes('under_test.sys', ctx.imageUnderTest, 'dc_ep_twice');
      await ctx.target.start(ref);
      return observe(() => ctx.target.start(ref, { retry: false }));
    },
  },
  {
    id: 'stop-stopped',
    family: 'driver',
    title: 'stop when stopped',
    windows: { outcome: 'error', operation: 'ControlService', win32Code: 1062 },
    lab: { outcome: 'error', operation: 'ControlService', win32Code: 1062 },
    leavesDirty: clean,
    run: async (ctx) => {
      const ref = await ctx.installBytes('under_test.sys', ctx.imageUnderTest, 'dc_ep_stopstopped');
      return observe(() => ctx.target.stop(ref, { retry: false }));
    },
  },
  {
    id: 'delete-running-start',
    family: 'driver',
    needsLoad: true,
    // Wine still lists the service, RUNNING; its driver cannot be stopped any more.
    leftBehind: { lab: 'RUNNING' },
    title: 'delete while running, then start',
    // Windows keeps the entry, marked for delete, until the service stops; Wine drops it and the
    // start still finds the running instance. On Wine the driver then cannot be stopped any more.
    windows: startFails(1072),
    lab: startFails(1056),
    leavesDirty: { windows: false, lab: true },
    run: async (ctx) => {
      const ref = await ctx.installBytes('under_test.sys', ctx.imageUnderTest, 'dc_ep_delrun');
      await ctx.target.start(ref);
      await ctx.target.markForDelete(ref);
      return observe(() => ctx.target.start(ref, { retry: false }));
    },
  },
  {
    id: 'duplicate-create',
    family: 'driver',
    title: 'duplicate create',
    windows: serviceExists,
    lab: serviceExists,
    leavesDirty: clean,
    run: async (ctx) => {
      await ctx.installBytes('under_test.sys', ctx.imageUnderTest, 'dc_ep_dup');
      return observe(() => ctx.installBytes('under_test.sys', ctx.imageUnderTest, 'dc_ep_dup'));
    },
  },
  {
    id: 'pnp-duplicate-install',
    family: 'driver',
    kind: 'pnp',
    title: 'duplicate install (PnP)',
    // The service exists: CreateService refuses, before any file, INF or device is touched.
    windows: serviceExists,
    lab: serviceExists,
    leavesDirty: clean,
    run: async (ctx) => {
      await ctx.installPnp('under_test.sys', ctx.imageUnderTest, 'dc_ep_pnpdup');
      return observe(() => ctx.installPnp('under_test.sys', ctx.imageUnderTest, 'dc_ep_pnpdup'));
    },
  },
  {
    id: 'pnp-inf-missing-file',
    family: 'driver',
    kind: 'pnp',
    title: 'INF for a missing file (PnP)',
    // Its CopyFiles names a file the machine was never given: refused before SetupAPI runs.
    windows: { outcome: 'refused', code: 'DRVCYCLE_PNP' },
    lab: { outcome: 'refused', code: 'DRVCYCLE_PNP' },
    leavesDirty: clean,
    run: (ctx) => {
      const inf = rootDeviceInf({
        service: 'dc_ep_pnpinf',
        hardwareId: 'root\\dc_ep_pnpinf',
        imageFile: 'missing_file.sys',
        displayName: 'dc_ep_pnpinf',
        description: 'an INF for a file that is not there',
      });
      return observe(() =>
        ctx.installPnp('under_test.sys', ctx.imageUnderTest, 'dc_ep_pnpinf', inf),
      );
    },
  },
  {
    id: 'entry-failure',
    family: 'self-check',
    title: 'DriverEntry failure (STATUS_INSUFFICIENT_RESOURCES)',
    windows: startFails(1450),
    lab: startFails(1450),
    leavesDirty: clean,
    run: async (ctx) => {
      const ref = await ctx.installSample('entry_fail_resources');
      return observe(() => ctx.target.start(ref, { retry: false }));
    },
  },
  {
    id: 'no-unload',
    family: 'self-check',
    leftBehind: { windows: 'RUNNING', lab: 'RUNNING' },
    title: 'driver with no DriverUnload',
    windows: { outcome: 'error', operation: 'ControlService', win32Code: 1052 },
    lab: { outcome: 'stop-ineffective', state: 'RUNNING' },
    leavesDirty: { windows: true, lab: true },
    run: async (ctx) => {
      const ref = await ctx.installSample('no_unload');
      await ctx.target.start(ref);
      return observe(() => ctx.target.stop(ref, { retry: false, timeoutMs: ctx.stopTimeoutMs }));
    },
  },
  {
    id: 'hang-in-unload',
    family: 'self-check',
    leftBehind: { windows: 'STOP_PENDING', lab: 'STOP_PENDING' },
    title: 'unload that hangs',
    windows: { outcome: 'timeout', state: 'STOP_PENDING' },
    lab: { outcome: 'timeout', state: 'STOP_PENDING' },
    leavesDirty: { windows: true, lab: true },
    run: async (ctx) => {
      const ref = await ctx.installSample('hang_in_unload');
      await ctx.target.start(ref);
      return observe(() => ctx.target.stop(ref, { retry: false, timeoutMs: ctx.stopTimeoutMs }));
    },
  },
  {
    id: 'crash-in-load',
    family: 'self-check',
    title: 'crash in load',
    windows: { outcome: 'crash' },
    lab: { outcome: 'crash' },
    leavesDirty: { windows: true, lab: false },
    run: async (ctx) => {
      const ref = await ctx.installSample('crash_in_entry');
      return observe(() => ctx.target.start(ref, { retry: false }));
    },
  },
  {
    id: 'crash-in-unload',
    family: 'self-check',
    leftBehind: { lab: 'STOP_PENDING' },
    title: 'crash in unload',
    windows: { outcome: 'crash' },
    lab: { outcome: 'crash' },
    leavesDirty: { windows: true, lab: true },
    run: async (ctx) => {
      const ref = await ctx.installSample('crash_in_unload');
      await ctx.target.start(ref);
      return observe(() => ctx.target.stop(ref, { retry: false, timeoutMs: ctx.stopTimeoutMs }));
    },
  },
];

/** On the lab a crash shows as Wine's unhandled-exception line; on Windows, as a lost machine. */
export function withCrashEvidence(
  observed: Observation,
  crashLines: readonly string[],
  machineLost: boolean,
): Observation {
  if (machineLost)
    return {
      outcome: 'crash',
      message: `the machine stopped answering after: ${describeObservation(observed)}`,
    };
  if (crashLines.length > 0)
    return {
      outcome: 'crash',
      message: `${crashLines[0]} (then ${describeObservation(observed)})`,
    };
  return observed;
}

/** The error paths of the driver under test. */
export const DRIVER_ERROR_PATHS = ERROR_PATH_CASES.filter((c) => c.family === 'driver');
/** The driver kind a case is for. */
export const caseKind = (c: ErrorPathCase) => c.kind ?? 'legacy';
/** The self-check: each failure kind provoked with a sample driver, and detected. */
export const SELF_CHECK_CASES = ERROR_PATH_CASES.filter((c) => c.family === 'self-check');

/**
 * What is wrong with the drvcycle-owned services found after a case: anything but the case's own
 * service left in the state the case is expected to leave it in (`leftBehind`; none when clean),
 * and that expected service missing or in another state.
 */
export function leftoverProblems(
  owned: readonly { name: string; state: string }[],
  caseServices: ReadonlySet<string>,
  expectedState: string | undefined,
): string[] {
  const expected = (s: { name: string; state: string }) =>
    expectedState !== undefined && caseServices.has(s.name) && s.state === expectedState;
  const problems: string[] = [];
  const unexpected = owned.filter((s) => !expected(s));
  if (unexpected.length > 0)
    problems.push(
      `services left behind: ${unexpected.map((s) => `${s.name} (${s.state})`).join(', ')}`,
    );
  if (expectedState !== undefined && !owned.some(expected))
    problems.push(
      `expected the case's service to be left ${expectedState}, found ${owned.length > 0 ? owned.map((s) => `${s.name} (${s.state})`).join(', ') : 'none'}`,
    );
  return problems;
}
