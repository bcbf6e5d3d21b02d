import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import {
  NO_RETRY,
  shouldRetry,
  validateRetryPolicy,
  withRetry,
} from '../../src/windows/scm/retry.ts';

const fast = { retries: 5, minDelayMs: 1, maxDelayMs: 2, maxTotalMs: 5_000 };
const scm = (code: number) =>
  new ScmError({ operation: 'StartService', service: 'dc_x', win32Code: code });

test('transient SCM errors are retried until the operation succeeds', async () => {
  const codes = [1055, 1061, 1072];
  const seen: number[] = [];
  const result = await withRetry(
    () => {
      const code = codes.shift();
      if (code) throw scm(code);
      return 'started';
    },
    fast,
    (error) => seen.push(error.win32Code),
  );
  expect(result).toBe('started');
  expect(seen).toEqual([1055, 1061, 1072]);
});

test('permanent errors surface at once, never retried', async () => {
  let attempts = 0;
  await expect(
    withRetry(() => {
      attempts++;
      throw scm(1450);
    }, fast),
  ).rejects.toMatchObject({ win32Code: 1450 });
  expect(attempts).toBe(1);
});

test('non-SCM errors are not retried', async () => {
  let attempts = 0;
  await expect(
    withRetry(() => {
      attempts++;
      throw new Error('boom');
    }, fast),
  ).rejects.toThrow('boom');
  expect(attempts).toBe(1);
});

test('retrying stops after the retry count, with the last transient error', async () => {
  let attempts = 0;
  await expect(
    withRetry(
      () => {
        attempts++;
        throw scm(1072);
      },
      { ...fast, retries: 3 },
    ),
  ).rejects.toMatchObject({ win32Code: 1072 });
  expect(attempts).toBe(4);
});

test('NO_RETRY makes a single attempt even on a transient code', async () => {
  let attempts = 0;
  await expect(
    withRetry(() => {
      attempts++;
      throw scm(1061);
    }, NO_RETRY),
  ).rejects.toMatchObject({ win32Code: 1061 });
  expect(attempts).toBe(1);
});

test('classification and policy validation', () => {
  expect(shouldRetry(scm(1055))).toBe(true);
  expect(shouldRetry(scm(1060))).toBe(false);
  expect(shouldRetry(new Error('x'))).toBe(false);
  expect(() => validateRetryPolicy({ ...fast, retries: -1 })).toThrow(
    'Expected retry option `retries` to be a non-negative number, got -1.',
  );
});
