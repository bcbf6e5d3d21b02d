/**
 * How a nightly scales on one 2-core machine: a manifest of 20 drivers from the sample corpus
 * (each sample under several service names) × every spec family, run as a CI shard job runs it
 * (`drvcycle lab --project='nightly-*' [--shard=i/n] --workers=w`, its Allure report included),
 * one shard with 1 and 2 workers, and 2 shards side by side with 1 and 2 workers each. It prints
 * each configuration's wall time, its throughput against one worker's, how busy its machines were
 * (the tests' own time over wall time × machines), the load average around it, and whether every
 * configuration gave every test the same verdict (a verdict that changes under load would be a
 * false one). Then it merges the 2-shard run as the report job does.
 *
 *   npx tsx bench/scale-out.ts [drivers=20] [configurations=1x1,1x2,2x1,2x2]
 *
 * A configuration ending in `t` (`2x1t`) is cut by the test times of the first configuration's
 * run (DRVCYCLE_SHARD_TIMES, its Allure history) instead of Playwright's count.
 *
 * Not in `npm run bench`: with the nightly's numbers made small (CYCLES=20, LEAK_CYCLES=40,
 * SOAK_SECONDS=2, as BENCH_SCALE_ENV may change) and one test per family and driver (GREP below)
 * it still takes tens of minutes on 2 cores.
 * Side-by-side shards get run ids of their own: the lab names a run's machines by run id and
 * worker, so two shards of one run id on one host would share machines.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT, packagePaths, sampleDriver } from '../src/core/paths.ts';
import { provisionLab } from '../src/lab/provision.ts';

/** The corpus a nightly of 20 drivers is made of: mostly passing, some failing, one PnP. */
const CORPUS: { sample: string; copies: number; kind?: 'pnp' }[] = [
  { sample: 'clean', copies: 6 },
  { sample: 'device_legacy', copies: 3 },
  { sample: 'leak_small', copies: 3 },
  { sample: 'leak_large', copies: 2 },
  { sample: 'entry_fail_resources', copies: 2 },
  { sample: 'entry_fail_config', copies: 1 },
  { sample: 'slow_start', copies: 1 },
  { sample: 'no_unload', copies: 1 },
  { sample: 'pnp_clean', copies: 1, kind: 'pnp' },
];

/**
 * One test of each spec family per driver (cycles, soak, leaks, and the error path every driver
 * kind runs first): 80 tests for 20 drivers. BENCH_SCALE_GREP='.' runs all 14 tests per driver.
 */
const GREP = process.env.BENCH_SCALE_GREP ?? 'load/unload cycles|soak|memory returns|second start';

const SHORT = JSON.parse(
  process.env.BENCH_SCALE_ENV ?? '{"CYCLES":"20","LEAK_CYCLES":"40","SOAK_SECONDS":"2"}',
) as Record<string, string>;

