/**
 * Shards of one run (CI machines, each `--shard=i/n` with its own reports folder) merged into the
 * reports folder: the Allure results side by side, verdicts.json and environment.json combined,
 * certifications combined, and the Playwright blob reports gathered for `playwright
 * merge-reports`. Nothing of a shard folder is changed.
 *
 * A shard is an input from another machine: every one is read and checked before the merged
 * folder is touched (a bad one is a ConfigError naming it, and the merged folder keeps what it
 * had), no link is followed (a link in a shard is refused, not copied), the JSON files are read
 * within a size bound, and the run ids must be run ids.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { checkedRunId } from '../core/run-id.ts';
import { summarise, VERDICT_KINDS, type VerdictSummary } from '../core/verdict.ts';
import { atomicWrite } from './atomic-write.ts';
import {
  certificationMarkdown,
  overallVerdict,
  combineDriverCertifications,
  type Certification,
} from './certification-verdict.ts';
import { isRecord, readReportJson } from './read-json.ts';
import {
  checkShardSet,
  incompleteness,
  readShardRecord,
  SHARD_SET_FILE,
  type ShardRecord,
  type ShardSet,
} from './shard-record.ts';

export interface MergeResult {
  readonly shards: number;
  readonly results: number;
  readonly verdicts: number;
  readonly runIds: string[];
  readonly blobs: string[];
  /** The shards' indexes and what is missing, when the shards carry their records. */
  readonly shardSet: ShardSet | undefined;
  /** Why the merged run is incomplete (a missing shard, a test lost or run twice), one line each. */
  readonly incomplete: string[];
}

/** What one shard brings, read and checked. */
interface Shard {
  readonly dir: string;
  readonly results: string[];
  readonly blobs: string[];
  readonly summary: VerdictSummary | undefined;
  readonly environment: Record<string, string>;
  readonly certification: Certification | undefined;
  readonly record: ShardRecord | undefined;
}

const SHARD_HINT =
  "Give the reports folder each shard wrote (its DRVCYCLE_REPORTS_DIR, or the CI artifact's unpacked reports/), unchanged.";

/** The regular files of a shard's subfolder; a link anywhere in it is refused. */
function filesIn(dir: string, shard: string, filter: (name: string) => boolean): string[] {
  let stat;
  try {
    stat = lstatSync(dir);
  } catch {
    return [];
  }
  if (stat.isSymbolicLink())
    throw new ConfigError(
      `${dir} of shard ${shard} is a symbolic link: drvcycle follows no link in a shard.`,
      SHARD_HINT,
    );
  if (!stat.isDirectory())
    throw new ConfigError(`${dir} of shard ${shard} is not a folder.`, SHARD_HINT);
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!filter(name)) continue;
    const entry = lstatSync(path.join(dir, name));
    if (entry.isSymbolicLink())
      throw new ConfigError(
        `${path.join(dir, name)} of shard ${shard} is a symbolic link: drvcycle follows no link in a shard.`,
        SHARD_HINT,
      );
    if (entry.isFile()) files.push(name);
  }
  return files;
}

function verdictSummaryOf(value: unknown, file: string): VerdictSummary | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) =>
    new ConfigError(`${file} is not a drvcycle verdicts.json: ${why}.`, SHARD_HINT);
  if (!isRecord(value) || !Array.isArray(value.verdicts)) throw bad('it has no verdicts list');
  value.verdicts.forEach((v: unknown, i) => {
    if (
      !isRecord(v) ||
      !(VERDICT_KINDS as readonly string[]).includes(v.kind as string) ||
      typeof v.test !== 'string' ||
      typeof v.project !== 'string'
    )
      throw bad(`verdict ${i + 1} is not one (a kind, a test and a project)`);
  });
  if (value.runId !== undefined && value.runId !== null)
    checkedRunId(value.runId, file, SHARD_HINT);
  return value as unknown as VerdictSummary;
}

function environmentOf(value: unknown, file: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string'))
    throw new ConfigError(
      `${file} is not a drvcycle environment.json (names and texts).`,
      SHARD_HINT,
    );
  return value as Record<string, string>;
}

function certificationOf(value: unknown, file: string): Certification | undefined {
  if (value === undefined) return undefined;
  const driverOk = (d: unknown) =>
    isRecord(d) &&
    typeof d.service === 'string' &&
    (d.verdict === 'pass' || d.verdict === 'fail') &&
    isRecord(d.driver) &&
    Array.isArray(d.criteria) &&
    d.criteria.every(isRecord);
  if (
    !isRecord(value) ||
    typeof value.certified !== 'boolean' ||
    !Array.isArray(value.drivers) ||
    !value.drivers.every(driverOk)
  )
    throw new ConfigError(`${file} is not a drvcycle certification.json.`, SHARD_HINT);
  return value as unknown as Certification;
}

