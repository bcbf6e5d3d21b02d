/**
 * Where blocking SCM calls run. The agent's main thread hands them to a small pool of worker
 * threads: a call that never returns (a driver whose DriverUnload hangs) keeps its worker; later
 * calls get another one. A batch thread, which does nothing but cycle, runs them inline and is
 * watched from its owner (target/batch-thread.ts).
 */
import { Worker } from 'node:worker_threads';
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

export class BlockingCallPool implements BlockingCalls {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private nextId = 1;

  run(call: Call): Promise<BlockingResult> {
    const worker = this.idle.pop() ?? this.spawn();
    const id = this.nextId++;
    return new Promise<BlockingResult>((resolve, reject) => {
      const onMessage = (result: BlockingResult) => {
        if (result.id !== id) return;
        cleanup();
        if (this.idle.length < MAX_IDLE) this.idle.push(worker);
        else this.retire(worker);
        resolve(result);
      };
      const onError = (error: Error) => {
        cleanup();
        this.all.delete(worker);
        reject(error);
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, ...call } satisfies BlockingRequest);
    });
  }

  /** Busy workers may be stuck in a native call that cannot be interrupted: they are unref'd. */
  close(): void {
    for (const worker of this.all) this.retire(worker);
    this.idle.length = 0;
  }

  private spawn(): Worker {
    // .ts from the sources (Node 22 strips types), .js from the published build.
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./blocking-worker${extension}`, import.meta.url));
    worker.unref();
    this.all.add(worker);
    return worker;
  }

  private retire(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
  }
}
