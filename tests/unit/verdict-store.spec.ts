/**
 * A full reports disk (ENOSPC, injected by fake writers) while a test's results are written: the
 * verdict becomes drvcycle's `error` verdict, what was written stays, and other errors pass through.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { Verdict } from '../../src/core/verdict.ts';
import {
  rebuildSummary,
  runVerdictDir,
  settleVerdict,
  storeVerdict,
} from '../../src/report/verdict-store.ts';
import { atomicWrite } from '../../src/report/atomic-write.ts';
import { scratchDir } from './scratch.ts';

const pass: Verdict = {
  kind: 'pass',
  driver: 'dc_clean',
  scenario: 'cycles',
  summary: 'PASS: load/unload cycles',
  evidence: {},
};

function diskFull(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write`), {
    code: 'ENOSPC',
    path: file,
  });
}

test('results that no longer fit after the verdict was stored: verdicts.json says error, not pass', async () => {
  const summary = path.join(scratchDir('drvcycle-disk-'), 'verdicts.json');
  const store = (v: Verdict) =>
    storeVerdict(summary, 'run-1', 't1', {
      ...v,
      test: 'cycles › load/unload cycles',
      project: 'lab',
      status: 'passed',
    });
  // A fake finish: the collector's attachments hit a full disk.
  const { verdict, diskFull: error } = await settleVerdict(pass, store, () =>
    Promise.reject(diskFull('/reports/test-results/x/metrics.ndjson')),
  );
  expect(error?.code).toBe('ENOSPC');
  expect(verdict).toMatchObject({
    kind: 'error',
    evidence: { cause: 'disk-full', driverVerdict: 'pass' },
  });
  expect(verdict.summary).toBe(
    "ERROR: the reports disk is full (ENOSPC writing /reports/test-results/x/metrics.ndjson): this test's results are incomplete; the driver's verdict was PASS: load/unload cycles",
  );
  const written = JSON.parse(readFileSync(summary, 'utf8'));
  expect(written.verdicts.map((v: Verdict) => v.kind)).toEqual(['error']);
  expect(written.counts).toMatchObject({ pass: 0, error: 1 });
});

test('a disk too full for the verdict itself: the error verdict is returned, finish still runs, nothing is thrown away', async () => {
  const stored: Verdict[] = [];
  let finished = 0;
  // A fake store on a full disk: every write fails.
  const store = (v: Verdict) => {
    stored.push(v);
    throw diskFull('/reports/verdicts.d/run-1/t1.json');
  };
  const { verdict } = await settleVerdict(pass, store, async () => {
    finished++;
  });
  expect(verdict.kind).toBe('error');
  expect(stored.map((v) => v.kind)).toEqual(['pass', 'error']);
  expect(finished).toBe(1);
});

test('any other error of the results is thrown as it is', async () => {
  await expect(
    settleVerdict(
      pass,
      () => undefined,
      () => Promise.reject(new Error('chart failed')),
    ),
  ).rejects.toThrow('chart failed');
  const { verdict, diskFull: none } = await settleVerdict(
    pass,
    () => undefined,
    async () => undefined,
  );
  expect(verdict).toBe(pass);
  expect(none).toBeUndefined();
});

test('verdicts.json follows every verdict file: a new one, one another worker wrote, one replaced by a retry', () => {
  const summary = path.join(scratchDir('drvcycle-store-'), 'verdicts.json');
  const entry = (test: string, verdict: Verdict, status = 'passed') => ({
    ...verdict,
    test,
    project: 'lab',
    status,
  });
  const leak: Verdict = { ...pass, kind: 'leak', summary: 'LEAK at cycle 1: 256 B' };
  const read = () =>
    JSON.parse(readFileSync(summary, 'utf8')) as { verdicts: { test: string; kind: string }[] };
  const kinds = () => read().verdicts.map((v) => `${v.test}:${v.kind}`);
  storeVerdict(summary, 'run-1', 't1', entry('cycles', leak, 'failed'));
  storeVerdict(summary, 'run-1', 't2', entry('leaks', pass));
  // Another worker's file, written as storeVerdict writes it, then this worker's next test.
  atomicWrite(
    path.join(runVerdictDir(summary, 'run-1'), 't3.json'),
    JSON.stringify(entry('soak', pass)),
  );
  storeVerdict(summary, 'run-1', 't4', entry('error paths › second start', pass));
  expect(kinds()).toEqual([
    'cycles:leak',
    'leaks:pass',
    'soak:pass',
    'error paths › second start:pass',
  ]);
  // Printed as JSON.stringify(summary, null, 2) prints it.
  const text = readFileSync(summary, 'utf8');
  expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2));
  // A retry of t1 replaces its file: the summary has the retry's verdict, once.
  storeVerdict(summary, 'run-1', 't1', entry('cycles', pass));
  expect(kinds()).toEqual([
    'cycles:pass',
    'leaks:pass',
    'soak:pass',
    'error paths › second start:pass',
  ]);
  expect(readFileSync(summary, 'utf8')).toBe(
    JSON.stringify(JSON.parse(readFileSync(summary, 'utf8')), null, 2),
  );
  // No verdict yet: the same shape, an empty list.
  const empty = path.join(scratchDir('drvcycle-store-'), 'verdicts.json');
  expect(rebuildSummary(empty, 'run-2').verdicts).toEqual([]);
  expect(JSON.parse(readFileSync(empty, 'utf8'))).toMatchObject({ runId: 'run-2', verdicts: [] });
});
