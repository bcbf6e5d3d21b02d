/**
 * A batch thread: runs one batch at a time with its SCM calls inline, and posts each cycle's
 * record to its owner (batch-thread.ts) as the cycle ends. The owner answers for it while a call
 * overruns its bound.
 */
import { parentPort } from 'node:worker_threads';
import { toWire } from '../core/errors.ts';
import { useSystemMessages } from '../core/win32-codes.ts';
import { systemMessage } from '../windows/nt/format-message.ts';
import { HostProcessReader, takeSample } from '../windows/nt/samplers.ts';
import { CallAbandonedError } from '../windows/scm/call-watch.ts';
import { DriverServices } from '../windows/scm/driver-services.ts';
import { ServiceManager } from '../windows/scm/service-manager.ts';
import { realClock } from '../windows/scm/wait.ts';
import { BatchControl } from './batch-control.ts';
import type { BatchMessage, BatchRequest } from './batch-thread.ts';
import { runCycles } from './cycles.ts';

useSystemMessages(systemMessage);
const scm = ServiceManager.open({ blockingCalls: 'inline' });
const hosts = new HostProcessReader();
const post = (message: BatchMessage) => parentPort!.postMessage(message);

async function run(request: BatchRequest): Promise<void> {
  const control = new BatchControl(request.control);
  const services = new DriverServices(scm, realClock, {
    unloadsWithLastDevice: request.unloadsWithLastDevice,
    watch: control,
  });
  const { sample } = request;
  try {
    for await (const record of runCycles(services, request.name, request.options, {
      cancel: {
        get aborted() {
          return control.cancelled;
        },
      },
      onPhase: (cycle, phase, startMs) => control.phase(cycle, phase, startMs),
      ...(sample ? { sampler: () => takeSample(sample.request, sample.availability, hosts) } : {}),
      ...(request.pnp ? { pnp: request.pnp } : {}),
    }))
      post({ type: 'record', record });
  } catch (error) {
    if (!(error instanceof CallAbandonedError)) post({ type: 'error', error: toWire(error) });
  }
  post({ type: 'end' });
}

parentPort!.on('message', (request: BatchRequest) => {
  void run(request);
});
