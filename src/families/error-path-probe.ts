/**
 * Before an error-path case that needs the driver under test loaded: one load and unload of it
 * under a probe service. A driver that does not load, or does not unload, has its verdict from the
 * cycles spec; the case has nothing to add and is skipped, saying why. An unload failure counts
 * as the driver's only where a cycle's stop would blame the driver for it (an unload failure, a
 * hang, a crash): the agent or the machine failing stays drvcycle's or the lab's error.
 */
import { classifyCycleFailure } from '../core/classify.ts';
import { toWire } from '../core/errors.ts';
import type { Verdict } from '../core/verdict.ts';
import type { DriverImage, InstalledDriver, InstallOptions, Target } from '../target/types.ts';

export const PROBE_SERVICE = 'dc_ep_probe';

export interface ProbeResult {
  /** Why the case cannot run on this driver (undefined: it loads and unloads). */
  readonly skip: string | undefined;
  /** The driver is still loaded under the probe service: the machine must be reverted. */
  readonly leftLoaded: boolean;
}

export async function probeLoadAndUnload(
  target: Target,
  install: (image: DriverImage, options: InstallOptions) => Promise<InstalledDriver>,
  driver: {
    readonly imagePath: string;
    readonly type?: InstallOptions['type'];
    readonly group?: string | undefined;
  },
  stopTimeoutMs: number,
  /** The machine's debug output since the probe began (the lab's trace tells more of an unload). */
  debugOutput: () => string = () => '',
): Promise<ProbeResult> {
  const probe = await install(
    { file: driver.imagePath },
    { name: PROBE_SERVICE, type: driver.type, group: driver.group },
  );
  const refused = await target.start(probe, { retry: false }).then(
    () => undefined,
    (error: Error) => problemOf(error),
  );
  try {
    await target.uninstall(probe, { timeoutMs: stopTimeoutMs });
  } catch (error) {
    const verdict = refused === undefined ? driverUnloadFailure(error, debugOutput()) : undefined;
    if (!verdict) throw error;
    const detail = verdict.summary.slice(verdict.summary.indexOf(': ') + 2);
    return {
      skip: `the driver under test does not unload, which is the cycles spec's verdict, and this case needs it loaded and unloaded: ${detail}`,
      leftLoaded: true,
    };
  }
  return {
    skip:
      refused === undefined
        ? undefined
        : `the driver under test does not load, which is the cycles spec's verdict, and this case needs it loaded: ${refused}`,
    leftLoaded: false,
  };
}

function problemOf(error: Error): string {
  return (error as { problem?: string }).problem ?? error.message;
}

/** A failed unload judged as a cycle's failed stop is: its verdict when it is the driver's. */
function driverUnloadFailure(error: unknown, debugOutput: string): Verdict | undefined {
  const state = (error as { state?: unknown }).state;
  const verdict = classifyCycleFailure({
    driver: PROBE_SERVICE,
    scenario: 'error paths',
    debugOutput,
    record: {
      cycle: 1,
      outcome: 'stop-failed',
      startMs: null,
      stopMs: null,
      state: typeof state === 'string' ? state : 'UNKNOWN',
      error: toWire(error),
    },
  });
  return verdict.kind === 'unload-failure' || verdict.kind === 'hang' || verdict.kind === 'crash'
    ? verdict
    : undefined;
}
