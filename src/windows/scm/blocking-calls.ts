/**
 * The blocking calls themselves: StartService (waits for DriverEntry), ControlService (waits for
 * DriverUnload), and the calls a layer above registers (the PnP layer's SetupAPI/Configuration
 * Manager calls of a PnP cycle, windows/pnp/device-calls.ts). GetLastError is read on the calling thread, right after
 * the call. Run on a pool worker (blocking-pool-worker.ts) or, on a batch thread that does nothing
 * else, inline (InlineBlockingCalls in blocking-pool.ts).
 */
import { advapi32 } from './advapi32.ts';
import type { BlockingRequest, BlockingResult, RegisteredCallResult } from './blocking-pool.ts';

/** This thread's registered calls, by name. */
const registered = new Map<string, (request: never) => RegisteredCallResult>();

/**
 * Registers a layer's blocking calls on this thread. A module registers as it loads: the thread
 * that runs them must load it (a pool worker from its script, target/agent-pool-worker.ts).
 */
export function registerBlockingCalls(
  calls: Record<string, (request: never) => RegisteredCallResult>,
): void {
  for (const [name, perform] of Object.entries(calls)) registered.set(name, perform);
}

export function performBlockingCall(request: BlockingRequest): BlockingResult {
  if (request.call === 'Registered') {
    const perform = registered.get(request.name);
    if (!perform)
      throw new Error(
        `No blocking call "${request.name}" is registered on this thread: its worker script must load the module that registers it.`,
      );
    return { id: request.id, ...perform(request.request as never) };
  }
  let result: BlockingResult;
  if (request.call === 'StartService') {
    const api = advapi32();
    const ok = api.StartServiceW(request.handle, 0, null) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : (api.GetLastError() as number) };
  } else {
    const status = {} as NonNullable<BlockingResult['status']>;
    const api = advapi32();
    const ok = api.ControlService(request.handle, request.control, status) !== 0;
    result = { id: request.id, ok, lastError: ok ? 0 : (api.GetLastError() as number), status };
  }
  return result;
}
