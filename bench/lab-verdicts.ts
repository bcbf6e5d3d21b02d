/**
 * False verdicts at scale, through drvcycle's own cycle runner (batches, attribution, lab-flake
 * re-runs): clean-driver cycle runs must all be `pass`, leak_small leak runs all `leak`, on
 * several lab machines at once, until a cycle budget is spent. Prints the verdict counts and the
 * lab flakes seen.
 *   npx tsx bench/lab-verdicts.ts [cycles=20000] [machines=2]
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Collector } from '../src/collector/collector.ts';
import { DEFAULT_BYTE_THRESHOLDS } from '../src/core/leak-decision.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { LabMachine } from '../src/machines/lab.ts';
import { runCyclePlan } from '../src/families/cycle-plan.ts';

const budget = Number(process.argv[2] ?? 20_000);
const machines = Number(process.argv[3] ?? 2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-verdicts-'));
let spent = 0;
const verdicts: {
  driver: string;
  kind: string;
  cycles: number;
  flakes: number;
  summary: string;
}[] = [];

async function runOn(index: number): Promise<void> {
  const machine = await LabMachine.boot({
    index: 50 + index,
    runId: `verdicts-${Date.now().toString(36)}`,
  });
  const target = machine.target();
  try {
    for (let round = 0; spent < budget; round++) {
      const leak = round % 4 === 3;
      const sample = leak ? 'leak_small' : 'clean';
      const count = leak ? 300 : 1000;
      spent += count;
      const install = () =>
        target.install({ file: sampleDriver(sample) }, { name: `dc_${sample}` });
      let driver = await install();
      const collector = new Collector(path.join(dir, `m${index}-r${round}.ndjson`));
      const verdict = await runCyclePlan(
        {
          target,
          machine,
          driver,
          collector,
          sampleRequest: {},
          reinstall: async () => (driver = await install()),
        },
        {
          family: leak ? 'leaks' : 'cycles',
          count,
          startTimeoutMs: 30_000,
          stopTimeoutMs: 30_000,
          sampleEvery: 0,
          ...(leak ? { leak: { thresholds: DEFAULT_BYTE_THRESHOLDS, poolTags: [] } } : {}),
        },
      );
      collector.close();
      const flakes = Number(verdict.evidence.labFlakes ?? 0);
      verdicts.push({
        driver: sample,
        kind: verdict.kind,
        cycles: collector.cycles,
        flakes,
        summary: verdict.summary,
      });
      console.log(`machine ${index} round ${round}: ${sample} ${verdict.summary.slice(0, 160)}`);
      await target.uninstall(driver).catch(() => undefined);
      // A machine a leak run filled with 300 leaked allocations is replaced, as the fixtures do.
      if (leak || verdict.kind !== 'pass') await machine.recover('next round');
    }
  } finally {
    await machine.release();
  }
}

await Promise.all(Array.from({ length: machines }, (_, i) => runOn(i)));
const wrong = verdicts.filter((v) => v.kind !== (v.driver === 'leak_small' ? 'leak' : 'pass'));
const cycles = verdicts.reduce((n, v) => n + v.cycles, 0);
const flakes = verdicts.reduce((n, v) => n + v.flakes, 0);
console.log(
  JSON.stringify(
    {
      cycles,
      runs: verdicts.length,
      cleanRuns: verdicts.filter((v) => v.driver === 'clean').length,
      leakRuns: verdicts.filter((v) => v.driver === 'leak_small').length,
      labFlakes: flakes,
      wrongVerdicts: wrong.map((v) => `${v.driver}: ${v.summary}`),
    },
    null,
    2,
  ),
);
