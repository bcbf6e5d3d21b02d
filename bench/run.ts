/** `npm run bench`: the project's speed, memory and detection targets, measured side by side in one run. */
import { provisionLab } from '../src/lab/provision.ts';
import { benchReport, benchRunnerMemory, benchSampling } from './collector.ts';
import { benchCompare } from './compare.ts';
import { benchCpuShares } from './cpu-shares.ts';
import { benchHostMode, benchTwoMachines } from './host-modes.ts';
import { benchLeakDetection } from './leak-detection.ts';
import { benchIo } from './io.ts';
import { benchPnp } from './pnp.ts';
import { benchRelayCost } from './relay-cost.ts';
import { benchRepro } from './repro.ts';
import { benchVerdictStore } from './verdict-store.ts';
import {
  benchDevWarm,
  benchDirtyMachines,
  benchFixedCostPerTest,
  benchProjects,
} from './fixed-cost.ts';

await provisionLab(() => {});
const checks: [string, boolean][] = [];

const leak = await benchLeakDetection();
console.log(
  '\nleak detection on the lab, one trace decided two ways: cycles until the verdict (target: leak_small named at cycle 1 and certain after 2, leak_every5 at cycle 5, clean never; the slope needs 5 warm-up cycles and 20 samples)',
);
console.table(leak);
const row = (driver: string) => leak.find((r) => r.driver === driver)!;
checks.push([
  'exact leak verdict: leak_small at cycle 1 within 2 cycles, leak_every5 at 5, clean none',
  row('leak_small').exactLeakAt === 1 &&
    row('leak_small').exactVerdictAfter === 2 &&
    row('leak_every5').exactLeakAt === 5 &&
    row('clean').exactLeakAt === null,
]);
checks.push([
  'slope verdict on leak_small within its cycles, clean never',
  typeof row('leak_small').slopeVerdictAfter === 'number' &&
    row('clean').slopeVerdictAfter === null,
]);

const relay = await benchRelayCost();
console.log(
  "\nWine's relay channel (pool calls only) on vs off: clean driver, two lab machines side by side, alternating blocks",
);
console.table([relay]);
checks.push(['relay cycle cost ≤ 1.10×', (relay.timeRatio as number) <= 1.1]);

const sampling = await benchSampling();
console.log('\nsampling after every unload vs none, same lab machine, alternating blocks');
console.table([sampling]);
checks.push(['sampling overhead ≤ 1.10×', (sampling.ratio as number) <= 1.1]);

// BENCH_LARGE=100000 npm run bench: the long-run figures (memory, report) once, outside CI.
const large = Number(process.env.BENCH_LARGE ?? 20_000);
const memory = await benchRunnerMemory(large);
console.log(
  `\nrunner memory, 1,000 vs ${large} streamed cycles (real agent server, RemoteTarget and Collector; synthetic target)`,
);
console.table([memory]);
checks.push(['runner heap flat within ±10 %', Math.abs((memory.heapRatio as number) - 1) <= 0.1]);

const store = benchVerdictStore(Number(process.env.BENCH_VERDICTS ?? 2000));
console.log(
  '\nverdicts.json kept current at each test end: re-reading only new or changed verdict files vs every file (alternating, same entries)',
);
console.table([store]);
checks.push(['verdict store at 2,000 tests ≤ 0.85× a full re-read', store.ratioAtEnd! <= 0.85]);

const report = await benchReport(large);
console.log(`\nreport generation for a ${large}-cycle run`);
console.table([report]);
checks.push([`report for ${large} cycles < 30 s`, (report.totalSeconds as number) < 30]);

const twoMachines = await benchTwoMachines();
console.log('\ntwo lab machines cycling at once vs one alone (shared host, 2 cores)');
console.table([twoMachines]);
checks.push(['2 machines ≥ 1.5× the throughput of one', twoMachines.throughputRatio >= 1.5]);

const pnp = await benchPnp();
console.log(
  '\nPnP cycle on the lab (pnp_clean: remove the device, stop the service, add it again), side by side',
);
console.table([pnp]);

const io = await benchIo();
console.log(
  '\nI/O between load and unload (io_clean: its 8-operation table, one IOCTL, none), side by side on one lab machine',
);
console.table([io]);

