/**
 * Windows unloads a PnP function driver when its last device goes: after REMOVE_DEVICE the
 * I/O manager calls DriverUnload and the driver's service turns STOPPED (the same on disable). An
 * image still loaded once its devices are gone is held by a reference: one the driver took on
 * its driver object or a device object and never released, or it has no DriverUnload. That is a
 * leak of the driver object, the driver's defect. Wine keeps the image until its service is
 * stopped, so on the lab drvcycle stops it and this check does not apply.
 */
import { UnexpectedStateError, type UnexpectedStateOperation } from '../../core/errors.ts';
import { realClock, type Clock } from '../scm/wait.ts';
import { ServiceState, stateName, type ServiceStatus } from '../scm/status.ts';

/** How long the unload may take after the last device went, at most (within the step's bound). */
export const IMAGE_UNLOAD_SETTLE_MS = 5_000;

/**
 * Polls the service after its last device went until it is STOPPED or the settle time (never
 * past the step's bound) runs out; returns the last status.
 */
export async function settleAfterLastDevice(
  query: () => ServiceStatus,
  options: { readonly startedAt: number; readonly boundMs: number; readonly settleMs?: number },
  clock: Clock = realClock,
): Promise<ServiceStatus> {
  const removedAt = clock.now();
  const until = Math.min(
    removedAt + (options.settleMs ?? IMAGE_UNLOAD_SETTLE_MS),
    options.startedAt + options.boundMs,
  );
  let pollMs = 5;
  for (;;) {
    const status = query();
    if (status.state === ServiceState.STOPPED || clock.now() >= until) return status;
    await clock.sleep(Math.min(pollMs, Math.max(1, until - clock.now())));
    pollMs = Math.min(pollMs * 2, 100);
  }
}

/** The typed error for an image left loaded (the classifier names it a driver-object leak). */
export function imageLeftLoaded(
  operation: UnexpectedStateOperation,
  service: string,
  status: ServiceStatus,
  cycle: number | undefined,
): UnexpectedStateError {
  return new UnexpectedStateError({
    operation,
    service,
    expected: 'STOPPED',
    state: stateName(status.state),
    cycle,
  });
}
