/**
 * Verdicts on disk: each test's verdict is written to its own file as the test ends (workers never
 * share a file), and reports/verdicts.json is rebuilt from them each time, so it exists whatever
 * reporter the run uses and a run that dies keeps what it had. The run's reporter rebuilds it once
 * more at the end.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { summarise, type VerdictSummary } from '../core/verdict.ts';
import { atomicWrite } from './atomic-write.ts';

export type VerdictEntry = VerdictSummary['verdicts'][number];

export function runVerdictDir(summaryFile: string, runId: string): string {
  return path.join(path.dirname(summaryFile), 'verdicts.d', runId);
}

export function rebuildSummary(summaryFile: string, runId: string): VerdictSummary {
  const dir = runVerdictDir(summaryFile, runId);
  const entries = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as VerdictEntry)
    : [];
  const summary = summarise(entries, runId);
  atomicWrite(summaryFile, JSON.stringify(summary, null, 2));
  return summary;
}

export function storeVerdict(
  summaryFile: string,
  runId: string,
  testId: string,
  entry: VerdictEntry,
): void {
  atomicWrite(
    path.join(runVerdictDir(summaryFile, runId), `${testId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`),
    JSON.stringify(entry),
  );
  rebuildSummary(summaryFile, runId);
}

/** Keeps only the current run's verdict files. */
export function pruneOtherRuns(summaryFile: string, runId: string): void {
  const root = path.dirname(runVerdictDir(summaryFile, runId));
  if (!existsSync(root)) return;
  for (const name of readdirSync(root))
    if (name !== runId) rmSync(path.join(root, name), { recursive: true, force: true });
}
