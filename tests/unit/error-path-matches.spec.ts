/**
 * matches() decides whether an error-path case observed what the catalog expects: it must say no
 * for every field that can differ (an always-true matches would pass every error-path test).
 */
import { expect, test } from '@playwright/test';
import { matches, type Expectation, type Observation } from '../../src/families/error-paths.ts';

const message = 'as observed';

test('an observation matches the expectation it meets, field for field', () => {
  const pairs: [Expectation, Observation][] = [
    [{ outcome: 'ok' }, { outcome: 'ok' }],
    [
      { outcome: 'error', operation: 'StartService', win32Code: 2 },
      { outcome: 'error', operation: 'StartService', win32Code: 2, message },
    ],
    [
      { outcome: 'timeout', state: 'STOP_PENDING' },
      { outcome: 'timeout', state: 'STOP_PENDING', message },
    ],
    [
      { outcome: 'stop-ineffective', state: 'RUNNING' },
      { outcome: 'stop-ineffective', state: 'RUNNING', message },
    ],
    [
      { outcome: 'refused', code: 'CONFIG' },
      { outcome: 'refused', code: 'CONFIG', message },
    ],
    [{ outcome: 'crash' }, { outcome: 'crash', message }],
  ];
  for (const [expected, observed] of pairs)
    expect(matches(expected, observed), expected.outcome).toBe(true);
});

test('an observation that differs in any field does not match', () => {
  const pairs: [string, Expectation, Observation][] = [
    ['outcome', { outcome: 'ok' }, { outcome: 'crash', message }],
    [
      'outcome, same state',
      { outcome: 'timeout', state: 'RUNNING' },
      { outcome: 'stop-ineffective', state: 'RUNNING', message },
    ],
    [
      'error operation',
      { outcome: 'error', operation: 'StartService', win32Code: 2 },
      { outcome: 'error', operation: 'CreateService', win32Code: 2, message },
    ],
    [
      'error code',
      { outcome: 'error', operation: 'StartService', win32Code: 2 },
      { outcome: 'error', operation: 'StartService', win32Code: 1275, message },
    ],
    [
      'timeout state',
      { outcome: 'timeout', state: 'STOP_PENDING' },
      { outcome: 'timeout', state: 'RUNNING', message },
    ],
    [
      'stop-ineffective state',
      { outcome: 'stop-ineffective', state: 'RUNNING' },
      { outcome: 'stop-ineffective', state: 'STOPPED', message },
    ],
    [
      'refused code',
      { outcome: 'refused', code: 'CONFIG' },
      { outcome: 'refused', code: 'FOREIGN_SERVICE', message },
    ],
    [
      'ok expected, error seen',
      { outcome: 'ok' },
      {
        outcome: 'error',
        operation: 'StartService',
        win32Code: 2,
        message,
      },
    ],
  ];
  for (const [field, expected, observed] of pairs)
    expect(matches(expected, observed), field).toBe(false);
});
