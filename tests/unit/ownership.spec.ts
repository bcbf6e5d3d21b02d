import { expect, test } from '@playwright/test';
import { assertRunId, newRunId } from '../../src/core/run-id.ts';
import {
  isStale,
  ownedDescription,
  ownedDisplayName,
  readOwnership,
} from '../../src/windows/scm/ownership.ts';

test('a created service is recognised as owned by its run, from display name or description', () => {
  const runId = newRunId(new Date('2026-11-25T10:00:00Z'));
  expect(runId).toMatch(/^20261125T100000-[0-9a-f]{6}$/);
  expect(readOwnership({ displayName: ownedDisplayName('dc_x', runId), description: '' })).toEqual({
    owned: true,
    runId,
  });
  expect(
    readOwnership({ displayName: 'dc_x', description: ownedDescription(runId, new Date()) }),
  ).toEqual({ owned: true, runId });
});

test('services without the marker are foreign, whatever their name', () => {
  expect(readOwnership({ displayName: 'Beep', description: 'Beep driver' })).toEqual({
    owned: false,
  });
  expect(readOwnership({ displayName: 'dc_clean', description: 'drvcycle test driver' })).toEqual({
    owned: false,
  });
  expect(readOwnership({ displayName: 'x (drvcycle:run=)', description: '' })).toEqual({
    owned: false,
  });
});

test('stale means owned by another run; foreign services are never stale', () => {
  expect(isStale({ owned: true, runId: 'old-run' }, 'this-run')).toBe(true);
  expect(isStale({ owned: true, runId: 'this-run' }, 'this-run')).toBe(false);
  expect(isStale({ owned: false }, 'this-run')).toBe(false);
});

test('run ids are validated', () => {
  expect(() => assertRunId('ok-123')).not.toThrow();
  expect(() => assertRunId('bad id')).toThrow(/1-40 letters/);
  expect(() => ownedDisplayName('x', ')')).toThrow();
});
