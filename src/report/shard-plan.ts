/**
 * Shards cut by time, not by count. Playwright cuts a run's tests into shards of equal counts, so
 * a shard that draws the slow drivers is the last to finish: in a 20-driver nightly on the lab,
 * 2 shards took 318 s and 137 s. With the test times of an earlier run (the Allure history the
 * nightly already keeps), each test goes to the shard that would then end soonest, longest
 * first, and a driver's first test on a shard also pays its machine's boot there.
 *
 * Every shard job computes the whole plan from the same inputs and keeps its own part: the plan's
 * fingerprint goes into each shard's record, and the merge tells shards cut by different plans
 * (a test then may have run in no shard).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { median } from '../core/stats.ts';
import { isRecord } from './read-json.ts';

export interface PlannedTest {
  /** `[project] › file › describe › title` (shardTestKey). */
  readonly key: string;
  /** The project: on the lab one machine per driver and worker. */
  readonly project: string;
  /** Tests that must stay on one worker (a serial suite) share a group and a shard. */
  readonly group?: string | undefined;
}

export interface ShardPlan {
  /** Each test's shard (1-based), by key. */
  readonly shardOf: ReadonlyMap<string, number>;
  /** The seconds each shard is expected to take (tests and machine boots). */
  readonly expectedSeconds: readonly number[];
  /** Tests the times had no figure for (they count as the median test). */
  readonly unknown: number;
  /** A hash of the plan's inputs: shards of one plan have the same. */
  readonly fingerprint: string;
}

/** A machine's boot on the lab, paid once per driver and shard (2-4 s measured). */
export const DEFAULT_BOOT_SECONDS = 3;

export function planShards(
  tests: readonly PlannedTest[],
  total: number,
  times: ReadonlyMap<string, number>,
  bootSeconds = DEFAULT_BOOT_SECONDS,
): ShardPlan {
  const known = tests.map((t) => times.get(t.key)).filter((s): s is number => s !== undefined);
  const fallback = known.length > 0 ? median(known) : 1;
  const units = new Map<
    string,
    { key: string; project: string; seconds: number; keys: string[] }
  >();
  for (const test of tests) {
    const id = test.group ?? test.key;
    const unit = units.get(id) ?? { key: id, project: test.project, seconds: 0, keys: [] };
    unit.seconds += times.get(test.key) ?? fallback;
    unit.keys.push(test.key);
    units.set(id, unit);
  }
  const weighed = [...units.values()]
    // Longest first; equal times in key order, so every shard job builds the same plan.
    .sort((a, b) => b.seconds - a.seconds || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const load = Array.from({ length: total }, () => 0);
  const projectsOn = Array.from({ length: total }, () => new Set<string>());
  const shardOf = new Map<string, number>();
  for (const unit of weighed) {
    let best = 0;
    let bestEnd = Infinity;
    for (let shard = 0; shard < total; shard++) {
      const boot = projectsOn[shard]!.has(unit.project) ? 0 : bootSeconds;
      const end = load[shard]! + boot + unit.seconds;
      if (end < bestEnd) {
        best = shard;
        bestEnd = end;
      }
    }
    load[best] = bestEnd;
    projectsOn[best]!.add(unit.project);
    for (const key of unit.keys) shardOf.set(key, best + 1);
  }
  const inputs = weighed.map((u) => `${u.keys.join('\u0000')}\t${u.seconds}`).join('\n');
  return {
    shardOf,
    expectedSeconds: load.map((s) => Math.round(s * 10) / 10),
    unknown: tests.length - known.length,
    fingerprint: createHash('sha256')
      .update(`${total}\n${bootSeconds}\n${inputs}`)
      .digest('hex')
      .slice(0, 16),
  };
}

/**
 * Each test's seconds in an Allure history file (`history/history.jsonl`, one line per run, as
 * `drvcycle report` keeps it): the latest run that has the test wins; skipped tests are left out
 * (a skip says nothing of the test's time).
 */
export function testTimesFromHistory(file: string): Map<string, number> {
  const hint = `Point DRVCYCLE_SHARD_TIMES at the Allure history of an earlier run of these tests (reports/history/history.jsonl, or the merged folder's history/history.jsonl), or unset it for Playwright's own split by count.`;
  if (!existsSync(file))
    throw new ConfigError(`DRVCYCLE_SHARD_TIMES names ${file}, which does not exist.`, hint);
  const times = new Map<string, number>();
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let run: unknown;
    try {
      run = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file} line ${index + 1} is not JSON: not an Allure history.`, hint);
    }
    if (!isRecord(run) || !isRecord(run.testResults))
      throw new ConfigError(
        `${file} line ${index + 1} has no "testResults": not an Allure history.`,
        hint,
      );
    for (const result of Object.values(run.testResults)) {
      const key = historyTestKey(result);
      if (key && isRecord(result) && result.status !== 'skipped')
        times.set(key, (result.duration as number) / 1000);
    }
  });
  return times;
}

/** A history entry's shardTestKey: its project (parentSuite) and its full name. */
function historyTestKey(result: unknown): string | undefined {
  if (!isRecord(result) || typeof result.fullName !== 'string') return undefined;
  if (typeof result.duration !== 'number' || !Number.isFinite(result.duration)) return undefined;
  const labels = Array.isArray(result.labels) ? result.labels : [];
  const project = labels.find((l) => isRecord(l) && l.name === 'parentSuite') as
    { value?: unknown } | undefined;
  if (typeof project?.value !== 'string') return undefined;
  return `[${project.value}] › ${result.fullName}`;
}
