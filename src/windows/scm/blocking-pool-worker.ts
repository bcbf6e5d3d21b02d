/**
 * A pool worker for the SCM calls that can block for a long time (StartService waits for
 * DriverEntry, ControlService for DriverUnload), so the agent keeps answering heartbeats; and for
 * the calls other layers registered on this thread before loading it (target/agent-pool-worker.ts).
 */
import { parentPort } from 'node:worker_threads';
import { performBlockingCall } from './blocking-calls.ts';
import type { BlockingRequest } from './blocking-pool.ts';

parentPort!.on('message', (request: BlockingRequest) => {
  parentPort!.postMessage(performBlockingCall(request));
});
