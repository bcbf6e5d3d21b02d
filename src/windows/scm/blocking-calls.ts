/**
 * The blocking calls themselves: StartService (waits for DriverEntry), ControlService (waits for
 * DriverUnload) and the SetupAPI/Configuration Manager calls of a PnP cycle. GetLastError is read
 * on the calling thread, right after the call. Run on a pool worker (blocking-worker.ts) or, on a
 * batch thread that does nothing else, inline (InlineBlockingCalls in blocking.ts).
 */
import koffi from 'koffi';
import { windowsConfigManager } from '../pnp/cfgmgr.ts';
import { addRootDevice, removeDevices } from '../pnp/devices.ts';
import { DisableEnableCycle } from '../pnp/strategies.ts';
import type { BlockingRequest, BlockingResult } from './blocking.ts';

interface Functions {
  GetLastError: () => number;
  StartServiceW: (handle: unknown, argc: number, argv: null) => number;
  ControlService: (handle: unknown, control: number, status: object) => number;
}

let functions: Functions | undefined;

/** Loaded on first use, so importing this module costs nothing where advapi32 does not exist. */
function win32(): Functions {
  if (functions) return functions;
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const status = koffi.struct('BLOCKING_SERVICE_STATUS', {
    type: 'uint32',
    state: 'uint32',
    controlsAccepted: 'uint32',
    win32ExitCode: 'uint32',
    serviceSpecificExitCode: 'uint32',
    checkPoint: 'uint32',
    waitHint: 'uint32',
  });
  functions = {
    GetLastError: kernel32.func('uint32 __stdcall GetLastError()'),
    StartServiceW: advapi32.func(
      'int __stdcall StartServiceW(void* service, uint32 argc, void* argv)',
    ),
    ControlService: advapi32.func('ControlService', 'int', [
      'void*',
      'uint32',
      koffi.out(koffi.pointer(status)),
    ]),
  };
  return functions;
}

export function performBlockingCall(request: BlockingRequest): BlockingResult {
  let result: BlockingResult;
  if (request.call === 'StartService') {
    const api = win32();
    const ok = api.StartServiceW(request.handle, 0, null) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : api.GetLastError() };
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
    const api = win32();
    const ok = api.ControlService(request.handle, request.control, status) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : api.GetLastError(), status };
  }
  return result;
}