const repro = await benchRepro(3);
console.log(
  '\ntime for drvcycle repro to bring back a 1-in-500 failure (flaky_entry, fresh-start attempts until it fails; median of 3), and its cost per cycle against a plain cycle plan of clean on the same machine',
);
console.table([repro]);
checks.push([
  'repro overhead per cycle ≤ 1.25× a plain cycle plan',
  (repro.overheadRatio as number) <= 1.25,
]);

const comparison = await benchCompare();
console.log(
  `\ndrvcycle compare, 2 × ${comparison.cyclesPerBuild} cycles (clean as both builds, blocks of ${comparison.blockSize}) vs one ${2 * comparison.cyclesPerBuild}-cycle run of the leak spec's path, side by side`,
);
console.table([comparison]);
checks.push(['compare of two equal builds is `same`', !comparison.verdict.includes('regressed')]);

const hostModes = [await benchHostMode('shared'), await benchHostMode('own')];
console.log(
  "\ncycle cost on one lab machine, clean driver, mean per cycle (raw koffi loop: total over cycles, and its median; drvcycle and sc: marginal; sc: the DESIGN's `wine sc` shell loop, scInCmd: sc lines in one cmd.exe, scFlakes: its runs measured again after Wine's sc failed a call), both host modes; ratios: median over rounds of the ratio within each",
);
console.table(hostModes);
const shared = hostModes[0]!;
const own = hostModes[1]!;
console.log(
  `shared-host speed-up of drvcycle's cycle: ${(own.frameworkMs / shared.frameworkMs).toFixed(1)}× (target ≥ 5×); runner peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);
console.log(
  "\nwhere a shared-host cycle goes, raw loop vs drvcycle's batch (no samples): CPU ms per cycle from /proc, median of 3 rounds of 500 (steadier than wall time on a shared machine)",
);
console.table(await benchCpuShares());
checks.push(['lab 5× faster in the shared-host mode', own.frameworkMs / shared.frameworkMs >= 5]);
checks.push(['framework/raw ≤ 1.10 (shared host)', shared.frameworkOverRaw <= 1.1]);
checks.push([
  'sc/framework ≥ 10 (shared host; sc as the DESIGN measured it, a `wine sc` per call)',
  shared.scOverFramework >= 10,
]);

const perTest = await benchFixedCostPerTest();
console.log(
  "\nfixed cost per test on the lab: clean sample, 6 tests of one file on one worker, of 10 and of 60 cycles (fixed = a reused machine's test minus its cycles × the marginal cycle); the first test's start and verdict and the time from the last verdict to the command's end, from the command's start",
);
console.table([perTest]);
checks.push(['fixed cost per test ≤ 1 s', perTest.fixedPerTestS <= 1]);
const dirty = await benchDirtyMachines();
console.log(
  '\nself-check spec (4 of its 5 tests leave the machine dirty), DRVCYCLE_MACHINES_PER_WORKER=1 (revert in place) vs 2 (standby swapped in), alternating',
);
console.table(dirty.rows);
console.log(`tests after the first: ${dirty.speedup}× faster with a standby machine`);
const projects = await benchProjects();
console.log(
  "\nthe dev project's first verdict (the runner has the first test's outcome) and the lab project (what npm run lab runs, without its Allure report), wall time; the time from the last verdict to the command's end",
);
console.table(projects);
const pooled = projects.find((p) => p.machinesPerWorker === '2')!;
const warm = await benchDevWarm();
console.log(
  "\nthe dev project's first verdict on a warm lab: a dev run that keeps its machines warm, then the next dev run of the same project (it takes one), side by side",
);
console.table([warm]);
checks.push(['dev first verdict ≤ 3 s (warm lab)', warm.warmFirstVerdictS <= 3]);
checks.push(['npm run lab ≤ 8 s warm (2 cores)', (pooled.labWallS as number) <= 8]);

console.log('');
for (const [name, ok] of checks) console.log(`${ok ? 'met   ' : 'MISSED'}  ${name}`);
console.log(
  `ratio framework/raw=${shared.frameworkOverRaw} sc/framework=${shared.scOverFramework} (sc lines in one cmd.exe: sc/framework=${shared.scInCmdOverFramework})`,
);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
