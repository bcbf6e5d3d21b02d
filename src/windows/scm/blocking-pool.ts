/**
 * Where blocking SCM calls (and the PnP layer's, see windows/pnp/device-calls.ts) run. The agent's main thread hands them to a small pool of worker
 * threads: a call that never returns (a driver whose DriverUnload hangs) keeps its worker; later
 * calls get another one. A batch thread, which does nothing but cycle, runs them inline and is
 * watched from its owner (target/batch-thread.ts).
 */
import { Worker } from 'node:worker_threads';
import type { ScHandle } from './advapi32.ts';
import { performBlockingCall } from './blocking-calls.ts';

export type BlockingRequest = { id: number } & Call;
export interface BlockingResult {
  id: number;
  ok: boolean;
  lastError: number;
  /** A module call's own answer (structured-cloneable: it may cross from a worker). */
  value?: unknown;
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
  /**
   * A blocking call of a layer above this one, run on the same threads: performed by what that
   * layer registered under `name` on the thread (registerBlockingCalls in blocking-calls.ts). The
   * PnP layer's SetupAPI and Configuration Manager calls go this way (windows/pnp/device-calls.ts).
   */
  | { call: 'Registered'; name: string; request: unknown };

/** What a registered call returns for one request. */
export interface RegisteredCallResult {
  ok: boolean;
  lastError: number;
  value?: unknown;
}

export interface BlockingCalls {
  run(call: Call): Promise<BlockingResult>;
  close(): void;
}

/** On the calling thread: for a thread whose only job is a batch (see target/batch-thread.ts). */
export class InlineBlockingCalls implements BlockingCalls {
  private nextId = 1;

  run(call: Call): Promise<BlockingResult> {
    const request = { id: this.nextId++, ...call };
    return new Promise((resolve) => resolve(performBlockingCall(request)));
  }

  close(): void {}
}

const MAX_IDLE = 2;

/**
 * The SCM's own worker script: StartService and ControlService only. A thread that also runs
 * another layer's calls starts from a script that registers them first (target/agent-pool-worker.ts).
 */
export const SCM_BLOCKING_WORKER = new URL(
  // .ts from the sources (Node 22 strips types), .js from the published build.
  `./blocking-pool-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

export class BlockingCallPool implements BlockingCalls {
  private readonly workerScript: URL;
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private nextId = 1;

  constructor(workerScript: URL = SCM_BLOCKING_WORKER) {
    this.workerScript = workerScript;
  }

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
    const worker = new Worker(this.workerScript);
    worker.unref();
    this.all.add(worker);
    return worker;
  }

  private retire(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
  }
}
