/**
 * The PnP calls that block until driver code returns (adding a device runs DriverEntry, AddDevice
 * and START_DEVICE; removing or disabling it, REMOVE_DEVICE), run where the SCM runs its blocking
 * calls: on a worker of the ServiceManager's pool, or inline on a batch thread. The SCM layer
 * knows nothing of PnP: this module registers its calls with it as it loads, on every thread that
 * loads it (a pool worker loads it from its script, target/agent-pool-worker.ts).
 */
import { ScmError, type ScmOperation } from '../../core/errors.ts';
import type { RegisteredCallResult } from '../scm/blocking-pool.ts';
import { registerBlockingCalls } from '../scm/blocking-calls.ts';
import type { ServiceManager } from '../scm/service-manager.ts';
import { windowsConfigManager } from './cfgmgr.ts';
import { addRootDevice, removeDevices, type DeviceSpec } from './devices.ts';
import { DisableEnableCycle, PnpDeviceError } from './strategies.ts';

export type PnpRequest =
  /** Adds a root-enumerated device and installs its driver: DriverEntry, AddDevice, START. */
  | { call: 'PnpAdd'; spec: DeviceSpec }
  /** DIF_REMOVE on the devices with the hardware id: REMOVE_DEVICE runs. */
  | { call: 'PnpRemove'; hardwareId: string; service: string }
  /** Windows only: CM_Disable_DevNode / CM_Enable_DevNode on the device (QUERY_REMOVE, REMOVE / load, START). */
  | { call: 'PnpDisable'; instanceId: string; service: string }
  | { call: 'PnpEnable'; instanceId: string; service: string };

/** What a PnP call answers besides ok and its last error. */
interface PnpValue {
  /** For a SetupAPI call that failed: which one (its last error is `lastError`). */
  operation?: string;
  /** PnpRemove: how many devices were removed. */
  removed?: number;
  /** PnpDisable/PnpEnable that failed: the Configuration Manager's answer or the device's problem. */
  pnp?: { operation: string; configret?: number; problem?: number };
}

/** Runs one request on this thread. */
function performPnpCall(request: PnpRequest): RegisteredCallResult & { value?: PnpValue } {
  if (request.call === 'PnpDisable' || request.call === 'PnpEnable') {
    try {
      const cycle = new DisableEnableCycle(
        windowsConfigManager(false),
        request.instanceId,
        request.service,
      );
      if (request.call === 'PnpDisable') cycle.down();
      else cycle.up();
      return { ok: true, lastError: 0 };
    } catch (error) {
      const e = error as { operation?: string; configret?: number; problemCode?: number };
      return {
        ok: false,
        lastError: 0,
        value: {
          pnp: {
            operation: e.operation ?? request.call,
            ...(e.configret !== undefined ? { configret: e.configret } : {}),
            ...(e.problemCode !== undefined ? { problem: e.problemCode } : {}),
          },
        },
      };
    }
  }
  try {
    const removed =
      request.call === 'PnpAdd'
        ? (addRootDevice(request.spec), undefined)
        : removeDevices(request.hardwareId, request.service);
    return { ok: true, lastError: 0, ...(removed === undefined ? {} : { value: { removed } }) };
  } catch (error) {
    const { operation, win32Code } = error as { operation?: string; win32Code?: number };
    return {
      ok: false,
      lastError: win32Code ?? 0,
      value: { operation: operation ?? request.call },
    };
  }
}

const CALL = 'PnpDevice';
registerBlockingCalls({ [CALL]: performPnpCall });

/** The PnP device operations a PnP driver's lifecycle needs (PnpDriverServices). */
export interface DeviceOperations {
  /** Adds a root-enumerated device and installs its driver. */
  add(spec: DeviceSpec): Promise<void>;
  /** Removes the devices with the hardware id (REMOVE_DEVICE runs); how many went. */
  remove(hardwareId: string, service: string): Promise<number>;
  /** Windows: disables (`up: false`) or enables the device. */
  setEnabled(instanceId: string, service: string, up: boolean): Promise<void>;
}

/** The device operations on the ServiceManager's blocking threads (they block on driver code). */
export function deviceCalls(scm: ServiceManager): DeviceOperations {
  const run = async (request: PnpRequest) => {
    const result = await scm.runBlocking(CALL, request);
    return { ...result, value: (result.value ?? {}) as PnpValue };
  };
  return {
    async add(spec) {
      const result = await run({ call: 'PnpAdd', spec });
      if (!result.ok)
        throw new ScmError({
          operation: result.value.operation as ScmOperation,
          service: spec.service,
          win32Code: result.lastError,
        });
    },
    async remove(hardwareId, service) {
      const result = await run({ call: 'PnpRemove', hardwareId, service });
      if (!result.ok)
        throw new ScmError({
          operation: result.value.operation as ScmOperation,
          service,
          win32Code: result.lastError,
        });
      return result.value.removed ?? 0;
    },
    async setEnabled(instanceId, service, up) {
      const result = await run({ call: up ? 'PnpEnable' : 'PnpDisable', instanceId, service });
      if (!result.ok)
        throw new PnpDeviceError({
          ...(result.value.pnp ?? { operation: up ? 'CM_Enable_DevNode' : 'CM_Disable_DevNode' }),
          service,
        });
    },
  };
}
