/**
 * A pool worker for the SCM calls that can block for a long time (StartService waits for
 * DriverEntry, ControlService for DriverUnload), so the agent keeps answering heartbeats. The
 * thread waits on its shared word, never in an event loop (see blocking.ts).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { ScHandle } from './advapi32.ts';
import { performBlockingCall } from './blocking-calls.ts';
import { HANDLE_SLOT, Kind, Slot, type BlockingRequest, type WorkerChannel } from './blocking.ts';

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
      parentPort!.postMessage(performBlockingCall(message.message as BlockingRequest));
      message = receiveMessageOnPort(channel.requests);
    }
  } else {
    const handle = handles[HANDLE_SLOT]! as ScHandle;
    parentPort!.postMessage(
      performBlockingCall(
        kind === Kind.StartService
          ? { id, call: 'StartService', handle }
          : { id, call: 'ControlService', handle, control: control[Slot.control]! },
      ),
    );
  }
}
