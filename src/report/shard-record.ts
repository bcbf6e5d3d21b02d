/**
 * A shard's record (reports/shard.json), written by every run started with `--shard=i/n`: which
 * shard of how many it is, its run id, every test Playwright gave it and how each ended, and
 * whether the run reached its end. It makes a shard's reports folder self-describing, so the
 * merge can tell a complete run from a partial one: a shard index that no folder brings, a shard
 * whose runner never finished, a test planned but never ended, a test two shards both ran.
 */
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { checkedRunId } from '../core/run-id.ts';
import { isRecord, readReportJson } from './read-json.ts';

/** How a shard's tests were chosen when drvcycle cut the run by test times (shard-plan.ts). */
export interface ShardPlanRecord {
  readonly by: 'times';
  /** The Allure history the times came from. */
  readonly timesFile: string;
  /** Shards of one plan have the same. */
  readonly fingerprint: string;
  /** The tests of the whole run, every shard's. */
  readonly tests: number;
  readonly expectedSeconds: readonly number[];
  /** Tests with no time in the history. */
  readonly unknown: number;
}

export interface ShardRecord {
  readonly runId: string | undefined;
  readonly shard: { readonly current: number; readonly total: number };
  /** Absent: Playwright cut the run by count. */
  readonly plan?: ShardPlanRecord;
  readonly startedAt: string;
  /** Set when the runner reached its end (absent: killed, or its machine lost). */
  readonly endedAt?: string;
  /** Playwright's overall status of the shard's run (passed, failed, timedout, interrupted). */
  readonly status?: string;
  /** Each test of the shard (`[project] › file › describe › title`): its last status, or null. */
  readonly tests: Record<string, string | null>;
}

export const SHARD_RECORD_FILE = 'shard.json';
/** The merged folder's account of its shards (ShardSet). */
export const SHARD_SET_FILE = 'shards.json';

/** One test's key, as Playwright's test lists write it: `[project] › file › describe › title`. */
export function shardTestKey(project: string, fileAndTitles: readonly string[]): string {
  return [`[${project}]`, ...fileAndTitles].join(' › ');
}

export function shardRecordOf(value: unknown, file: string, hint: string): ShardRecord {
  const bad = (why: string) =>
    new ConfigError(`${file} is not a drvcycle shard record: ${why}.`, hint);
  if (!isRecord(value)) throw bad('not a JSON object');
  const shard = value.shard;
  if (
    !isRecord(shard) ||
    !Number.isInteger(shard.current) ||
    !Number.isInteger(shard.total) ||
    (shard.total as number) < 1 ||
    (shard.current as number) < 1 ||
    (shard.current as number) > (shard.total as number)
  )
    throw bad('its "shard" is not {current, total} with 1 ≤ current ≤ total');
  if (
    !isRecord(value.tests) ||
    Object.values(value.tests).some((s) => s !== null && typeof s !== 'string')
  )
    throw bad('its "tests" is not a map of test to status');
  const plan = value.plan;
  if (
    plan !== undefined &&
    (!isRecord(plan) ||
      plan.by !== 'times' ||
      typeof plan.fingerprint !== 'string' ||
      typeof plan.timesFile !== 'string' ||
      !Number.isInteger(plan.tests))
  )
    throw bad('its "plan" is not {by: "times", timesFile, fingerprint, tests}');
  if (value.runId !== undefined && value.runId !== null) checkedRunId(value.runId, file, hint);
  return value as unknown as ShardRecord;
}

export function readShardRecord(dir: string, hint: string): ShardRecord | undefined {
  const file = path.join(dir, SHARD_RECORD_FILE);
  const value = readReportJson(file, hint);
  return value === undefined ? undefined : shardRecordOf(value, file, hint);
}

/** What the merge found about the shards it was given: written as shards.json beside the merge. */
export interface ShardSet {
  readonly total: number;
  readonly shards: { readonly index: number; readonly folder: string; readonly status: string }[];
  /** Shard indexes (1-based) no folder brought. */
  readonly missing: number[];
  /** Shards whose runner did not reach its end. */
  readonly unfinished: number[];
  /** Shards whose run ended failed, timed out or interrupted. */
  readonly failed: { readonly index: number; readonly status: string }[];
  /** Tests a shard was given that never ended (the runner stopped before them). */
  readonly notRun: string[];
  /** Tests more than one shard ran. */
  readonly duplicated: string[];
  /** Each shard's plan, when they differ (one job without the times file, say). */
  readonly differentPlans?: string[];
  /** Tests of the run that no shard was given, by the plan's count (cut by times only). */
  readonly inNoShard?: number;
}

/**
 * Checks that the shards are one sharded run's: each index once, one total. What makes the
 * merged folder meaningless (two folders of one index, different totals, a folder with no record
 * among folders with one) is a ConfigError; what makes the run incomplete is in the ShardSet.
 * Undefined when no folder has a record (shards of a drvcycle that wrote none).
 */
