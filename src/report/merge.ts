/**
 * Shards of one run (CI machines, each `--shard=i/n` with its own reports folder) merged into the
 * reports folder: the Allure results side by side, verdicts.json and environment.json combined,
 * certifications combined, and the Playwright blob reports gathered for `playwright
 * merge-reports`. Nothing of a shard folder is changed.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { summarise, type VerdictSummary } from '../core/verdict.ts';
import { certificationMarkdown, type Certification } from './certification.ts';

export interface MergeResult {
  readonly shards: number;
  readonly results: number;
  readonly verdicts: number;
  readonly runIds: string[];
  readonly blobs: string[];
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

function copyAll(
  from: string,
  to: string,
  filter: (name: string) => boolean = () => true,
): string[] {
  if (!existsSync(from)) return [];
  mkdirSync(to, { recursive: true });
  const copied: string[] = [];
  for (const name of readdirSync(from)) {
    if (!filter(name) || !statSync(path.join(from, name)).isFile()) continue;
    copyFileSync(path.join(from, name), path.join(to, name));
    copied.push(name);
  }
  return copied;
}

export function mergeShards(shardDirs: readonly string[], into: string): MergeResult {
  const shards = shardDirs.map((dir) => path.resolve(dir));
  for (const dir of shards) {
    if (
      !existsSync(path.join(dir, 'allure-results')) &&
      !existsSync(path.join(dir, 'verdicts.json'))
    )
      throw new ConfigError(
        `${dir} is not a shard's reports folder (no allure-results, no verdicts.json).`,
        "Give the reports folder each shard wrote (its DRVCYCLE_REPORTS_DIR, or the CI artifact's unpacked reports/).",
      );
    if (dir === path.resolve(into))
      throw new ConfigError(
        `${dir} is both a shard and the merged reports folder.`,
        'Merge into another folder: DRVCYCLE_REPORTS_DIR=merged npx drvcycle report shard-1 shard-2',
      );
  }
  const results = path.join(into, 'allure-results');
  rmSync(results, { recursive: true, force: true });
  const blobDir = path.join(into, 'blob-report');
  rmSync(blobDir, { recursive: true, force: true });
  let resultCount = 0;
  const verdicts: VerdictSummary['verdicts'] = [];
  const runIds = new Set<string>();
  const environment: Record<string, string> = {};
  const certifications: Certification[] = [];
  const blobs: string[] = [];
  for (const [index, dir] of shards.entries()) {
    resultCount += copyAll(path.join(dir, 'allure-results'), results).filter((n) =>
      n.endsWith('-result.json'),
    ).length;
    const summary = readJson<VerdictSummary>(path.join(dir, 'verdicts.json'));
    if (summary) {
      if (summary.runId) runIds.add(summary.runId);
      verdicts.push(...summary.verdicts);
    }
    Object.assign(
      environment,
      readJson<Record<string, string>>(path.join(dir, 'environment.json')),
    );
    const certification = readJson<Certification>(path.join(dir, 'certification.json'));
    if (certification) certifications.push(certification);
    // Blob names carry the shard number when the config says so; prefix them to be safe.
    const blobFrom = path.join(dir, 'blob-report');
    if (existsSync(blobFrom))
      for (const name of readdirSync(blobFrom).filter((n) => n.endsWith('.zip'))) {
        mkdirSync(blobDir, { recursive: true });
        copyFileSync(path.join(blobFrom, name), path.join(blobDir, `shard-${index + 1}-${name}`));
        blobs.push(name);
      }
  }
  const runId = runIds.size === 0 ? undefined : [...runIds].sort().join('+');
  writeFileSync(
    path.join(into, 'verdicts.json'),
    JSON.stringify(summarise(verdicts, runId), null, 2),
  );
  writeFileSync(path.join(into, 'environment.json'), JSON.stringify(environment, null, 2));
  if (certifications.length > 0) {
    const drivers = certifications.flatMap((c) => c.drivers);
    const merged: Certification = {
      generatedAt: new Date().toISOString(),
      runId,
      certified: certifications.every((c) => c.certified),
      verdict: drivers.length > 0 && drivers.every((d) => d.verdict === 'pass') ? 'pass' : 'fail',
      drivers,
    };
    writeFileSync(path.join(into, 'certification.json'), `${JSON.stringify(merged, null, 2)}\n`);
    writeFileSync(path.join(into, 'certification.md'), certificationMarkdown(merged));
  }
  return {
    shards: shards.length,
    results: resultCount,
    verdicts: verdicts.length,
    runIds: [...runIds],
    blobs,
  };
}