function manifest(drivers: number, file: string): void {
  // Interleaved (clean, device_legacy, leak_small, …, clean, …): Playwright gives each shard a
  // run of consecutive tests, and the slow samples side by side would make one shard the last.
  const most = Math.max(...CORPUS.map((entry) => entry.copies));
  const round = Array.from({ length: most }, (_, i) =>
    CORPUS.filter((entry) => entry.copies > i).map((entry) => ({ ...entry, copy: i + 1 })),
  ).flat();
  const lines = Array.from({ length: drivers }, (_, i) => {
    const entry = round[i % round.length]!;
    const copy = entry.copy + Math.floor(i / round.length) * entry.copies;
    return JSON.stringify({
      image: sampleDriver(entry.sample),
      service: `dc_n${copy}_${entry.sample}`,
      ...(entry.kind ? { kind: entry.kind } : {}),
    });
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function run(args: string[], env: NodeJS.ProcessEnv, log: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [packagePaths.cli(), ...args], {
      cwd: PACKAGE_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.on('close', (code) => {
      writeFileSync(log, Buffer.concat(out));
      resolve(code);
    });
  });
}

interface AllureResult {
  fullName: string;
  start: number;
  stop: number;
  status: string;
  parameters: { name: string; value: string }[];
  labels: { name: string; value: string }[];
}

function results(reports: string): AllureResult[] {
  const dir = path.join(reports, 'allure-results');
  return readdirSync(dir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as AllureResult);
}

const keyOf = (r: AllureResult) =>
  `[${r.parameters.find((p) => p.name === 'Project')?.value}] › ${r.fullName}`;
const verdictOf = (r: AllureResult) =>
  r.labels.find((l) => l.name === 'verdict')?.value ?? r.status;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const drivers = Number(process.argv[2] ?? 20);
// `2x1t`: 2 shards × 1 worker cut by the test times of the first configuration's run (its
// Allure history, DRVCYCLE_SHARD_TIMES), not by Playwright's count.
const configurations = (process.argv[3] ?? '1x2,2x1,1x1,2x2').split(',').map((c) => {
  const [shards, workers] = c.replace(/t$/, '').split('x').map(Number);
  return { name: c, shards: shards!, workers: workers!, byTimes: c.endsWith('t') };
});

await provisionLab(() => {});
const work = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-scale-out-'));
const manifestFile = path.join(work, 'drivers.jsonl');
manifest(drivers, manifestFile);
console.log(
  `nightly of ${drivers} drivers × every spec family (--grep=${GREP}, ${JSON.stringify(SHORT)}), ${os.cpus().length} cores; work folder ${work}`,
);

const rows: Record<string, string | number>[] = [];
const verdicts = new Map<string, Map<string, string>>();
let twoShardFolders: string[] = [];
let firstHistory: string | undefined;
for (const config of configurations) {
  if (config.byTimes && !firstHistory)
    throw new Error(`${config.name}: cut by times needs an earlier configuration's run first`);
  const before = load();
  const started = Date.now();
  const folders: string[] = [];
  const codes = await Promise.all(
    Array.from({ length: config.shards }, (_, i) => {
      const reports = path.join(work, `${config.name}-shard-${i + 1}`);
      mkdirSync(reports, { recursive: true });
      folders.push(reports);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...SHORT,
        DRVCYCLE_MANIFEST: manifestFile,
        DRVCYCLE_REPORTS_DIR: reports,
        DRVCYCLE_RUN_ID: `bench-${config.name}-s${i + 1}-${started.toString(36)}`,
      };
      delete env.DRVCYCLE_VERDICTS_FILE;
      if (config.byTimes) env.DRVCYCLE_SHARD_TIMES = firstHistory;
      else delete env.DRVCYCLE_SHARD_TIMES;
      return run(
        [
          'lab',
          '-c',
          'bench/nightly.config.ts',
          '--project=nightly-*',
          `--grep=${GREP}`,
          `--workers=${config.workers}`,
          ...(config.shards > 1 ? [`--shard=${i + 1}/${config.shards}`] : []),
        ],
        env,
        path.join(reports, 'run.log'),
      );
    }),
  );
  const wall = (Date.now() - started) / 1000;
  const all = folders.flatMap(results);
  const testSeconds = all.reduce((sum, r) => sum + (r.stop - r.start) / 1000, 0);
  verdicts.set(config.name, new Map(all.map((r) => [keyOf(r), verdictOf(r)])));
  if (config.shards === 2 && config.workers === 1) twoShardFolders = folders;
  firstHistory ??= path.join(folders[0]!, 'history', 'history.jsonl');
  // Each shard's own time: a cut that leaves one shard idle early shows here.
  const shardSeconds = folders.map((folder) => {
    const rs = results(folder);
    return rs.length === 0
      ? 0
      : Math.round(
          (Math.max(...rs.map((r) => r.stop)) - Math.min(...rs.map((r) => r.start))) / 1000,
        );
  });
  rows.push({
    configuration: `${config.shards} shard${config.shards > 1 ? 's' : ''} × ${config.workers} worker${config.workers > 1 ? 's' : ''}${config.byTimes ? ', cut by times' : ''}`,
    machines: config.shards * config.workers,
    tests: all.length,
    wallSeconds: Math.round(wall),
    testsPerMinute: Number(((all.length / wall) * 60).toFixed(1)),
    busy: Number((testSeconds / (wall * config.shards * config.workers)).toFixed(2)),
    shardSeconds: shardSeconds.join(' / '),
    exitCodes: codes.join(','),
    loadBefore: before,
    loadAfter: load(),
  });
  console.log(rows.at(-1));
}
const base = rows.find((r) => r.machines === 1);
for (const row of rows)
  row.speedUp = base
    ? Number(((row.testsPerMinute as number) / (base.testsPerMinute as number)).toFixed(2))
    : '-';
console.log(
  '\nwall time of the nightly, side by side (speedUp: throughput over 1 shard × 1 worker)',
);
console.table(rows);

const [first, ...others] = [...verdicts];
const differing = others.flatMap(([name, map]) =>
  [...map]
    .filter(([key, v]) => first![1].get(key) !== v)
    .map(([key, v]) => `${name}: ${key}: ${v} (${first![0]}: ${first![1].get(key)})`),
);
console.log(
  differing.length === 0
    ? `every configuration gave each of the ${first?.[1].size ?? 0} tests the same verdict`
    : `verdicts that differ between configurations:\n${differing.join('\n')}`,
);

if (twoShardFolders.length === 2) {
  const merged = path.join(work, 'merged');
  const started = Date.now();
  const code = await run(
    ['report', '--gate', ...twoShardFolders],
    { ...process.env, DRVCYCLE_REPORTS_DIR: merged },
    path.join(work, 'merge.log'),
  );
  console.log(
    `merge of the 2 shards (drvcycle report --gate): ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code}; log ${path.join(work, 'merge.log')}`,
  );
}