export function checkShardSet(
  shards: readonly { readonly dir: string; readonly record: ShardRecord | undefined }[],
  hint: string,
): ShardSet | undefined {
  const withRecord = shards.filter((s) => s.record !== undefined);
  if (withRecord.length === 0) return undefined;
  const without = shards.find((s) => s.record === undefined);
  if (without)
    throw new ConfigError(
      `${without.dir} has no ${SHARD_RECORD_FILE}, while ${withRecord[0]!.dir} has: it is not a shard of a run started with --shard=i/n.`,
      hint,
    );
  const first = withRecord[0]!;
  const total = first.record!.shard.total;
  const byIndex = new Map<number, string>();
  for (const { dir, record } of withRecord) {
    const { current, total: theirs } = record!.shard;
    if (theirs !== total)
      throw new ConfigError(
        `${dir} is shard ${current}/${theirs}, but ${first.dir} is shard ${first.record!.shard.current}/${total}: the shards come from runs split differently.`,
        `${hint} Every shard job of a run takes the same total (--shard=\${i}/\${n} with one n).`,
      );
    const earlier = byIndex.get(current);
    if (earlier)
      throw new ConfigError(
        `${earlier} and ${dir} are both shard ${current}/${total}.`,
        `${hint} Give each shard index once (the same artifact downloaded twice, or two runs' shards mixed?).`,
      );
    byIndex.set(current, dir);
  }
  const ranIn = new Map<string, number[]>();
  const notRun: string[] = [];
  for (const { record } of withRecord)
    for (const [test, status] of Object.entries(record!.tests)) {
      ranIn.set(test, [...(ranIn.get(test) ?? []), record!.shard.current]);
      if (status === null) notRun.push(`${test} (shard ${record!.shard.current}/${total})`);
    }
  const ordered = [...withRecord].sort((a, b) => a.record!.shard.current - b.record!.shard.current);
  const planOf = (record: ShardRecord) =>
    record.plan
      ? `cut by the test times in ${record.plan.timesFile} (plan ${record.plan.fingerprint})`
      : "cut by Playwright's count";
  const plans = new Set(ordered.map((s) => planOf(s.record!)));
  const planned = Math.max(0, ...ordered.map((s) => s.record!.plan?.tests ?? 0));
  const missing = missingIndexes(byIndex, total);
  return {
    total,
    shards: ordered.map(({ dir, record }) => ({
      index: record!.shard.current,
      folder: dir,
      status: record!.status ?? 'unfinished',
    })),
    missing,
    unfinished: ordered.filter((s) => !s.record!.endedAt).map((s) => s.record!.shard.current),
    failed: ordered
      .filter((s) => s.record!.endedAt && s.record!.status !== 'passed')
      .map((s) => ({ index: s.record!.shard.current, status: s.record!.status ?? 'unknown' })),
    notRun,
    duplicated: [...ranIn]
      .filter(([, indexes]) => indexes.length > 1)
      .map(([test, indexes]) => `${test} (shards ${indexes.join(', ')})`),
    differentPlans:
      plans.size > 1
        ? ordered.map((s) => `shard ${s.record!.shard.current}: ${planOf(s.record!)}`)
        : [],
    inNoShard: missing.length === 0 ? Math.max(0, planned - ranIn.size) : 0,
  };
}

function missingIndexes(byIndex: ReadonlyMap<number, string>, total: number): number[] {
  return Array.from({ length: total }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
}

/** The merged folder's shards.json, when the merge wrote one. */
export function readShardSet(reportsDir: string, hint: string): ShardSet | undefined {
  const file = path.join(reportsDir, SHARD_SET_FILE);
  const value = readReportJson(file, hint);
  if (value === undefined) return undefined;
  const lists = ['shards', 'missing', 'unfinished', 'failed', 'notRun', 'duplicated'];
  if (
    !isRecord(value) ||
    !Number.isInteger(value.total) ||
    lists.some((k) => !Array.isArray(value[k]))
  )
    throw new ConfigError(`${file} is not a drvcycle merge's shards.json.`, hint);
  return value as unknown as ShardSet;
}

const listed = (items: readonly string[], max = 10) =>
  items.length <= max
    ? items.join('; ')
    : `${items.slice(0, max).join('; ')}; and ${items.length - max} more`;

/**
 * Why the merged run is not complete, one line each: what the gate and the certification say.
 * A failed shard is not listed: its failed tests fail the gate themselves; an unfinished one is.
 */
export function incompleteness(set: ShardSet): string[] {
  const lines: string[] = [];
  for (const index of set.missing)
    lines.push(
      `shard ${index}/${set.total} is missing: no folder given is shard ${index} (its job did not upload its reports folder, or it was not downloaded)`,
    );
  for (const index of set.unfinished)
    lines.push(
      `shard ${index}/${set.total} did not finish: its runner stopped before the end (killed, or out of time); finish it with npx drvcycle resume in its reports folder`,
    );
  if (set.notRun.length > 0)
    lines.push(
      `${set.notRun.length} test${set.notRun.length === 1 ? '' : 's'} never ended: ${listed(set.notRun)}`,
    );
  if ((set.inNoShard ?? 0) > 0)
    lines.push(
      `${set.inNoShard} test${set.inNoShard === 1 ? '' : 's'} of the run ${set.inNoShard === 1 ? 'was' : 'were'} given to no shard`,
    );
  // Shards cut differently are harmless when, between them, every test ran once.
  if (
    (set.differentPlans ?? []).length > 0 &&
    ((set.inNoShard ?? 0) > 0 || set.duplicated.length > 0)
  )
    lines.push(
      `the shards were cut by different plans: ${set.differentPlans!.join('; ')} (give every shard job the same DRVCYCLE_SHARD_TIMES file, or none)`,
    );
  if (set.duplicated.length > 0)
    lines.push(
      `${set.duplicated.length} test${set.duplicated.length === 1 ? '' : 's'} ran in more than one shard: ${listed(set.duplicated)}`,
    );
  return lines;
}

/** What the gate says about the shards: the incompleteness, and each shard whose run failed. */
export function shardProblems(set: ShardSet): string[] {
  return [
    ...incompleteness(set),
    ...set.failed.map((f) => `shard ${f.index}/${set.total} ended ${f.status}`),
  ];
}