function readShard(dir: string, into: string): Shard {
  if (!existsSync(path.join(dir, 'allure-results')) && !existsSync(path.join(dir, 'verdicts.json')))
    throw new ConfigError(
      `${dir} is not a shard's reports folder (no allure-results, no verdicts.json).`,
      SHARD_HINT,
    );
  if (!statSync(dir).isDirectory()) throw new ConfigError(`${dir} is not a folder.`, SHARD_HINT);
  if (existsSync(into) && realpathSync(dir) === realpathSync(into))
    throw new ConfigError(
      `${dir} is both a shard and the merged reports folder.`,
      'Merge into another folder: DRVCYCLE_REPORTS_DIR=merged npx drvcycle report shard-1 shard-2',
    );
  const json = (name: string) => readReportJson(path.join(dir, name), SHARD_HINT);
  return {
    dir,
    results: filesIn(path.join(dir, 'allure-results'), dir, () => true),
    blobs: filesIn(path.join(dir, 'blob-report'), dir, (n) => n.endsWith('.zip')),
    summary: verdictSummaryOf(json('verdicts.json'), path.join(dir, 'verdicts.json')),
    environment: environmentOf(json('environment.json'), path.join(dir, 'environment.json')),
    certification: certificationOf(
      json('certification.json'),
      path.join(dir, 'certification.json'),
    ),
    record: readShardRecord(dir, SHARD_HINT),
  };
}

export function mergeShards(shardDirs: readonly string[], into: string): MergeResult {
  // Every shard read and checked first: a bad one stops the merge before anything is written.
  const shards = shardDirs.map((dir) => readShard(path.resolve(dir), path.resolve(into)));
  const shardSet = checkShardSet(shards, SHARD_HINT);
  const incomplete = shardSet ? incompleteness(shardSet) : [];
  const runIds = new Set<string>();
  for (const shard of shards) if (shard.summary?.runId) runIds.add(shard.summary.runId);
  const runId = runIds.size === 0 ? undefined : [...runIds].sort().join('+');

  const results = path.join(into, 'allure-results');
  rmSync(results, { recursive: true, force: true });
  const blobDir = path.join(into, 'blob-report');
  rmSync(blobDir, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  let resultCount = 0;
  const verdicts: VerdictSummary['verdicts'] = [];
  const environment: Record<string, string> = {};
  const certifications: Certification[] = [];
  const blobs: string[] = [];
  for (const [index, shard] of shards.entries()) {
    for (const name of shard.results)
      copyFileSync(path.join(shard.dir, 'allure-results', name), path.join(results, name));
    resultCount += shard.results.filter((n) => n.endsWith('-result.json')).length;
    if (shard.summary) verdicts.push(...shard.summary.verdicts);
    Object.assign(environment, shard.environment);
    if (shard.certification) certifications.push(shard.certification);
    // Blob names carry the shard number when the config says so; prefix them to be safe.
    for (const name of shard.blobs) {
      mkdirSync(blobDir, { recursive: true });
      copyFileSync(
        path.join(shard.dir, 'blob-report', name),
        path.join(blobDir, `shard-${index + 1}-${name}`),
      );
      blobs.push(name);
    }
  }
  atomicWrite(
    path.join(into, 'verdicts.json'),
    JSON.stringify(summarise(verdicts, runId), null, 2),
  );
  atomicWrite(path.join(into, 'environment.json'), JSON.stringify(environment, null, 2));
  // What the gate reads to fail an incomplete run; an earlier merge's record must not stay.
  if (shardSet)
    atomicWrite(path.join(into, SHARD_SET_FILE), `${JSON.stringify(shardSet, null, 2)}\n`);
  else rmSync(path.join(into, SHARD_SET_FILE), { force: true });
  if (certifications.length > 0) {
    // A driver's criteria may be spread over shards: each shard lists the others' as missing.
    const drivers = combineDriverCertifications(certifications.flatMap((c) => c.drivers));
    const comparisons = certifications.flatMap((c) => c.comparisons ?? []);
    // A partial run certifies nothing: the drivers of a missing shard are not even listed.
    const passed = incomplete.length === 0 && overallVerdict(drivers, comparisons) === 'pass';
    const merged: Certification = {
      generatedAt: new Date().toISOString(),
      runId,
      certified: certifications.every((c) => c.certified),
      verdict: passed ? 'pass' : 'fail',
      ...(incomplete.length > 0 ? { incomplete } : {}),
      drivers,
      ...(comparisons.length > 0 ? { comparisons } : {}),
    };
    atomicWrite(path.join(into, 'certification.json'), `${JSON.stringify(merged, null, 2)}\n`);
    atomicWrite(path.join(into, 'certification.md'), certificationMarkdown(merged));
  }
  return {
    shards: shards.length,
    results: resultCount,
    verdicts: verdicts.length,
    runIds: [...runIds],
    blobs,
    shardSet,
    incomplete,
  };
}
