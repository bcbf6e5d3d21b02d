/**
 * Verdicts on disk: each test's verdict is written to its own file as the test ends (workers never
 * share a file), and reports/verdicts.json is rebuilt from them each time, so it exists whatever
 * reporter the run uses and a run that dies keeps what it had. The run's reporter rebuilds it once
 * more at the end.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { summarise, type Verdict, type VerdictSummary } from '../core/verdict.ts';
import { atomicWrite } from './atomic-write.ts';

export type VerdictEntry = VerdictSummary['verdicts'][number];

export function runVerdictDir(summaryFile: string, runId: string): string {
  return path.join(path.dirname(summaryFile), 'verdicts.d', runId);
}

/**
 * The verdict files this process has read, by path, with the inode, time and size they had: a
 * rebuild reads again only the files new or changed since (another worker's, a retry's), so a run
 * of thousands of tests does not re-read every earlier verdict at each test's end. (The stat of
 * each file stays: it is how a file another process replaced is told.)
 */
const read = new Map<string, { readonly stamp: string; readonly entry: VerdictEntry }>();

function readEntry(file: string): VerdictEntry {
  // Files are replaced whole (atomicWrite renames a new one in): a new inode, time or size.
  const { ino, mtimeMs, size } = statSync(file);
  const stamp = `${ino}:${mtimeMs}:${size}`;
  const known = read.get(file);
  if (known?.stamp === stamp) return known.entry;
  const entry = JSON.parse(readFileSync(file, 'utf8')) as VerdictEntry;
  read.set(file, { stamp, entry });
  return entry;
}

export function rebuildSummary(summaryFile: string, runId: string): VerdictSummary {
  const dir = runVerdictDir(summaryFile, runId);
  const entries = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readEntry(path.join(dir, f)))
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

/** A write that failed because the disk (or the user's quota) is full. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** drvcycle's own `error` verdict for a test whose results could not be written. */
export function diskFullVerdict(verdict: Verdict, error: NodeJS.ErrnoException): Verdict {
  const where = error.path ? ` writing ${error.path}` : '';
  return {
    kind: 'error',
    driver: verdict.driver,
    scenario: verdict.scenario,
    summary: `ERROR: the reports disk is full (${error.code}${where}): this test's results are incomplete; the driver's verdict was ${verdict.summary.split('\n')[0]}`,
    evidence: { ...verdict.evidence, cause: 'disk-full', driverVerdict: verdict.kind },
  };
}

/**
 * Stores a test's verdict (`store`), then writes the rest of its results (`finish`). A full disk
 * on either makes the verdict drvcycle's `error` (stored when there is room for it, else the
 * first one stays) and is returned, so the test fails with it; any other error is thrown as is.
 * Nothing written is removed.
 */
export async function settleVerdict(
  verdict: Verdict,
  store: (verdict: Verdict) => void,
  finish: (verdict: Verdict) => Promise<void>,
): Promise<{ verdict: Verdict; diskFull: NodeJS.ErrnoException | undefined }> {
  let diskFull: NodeJS.ErrnoException | undefined;
  try {
    store(verdict);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    diskFull = error;
  }
  try {
    await finish(verdict);
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    diskFull ??= error;
  }
  if (!diskFull) return { verdict, diskFull };
  const error = diskFullVerdict(verdict, diskFull);
  try {
    store(error);
  } catch (again) {
    if (!isDiskFull(again)) throw again;
  }
  return { verdict: error, diskFull };
}
