/** Fakes (named as such) shared by the unit tests of the SCM layer's waits and the cycle loop. */
import type { InstalledDriver } from '../../src/target/types.ts';
import { stateName, type ServiceStatus } from '../../src/windows/scm/status.ts';
import type { Clock } from '../../src/windows/scm/wait.ts';

/** A fake clock: sleeping advances time instantly, so bounds are tested without real waiting. */
export function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** A driver service's status in the given state. */
export const serviceStatus = (state: number): ServiceStatus => ({
  type: 1,
  state,
  stateName: stateName(state),
  controlsAccepted: 0,
  win32ExitCode: 0,
  serviceSpecificExitCode: 0,
  checkPoint: 0,
  waitHint: 0,
  processId: 0,
  serviceFlags: 0,
});

/** A fake installed driver: the clean sample as a target reports it, for cycle-plan tests. */
export const fakeInstalledDriver = (): InstalledDriver => ({
  name: 'dc_clean',
  binaryPath: 'C:\\stage\\ab\\clean.sys',
  type: 'kernel',
  group: undefined,
  runId: 'r',
  config: {} as never,
});
