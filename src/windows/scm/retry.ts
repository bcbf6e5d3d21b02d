/**
 * Retry of transient SCM states with p-retry: 1055 (database locked), 1061 (service in a pending
 * state) and 1072 (marked for delete, until the last handle closes) end by themselves; every other
 * error is permanent and surfaces at once.
 */
import pRetry from 'p-retry';
import { ScmError } from '../../core/errors.ts';

export interface RetryPolicy {
  /** How many times a transient failure is retried. 0 turns retrying off. */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** The total time spent retrying one operation, across all attempts. */
  readonly maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 10,
  minDelayMs: 50,
  maxDelayMs: 1000,
  maxTotalMs: 15_000,
};
export const NO_RETRY: RetryPolicy = { retries: 0, minDelayMs: 0, maxDelayMs: 0, maxTotalMs: 0 };

export function shouldRetry(error: unknown): boolean {
  return error instanceof ScmError && error.transient;
}

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  for (const key of ['retries', 'minDelayMs', 'maxDelayMs', 'maxTotalMs'] as const) {
    const value = policy[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(
        `Expected retry option \`${key}\` to be a non-negative number, got ${value}.`,
      );
    }
  }
  return policy;
}

export async function withRetry<T>(
  operation: () => T | Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (error: ScmError, attempt: number) => void,
): Promise<T> {
  validateRetryPolicy(policy);
  if (policy.retries === 0) return operation();
  return pRetry(async () => operation(), {
    retries: policy.retries,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    factor: 2,
    randomize: true,
    maxRetryTime: policy.maxTotalMs,
    shouldRetry: ({ error }) => shouldRetry(error),
    onFailedAttempt: ({ error, attemptNumber }) => {
      if (onRetry && shouldRetry(error)) onRetry(error as ScmError, attemptNumber);
    },
  });
}
