/**
 * The fixed-cost benches alone (bench/fixed-cost.ts), a part at a time:
 *   npx tsx bench/fixed-cost-run.ts [per-test|dirty|projects|warm]   (default: all four)
 */
import { provisionLab } from '../src/lab/provision.ts';
import {
  benchDevWarm,
  benchDirtyMachines,
  benchFixedCostPerTest,
  benchProjects,
} from './fixed-cost.ts';

const part = process.argv[2] ?? 'all';
await provisionLab(() => {});
if (part === 'per-test' || part === 'all') {
  console.log(
    '\nfixed cost per test: clean sample, 6 tests of one file on one worker, of 10 and of 60 cycles',
  );
  console.table([await benchFixedCostPerTest()]);
}
if (part === 'dirty' || part === 'all') {
  const dirty = await benchDirtyMachines();
  console.log(
    '\nself-check spec (4 of 5 tests leave the machine dirty), 1 vs 2 machines per worker',
  );
  console.table(dirty.rows);
  console.log(
    `tests after the first: ${dirty.speedup}× faster with a standby machine (median of rounds)`,
  );
}
if (part === 'projects' || part === 'all') {
  console.log('\ndev first verdict and the lab project (npm run lab), 1 vs 2 machines per worker');
  console.table(await benchProjects());
}
if (part === 'warm' || part === 'all') {
  console.log(
    '\ndev first verdict, cold then warm (the next run of the project takes a kept machine)',
  );
  console.table([await benchDevWarm()]);
}
