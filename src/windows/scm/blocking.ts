/**
 * Where blocking SCM calls run. The agent's main thread hands them to a small pool of worker
 * threads: a call that never returns (a driver whose DriverUnload hangs) keeps its worker; later
 * calls get another one. A batch thread, which does nothing but cycle, runs them inline and is
 * watched from its owner (target/batch-thread.ts).
 *
 * A worker waits on a shared word (Atomics.wait), not in an event loop: StartService and
 * ControlService are handed over in shared memory and one notify, the other calls as a message
 * it takes synchronously. Waking an event loop costs a wineserver round trip under Wine, and a
 * cycle makes two such calls; the result still comes back as a message, which the owning
 * thread's loop must see.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { DeviceSpec } from '../pnp/devices.ts';
import type { ScHandle } from './advapi32.ts';
import { performBlockingCall } from './blocking-calls.ts';

export type BlockingRequest = { id: number } & Call;
export interface BlockingResult {
  id: number;
  ok: boolean;
  lastError: number;
  /** For a SetupAPI call that failed: which one (its last error is `lastError`). */
  operation?: string;
  /** PnpRemove: how many devices were removed. */
  removed?: number;
  /** PnpDisable/PnpEnable that failed: the Configuration Manager's answer or the device's problem. */
  pnp?: { operation: string; configret?: number; problem?: number };
  /** ControlService's SERVICE_STATUS: the state the control left the service in. */
  status?: {
    type: number;
    state: number;
    controlsAccepted: number;
    win32ExitCode: number;
    serviceSpecificExitCode: number;
    checkPoint: number;
    waitHint: number;
  };
}
type Call =
  | { call: 'StartService'; handle: ScHandle }
  | { call: 'ControlService'; handle: ScHandle; control: number }
  /** Adds a root-enumerated device and installs its driver: DriverEntry, AddDevice, START. */
  | { call: 'PnpAdd'; spec: DeviceSpec }
  /** DIF_REMOVE on the devices with the hardware id: REMOVE_DEVICE runs. */
  | { call: 'PnpRemove'; hardwareId: string; service: string }
  /** Windows only: CM_Disable_DevNode / CM_Enable_DevNode on the device (QUERY_REMOVE, REMOVE / load, START). */
  | { call: 'PnpDisable'; instanceId: string; service: string }
  | { call: 'PnpEnable'; instanceId: string; service: string };

export interface BlockingCalls {
  run(call: Call): Promise<BlockingResult>;
  close(): void;
}

/** On the calling thread: for a thread whose only job is a batch (see target/batch-thread.ts). */
export class InlineBlockingCalls implements BlockingCalls {
  private nextId = 1;

  run(call: Call): Promise<BlockingResult> {
    return Promise.resolve(performBlockingCall({ id: this.nextId++, ...call }));
  }

  close(): void {}
}

const MAX_IDLE = 2;

/** The shared words a worker waits on and reads its SCM call from (Int32 indexes). */
export const Slot = { signal: 0, kind: 1, id: 2, control: 3 } as const;
/** The handle, as a BigInt64 index into the same buffer. */
export const HANDLE_SLOT = 2;
export const CONTROL_BYTES = 24;
export const Kind = { StartService: 1, ControlService: 2, Message: 3 } as const;

export interface WorkerChannel {
  readonly control: SharedArrayBuffer;
  readonly requests: MessagePort;
}

interface PooledWorker {
  readonly thread: Worker;
  readonly control: Int32Array;
  readonly handle: BigInt64Array;
  readonly requests: MessagePort;
}

export class BlockingCallPool implements BlockingCalls {
  private readonly idle: PooledWorker[] = [];
  private readonly all = new Set<PooledWorker>();
  private nextId = 1;

  run(call: Call): Promise<BlockingResult> {
    const pooled = this.idle.pop() ?? this.spawn();
    const worker = pooled.thread;
    const id = this.nextId++;
    return new Promise<BlockingResult>((resolve, reject) => {
      const onMessage = (result: BlockingResult) => {
        if (result.id !== id) return;
        cleanup();
        if (this.idle.length < MAX_IDLE) this.idle.push(pooled);
        else this.retire(pooled);
        resolve(result);
      };
      const onError = (error: Error) => {
        cleanup();
        this.all.delete(pooled);
        reject(error);
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      signal(pooled, id, call);
    });
  }

  /** Busy workers may be stuck in a native call that cannot be interrupted: they are unref'd. */
  close(): void {
    for (const worker of this.all) this.retire(worker);
    this.idle.length = 0;
  }

  private spawn(): PooledWorker {
    // .ts from the sources (Node 22 strips types), .js from the published build.
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const { port1, port2 } = new MessageChannel();
    const thread = new Worker(new URL(`./blocking-worker${extension}`, import.meta.url), {
      workerData: { control, requests: port2 } satisfies WorkerChannel,
      transferList: [port2],
    });
    thread.unref();
    port1.unref();
    const pooled = {
      thread,
      control: new Int32Array(control),
      handle: new BigInt64Array(control),
      requests: port1,
    };
    this.all.add(pooled);
    return pooled;
  }

  private retire(pooled: PooledWorker): void {
    this.all.delete(pooled);
    pooled.requests.close();
    void pooled.thread.terminate();
  }
}

/** Hands one call to an idle worker and wakes it. */
function signal(pooled: PooledWorker, id: number, call: Call): void {
  const { control } = pooled;
  control[Slot.id] = id;
  if (call.call === 'StartService' || call.call === 'ControlService') {
    control[Slot.kind] = Kind[call.call];
    control[Slot.control] = call.call === 'ControlService' ? call.control : 0;
    pooled.handle[HANDLE_SLOT] = BigInt(call.handle);
  } else {
    control[Slot.kind] = Kind.Message;
    pooled.requests.postMessage({ id, ...call } satisfies BlockingRequest);
  }
  Atomics.store(control, Slot.signal, 1);
  Atomics.notify(control, Slot.signal);
}
