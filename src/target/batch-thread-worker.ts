/**
 * A batch thread: runs one batch at a time with its SCM calls inline, and hands each cycle's
 * record to its owner (batch-thread.ts) through the shared record ring. It wakes the owner to
 * read them at most every `handOverEveryMs` (0: after every cycle), and at once for a cycle that
 * failed and at the batch's end. The owner answers for a call that overruns its bound.
 */
import { parentPort } from 'node:worker_threads';
import { toWire } from '../core/errors.ts';
import { useSystemMessages } from '../core/win32-codes.ts';
import { systemMessage } from '../windows/nt/format-message.ts';
import { takeSample, windowsReads } from '../windows/nt/samplers.ts';
import { CallAbandonedError } from '../windows/scm/blocking-call-watch.ts';
import { PnpDriverServices } from '../windows/pnp/pnp-services.ts';
import { ServiceManager } from '../windows/scm/service-manager.ts';
import { realClock } from '../windows/scm/wait.ts';
import { BatchControl } from './batch-thread-control.ts';
import type { BatchMessage, BatchRequest } from './batch-thread.ts';
import { runCycleLoop } from './cycle-loop.ts';

useSystemMessages(systemMessage);
const scm = ServiceManager.open({ blockingCalls: 'inline' });
const reads = windowsReads();
const post = (message: BatchMessage) => parentPort!.postMessage(message);

async function run(request: BatchRequest): Promise<void> {
  const control = new BatchControl(request.control);
  const services = new PnpDriverServices(scm, realClock, {
    unloadsWithLastDevice: request.unloadsWithLastDevice,
    watch: control,
  });
  const { sample } = request;
  const handOver = () => post({ type: 'records' });
  // While the ring is full, the owner is asked to read it, and waited for.
  const whenFull = (used: number) => {
    handOver();
    control.records.waitForRoom(used, 100);
  };
  let handedOverAt = Number.NEGATIVE_INFINITY;
  try {
    for await (const record of runCycleLoop(services, request.name, request.options, {
      cancel: {
        get aborted() {
          return control.cancelled;
        },
      },
      onPhase: (cycle, phase, startMs) => control.phase(cycle, phase, startMs),
      deviceWatch: control,
      ...(sample ? { sampler: () => takeSample(sample.request, sample.availability, reads) } : {}),
      ...(request.pnp ? { pnp: request.pnp } : {}),
    })) {
      control.records.append(JSON.stringify(record), whenFull);
      const now = performance.now();
      if (record.outcome !== 'ok' || now - handedOverAt >= request.handOverEveryMs) {
        handOver();
        handedOverAt = now;
      }
    }
  } catch (error) {
    if (!(error instanceof CallAbandonedError)) post({ type: 'error', error: toWire(error) });
  }
  post({ type: 'end' });
}

parentPort!.on('message', (request: BatchRequest) => {
  void run(request);
});
