/** The memory signals' one home: every signal listed once, and chosen in the listed order. */
import { expect, test } from '@playwright/test';
import type { Availability } from '../../src/core/records.ts';
import {
  chooseWindowsSignal,
  MEMORY_SIGNALS,
  type SignalName,
} from '../../src/collector/memory-signals.ts';

const available = { available: true } as const;
const absent = (reason: string) => ({ available: false, reason }) as const;

test('every signal is listed once, best first, the exact lab trace last', () => {
  const names: SignalName[] = ['verifier-pool', 'pool-tags', 'wine-pool-trace'];
  expect(MEMORY_SIGNALS.map((s) => s.name)).toEqual(names);
  expect(MEMORY_SIGNALS.at(-1)).toMatchObject({ source: 'debug-output' });
});

test('the Windows signal chosen is the first listed that the target offers', () => {
  const both = { verifier: available, poolTags: available } as unknown as Availability;
  const order = MEMORY_SIGNALS.filter((s) => s.source === 'sample').map((s) => s.name);
  expect(chooseWindowsSignal(both, ['DcLs'])).toEqual({ signal: order[0] });
  const tagsOnly = {
    verifier: absent('Driver Verifier verifies no driver'),
    poolTags: available,
  } as unknown as Availability;
  expect(chooseWindowsSignal(tagsOnly, ['DcLs'])).toEqual({ signal: order[1] });
  expect(chooseWindowsSignal(tagsOnly, [])).toEqual({
    unavailable: {
      'verifier-pool': 'Driver Verifier verifies no driver',
      'pool-tags': 'no pool tags given (driverUnderTest.poolTags, DRIVER_POOL_TAGS)',
    },
  });
});
