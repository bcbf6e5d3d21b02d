/**
 * verdicts.json kept current as each test ends, over a nightly of thousands of tests: the store
 * (each worker re-reads only the verdict files new or changed since its last rebuild) against a
 * rebuild that reads every verdict file each time (what it did before), side by side on the same
 * entries. Figures: the milliseconds one test's end costs once `tests` verdicts exist.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summarise } from '../src/core/verdict.ts';
import { atomicWrite } from '../src/report/atomic-write.ts';
import { runVerdictDir, storeVerdict, type VerdictEntry } from '../src/report/verdict-store.ts';

/** A nightly's verdict entry of realistic size (~1 KB): every tenth one a leak. */
function entry(i: number): VerdictEntry {
  const leak = i % 10 === 0;
  return {
    kind: leak ? 'leak' : 'pass',
    driver: `dc_driver${i % 20}`,
    scenario: 'cycles',
    summary: leak
      ? 'LEAK at cycle 1: 1 allocation alive after unload: DcLs 256 B × 1 per cycle (NonPagedPool) from drv.sys+0x103c (DriverEntry)'
      : `PASS: 2000 cycles`,
    evidence: {
      cycles: 2000,
      startMs: { p50: 12.1, p95: 30.4, max: 88.2 },
      stopMs: { p50: 5.2, p95: 9.9, max: 41.0 },
      unavailable: { 'verifier-pool': 'the lab runs Wine, which has no Driver Verifier' },
      note: 'x'.repeat(500),
    },
    test: `cycles › load/unload cycles ${i}`,
    project: `nightly-dc_driver${i % 20}`,
    status: leak ? 'failed' : 'passed',
    file: 'cycles.spec.ts',
  } as VerdictEntry;
}

/** The reference: the rebuild that reads and parses every verdict file at each test's end. */
function storeRereadingAll(summaryFile: string, runId: string, testId: string, e: VerdictEntry) {
  const dir = runVerdictDir(summaryFile, runId);
  atomicWrite(path.join(dir, `${testId}.json`), JSON.stringify(e));
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as VerdictEntry);
  atomicWrite(summaryFile, JSON.stringify(summarise(entries, runId), null, 2));
}

export function benchVerdictStore(tests = 2000): Record<string, number> {
  const dirs = [0, 1].map(() => mkdtempSync(path.join(os.tmpdir(), 'drvcycle-store-bench-')));
  const [store, reread] = dirs.map((d) => path.join(d, 'verdicts.json')) as [string, string];
  const lastMs = { store: 0, reread: 0 };
  const totalMs = { store: 0, reread: 0 };
  const window = Math.max(1, Math.round(tests / 20));
  try {
    // Alternating, one test's end each way at a time, so both see the same machine load.
    for (let i = 1; i <= tests; i++) {
      for (const way of ['store', 'reread'] as const) {
        const started = performance.now();
        if (way === 'store') storeVerdict(store, 'run', `t${i}`, entry(i));
        else storeRereadingAll(reread, 'run', `t${i}`, entry(i));
        const ms = performance.now() - started;
        totalMs[way] += ms;
        if (i > tests - window) lastMs[way] += ms / window;
      }
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return {
    tests,
    storeMsPerTestAtEnd: Number(lastMs.store.toFixed(1)),
    rereadMsPerTestAtEnd: Number(lastMs.reread.toFixed(1)),
    storeTotalS: Number((totalMs.store / 1000).toFixed(1)),
    rereadTotalS: Number((totalMs.reread / 1000).toFixed(1)),
    ratioAtEnd: Number((lastMs.store / lastMs.reread).toFixed(2)),
  };
}
