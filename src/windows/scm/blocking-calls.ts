/**
 * The blocking calls themselves: StartService (waits for DriverEntry), ControlService (waits for
 * DriverUnload) and the SetupAPI/Configuration Manager calls of a PnP cycle. GetLastError is read
 * on the calling thread, right after the call. Run on a pool worker (blocking-worker.ts) or, on a
 * batch thread that does nothing else, inline (InlineBlockingCalls in blocking.ts).
 */
import { windowsConfigManager } from '../pnp/cfgmgr.ts';
import { addRootDevice, removeDevices } from '../pnp/devices.ts';
import { DisableEnableCycle } from '../pnp/strategies.ts';
import { advapi32 } from './advapi32.ts';
import type { BlockingRequest, BlockingResult } from './blocking.ts';

export function performBlockingCall(request: BlockingRequest): BlockingResult {
  let result: BlockingResult;
  if (request.call === 'StartService') {
    const api = advapi32();
    const ok = api.StartServiceW(request.handle, 0, null) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : (api.GetLastError() as number) };
  } else if (request.call === 'PnpDisable' || request.call === 'PnpEnable') {
    try {
      const cycle = new DisableEnableCycle(
        windowsConfigManager(false),
        request.instanceId,
        request.service,
      );
      if (request.call === 'PnpDisable') cycle.down();
      else cycle.up();
      result = { id: request.id, ok: true, lastError: 0 };
    } catch (error) {
      const e = error as { operation?: string; configret?: number; problemCode?: number };
      result = {
        id: request.id,
        ok: false,
        lastError: 0,
        pnp: {
          operation: e.operation ?? request.call,
          ...(e.configret !== undefined ? { configret: e.configret } : {}),
          ...(e.problemCode !== undefined ? { problem: e.problemCode } : {}),
        },
      };
    }
  } else if (request.call === 'PnpAdd' || request.call === 'PnpRemove') {
    try {
      const removed =
        request.call === 'PnpAdd'
          ? (addRootDevice(request.spec), undefined)
          : removeDevices(request.hardwareId, request.service);
      result = {
        id: request.id,
        ok: true,
        lastError: 0,
        ...(removed === undefined ? {} : { removed }),
      };
    } catch (error) {
      const { operation, win32Code } = error as { operation?: string; win32Code?: number };
      result = {
        id: request.id,
        ok: false,
        lastError: win32Code ?? 0,
        operation: operation ?? request.call,
      };
    }
  } else {
    const status = {} as NonNullable<BlockingResult['status']>;
    const api = advapi32();
    const ok = api.ControlService(request.handle, request.control, status) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : (api.GetLastError() as number), status };
  }
  return result;
}
