/** Bounded polling of a service's state while it passes through a pending state. */
import { ScmTimeoutError, type ScmOperation } from '../../core/errors.ts';
import { isPending, stateName, type ServiceStatus } from './status.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface WaitOptions {
  readonly operation: ScmOperation;
  readonly service: string;
  /** Started before the operation, so the bound covers the whole operation. */
  readonly startedAt: number;
  readonly boundMs: number;
  readonly pollMs?: number;
  readonly cycle?: number | undefined;
}

/**
 * Polls until the service leaves its pending states, and returns the status it settled in (the
 * caller decides whether that state is the one it wanted). Throws ScmTimeoutError, naming the
 * state and the elapsed time, when the bound runs out first.
 */
export async function waitWhilePending(
  query: () => ServiceStatus | Promise<ServiceStatus>,
  options: WaitOptions,
  clock: Clock = realClock,
): Promise<ServiceStatus> {
  let pollMs = options.pollMs ?? 5;
  for (;;) {
    const status = await query();
    if (!isPending(status.state)) return status;
    const elapsed = clock.now() - options.startedAt;
    if (elapsed >= options.boundMs) {
      throw new ScmTimeoutError({
        operation: options.operation,
        service: options.service,
        state: stateName(status.state),
        elapsedMs: elapsed,
        boundMs: options.boundMs,
        cycle: options.cycle,
      });
    }
    await clock.sleep(Math.min(pollMs, options.boundMs - elapsed));
    pollMs = Math.min(pollMs * 2, 100);
  }
}
