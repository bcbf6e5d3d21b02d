/**
 * A PnP driver's services: DriverServices (ownership, bounds, retries, the SCM's view of the
 * service) with the load and unload of a PnP driver, which go through its device (added and
 * removed, or enabled and disabled) rather than StartService and ControlService.
 */
import { ScmError, UnexpectedStateError } from '../../core/errors.ts';
import {
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  DriverServices,
  type ScmCallOptions,
  type TimedStatus,
} from '../scm/driver-services.ts';
import type { ServiceManager } from '../scm/service-manager.ts';
import { ServiceState, stateName } from '../scm/status.ts';
import type { CallWatch } from '../scm/blocking-call-watch.ts';
import { realClock, type Clock } from '../scm/wait.ts';
import { Win32 } from '../../core/win32-codes.ts';
import { deviceCalls, type DeviceOperations } from './device-calls.ts';
import type { DeviceSpec } from './devices.ts';
import { imageLeftLoaded, settleAfterLastDevice } from './pnp-unload.ts';

export class PnpDriverServices extends DriverServices {
  private readonly devices: DeviceOperations;

  constructor(
    scm: ServiceManager,
    clock: Clock = realClock,
    options: {
      readonly unloadsWithLastDevice?: boolean;
      readonly watch?: CallWatch;
      /** The device operations (default: on the ServiceManager's blocking threads). */
      readonly devices?: DeviceOperations;
    } = {},
  ) {
    super(scm, clock, options);
    this.devices = options.devices ?? deviceCalls(scm);
  }

  /**
   * A PnP driver's load: adds its root-enumerated device (drvcycle's INF installs the driver on
   * it: DriverEntry, AddDevice and START_DEVICE run), bounded; the service must then run.
   */
  async pnpStart(
    name: string,
    spec: DeviceSpec,
    options: ScmCallOptions = {},
  ): Promise<TimedStatus> {
    if (!options.ownershipChecked) this.requireOwned(name, 'start');
    const boundMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const startedAt = this.clock.now();
    await this.boundCall(
      'UpdateDriverForPlugAndPlayDevices',
      name,
      boundMs,
      startedAt,
      options,
      () => this.devices.add(spec),
    );
    const status = this.scm.queryStatus(name);
    if (status.state !== ServiceState.RUNNING)
      throw new UnexpectedStateError({
        operation: 'UpdateDriverForPlugAndPlayDevices',
        service: name,
        expected: 'RUNNING',
        state: stateName(status.state),
        cycle: options.cycle,
      });
    return { status, elapsedMs: this.clock.now() - startedAt };
  }

  /**
   * A PnP driver's unload: removes its devices (REMOVE_DEVICE runs), then stops the service if
   * it still runs (Windows unloads the image after its last device goes; Wine keeps it loaded
   * until the stop). Never the other way round: stopping a PnP driver whose device still exists
   * breaks the lab's host. The bound covers both.
   */
  async pnpStop(
    name: string,
    hardwareId: string,
    options: ScmCallOptions = {},
  ): Promise<TimedStatus> {
    if (!options.ownershipChecked) this.requireOwned(name, 'stop');
    const boundMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const startedAt = this.clock.now();
    await this.boundCall(
      'SetupDiCallClassInstaller(DIF_REMOVE)',
      name,
      boundMs,
      startedAt,
      options,
      async () => {
        await this.devices.remove(hardwareId, name);
      },
    );
    const removed = this.scm.queryStatus(name);
    if (removed.state === ServiceState.STOPPED)
      return { status: removed, elapsedMs: this.clock.now() - startedAt };
    if (this.unloadsWithLastDevice)
      return this.unloadedWithLastDevice(
        'SetupDiCallClassInstaller(DIF_REMOVE)',
        name,
        startedAt,
        boundMs,
        options.cycle,
      );
    const left = Math.max(1, Math.round(boundMs - (this.clock.now() - startedAt)));
    try {
      const stopped = await this.stop(name, {
        ...options,
        timeoutMs: left,
        ownershipChecked: true,
      });
      return { status: stopped.status, elapsedMs: this.clock.now() - startedAt };
    } catch (error) {
      // The image unloaded by itself with its last device between the query and the stop (Wine
      // does so now and then, Windows always): that is the unload this step wanted.
      if (error instanceof ScmError && error.win32Code === Win32.SERVICE_NOT_ACTIVE)
        return { status: this.scm.queryStatus(name), elapsedMs: this.clock.now() - startedAt };
      throw error;
    }
  }

  /**
   * Windows' disable/enable strategy, bounded like a start (enable: the driver is loaded and its
   * device started) or a stop (disable: REMOVE_DEVICE, and the image unloads with its last device).
   */
  async pnpSetEnabled(
    name: string,
    instanceId: string,
    up: boolean,
    options: ScmCallOptions = {},
  ): Promise<TimedStatus> {
    if (!options.ownershipChecked) this.requireOwned(name, up ? 'start' : 'stop');
    const boundMs = options.timeoutMs ?? (up ? DEFAULT_START_TIMEOUT_MS : DEFAULT_STOP_TIMEOUT_MS);
    const startedAt = this.clock.now();
    await this.boundCall(
      up ? 'CM_Enable_DevNode' : 'CM_Disable_DevNode',
      name,
      boundMs,
      startedAt,
      options,
      () => this.devices.setEnabled(instanceId, name, up),
    );
    if (!up && this.unloadsWithLastDevice)
      return this.unloadedWithLastDevice(
        'CM_Disable_DevNode',
        name,
        startedAt,
        boundMs,
        options.cycle,
      );
    return { status: this.scm.queryStatus(name), elapsedMs: this.clock.now() - startedAt };
  }

  /**
   * Windows: the image goes with the driver's last device (removed or disabled), or something
   * holds it, a driver-object leak the verdict names.
   */
  private async unloadedWithLastDevice(
    operation: 'SetupDiCallClassInstaller(DIF_REMOVE)' | 'CM_Disable_DevNode',
    name: string,
    startedAt: number,
    boundMs: number,
    cycle: number | undefined,
  ): Promise<TimedStatus> {
    const settled = await settleAfterLastDevice(
      () => this.scm.queryStatus(name),
      { startedAt, boundMs },
      this.clock,
    );
    if (settled.state !== ServiceState.STOPPED)
      throw imageLeftLoaded(operation, name, settled, cycle);
    return { status: settled, elapsedMs: this.clock.now() - startedAt };
  }

  /** Removes a PnP driver's devices, whatever their number (uninstall). */
  pnpRemoveDevices(name: string, hardwareId: string): Promise<number> {
    this.requireOwned(name, 'delete');
    return this.devices.remove(hardwareId, name);
  }
}
