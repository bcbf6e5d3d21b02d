/**
 * Runs the SCM calls that can block for a long time (StartService waits for DriverEntry,
 * ControlService for DriverUnload) on a worker thread, so the agent keeps answering heartbeats.
 * GetLastError is read on the same thread, right after the call. The thread waits on its shared
 * word, never in an event loop (see blocking.ts).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import koffi from 'koffi';
import { windowsConfigManager } from '../pnp/cfgmgr.ts';
import { addRootDevice, removeDevices } from '../pnp/devices.ts';
import { DisableEnableCycle } from '../pnp/strategies.ts';
import type { ScHandle } from './advapi32.ts';
import {
  HANDLE_SLOT,
  Kind,
  Slot,
  type BlockingRequest,
  type BlockingResult,
  type WorkerChannel,
} from './blocking.ts';

const advapi32 = koffi.load('advapi32.dll');
const kernel32 = koffi.load('kernel32.dll');
const SERVICE_STATUS = koffi.struct('SERVICE_STATUS', {
  type: 'uint32',
  state: 'uint32',
  controlsAccepted: 'uint32',
  win32ExitCode: 'uint32',
  serviceSpecificExitCode: 'uint32',
  checkPoint: 'uint32',
  waitHint: 'uint32',
});
const GetLastError = kernel32.func('uint32 __stdcall GetLastError()');
const StartServiceW = advapi32.func(
  'int __stdcall StartServiceW(void* service, uint32 argc, void* argv)',
);
const ControlService = advapi32.func('ControlService', 'int', [
  'void*',
  'uint32',
  koffi.out(koffi.pointer(SERVICE_STATUS)),
]);

function serve(request: BlockingRequest): BlockingResult {
  let result: BlockingResult;
  if (request.call === 'StartService') {
    const ok = StartServiceW(request.handle, 0, null) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : GetLastError() };
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
    const ok = ControlService(request.handle, request.control, status) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : GetLastError(), status };
  }
  return result;
}

const channel = workerData as WorkerChannel;
const control = new Int32Array(channel.control);
const handles = new BigInt64Array(channel.control);
for (;;) {
  Atomics.wait(control, Slot.signal, 0);
  // Only a signal set by the owner starts a call, never a wake on its own.
  if (Atomics.exchange(control, Slot.signal, 0) !== 1) continue;
  const id = control[Slot.id]!;
  const kind = control[Slot.kind];
  if (kind === Kind.Message) {
    for (let message = receiveMessageOnPort(channel.requests); message;) {
      parentPort!.postMessage(serve(message.message as BlockingRequest));
      message = receiveMessageOnPort(channel.requests);
    }
  } else {
    const handle = handles[HANDLE_SLOT]! as ScHandle;
    parentPort!.postMessage(
      serve(
        kind === Kind.StartService
          ? { id, call: 'StartService', handle }
          : { id, call: 'ControlService', handle, control: control[Slot.control]! },
      ),
    );
  }
}
