/**
 * The lab's rare StartService failure (1359 ERROR_INTERNAL_ERROR): cycles the clean driver on
 * several lab machines at once for a time budget and records every failed cycle with the Wine
 * debug output around it. Prints the failure rate per code.
 *   npx tsx bench/lab-flake.ts [minutes=30] [machines=2]
 */
import { writeFileSync } from 'node:fs';
import { reviveError, ScmError } from '../src/core/errors.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { LabMachine, DEFAULT_WINEDEBUG } from '../src/machines/lab.ts';

const minutes = Number(process.argv[2] ?? 30);
const machines = Number(process.argv[3] ?? 2);
const out = process.env.FLAKE_OUT ?? '/tmp/drvcycle-flake.json';
const deadline = Date.now() + minutes * 60_000;
const failures: Record<string, unknown>[] = [];
let cycles = 0;

async function cycleOn(index: number): Promise<void> {
  const machine = await LabMachine.boot({
    index: 60 + index,
    runId: `flake-${Date.now().toString(36)}`,
    winedebug: `${DEFAULT_WINEDEBUG},+service`,
  });
  try {
    const target = machine.target();
    const driver = await target.install({ file: sampleDriver('clean') }, { name: 'dc_flake' });
    while (Date.now() < deadline) {
      const mark = machine.debugMark();
      for await (const record of target.runCycles(driver, { count: 500 })) {
        cycles++;
        if (record.outcome === 'ok') continue;
        const error = record.error ? reviveError(record.error) : undefined;
        const debug = machine.debugOutput(mark).split('\n');
        failures.push({
          machine: index,
          at: new Date().toISOString(),
          cycle: record.cycle,
          outcome: record.outcome,
          state: record.state,
          code: error instanceof ScmError ? error.win32Code : error?.code,
          message: error?.message,
          zwLoadDriverFailed: debug.some((l) => /ZwLoadDriver failed/.test(l)),
          errLines: debug.filter((l) => /:err:|returning|wine: /.test(l)).slice(-30),
          tail: debug.filter((l) => !/trace:ntoskrnl/.test(l)).slice(-40),
        });
        console.log(`machine ${index}: cycle ${record.cycle} failed: ${error?.message}`);
        if (record.state !== 'STOPPED') await target.uninstall(driver).catch(() => undefined);
      }
      writeFileSync(out, JSON.stringify({ cycles, failures }, null, 2));
    }
  } finally {
    await machine.release();
  }
}

await Promise.all(Array.from({ length: machines }, (_, i) => cycleOn(i)));
writeFileSync(out, JSON.stringify({ cycles, failures }, null, 2));
const byCode = new Map<unknown, number>();
for (const f of failures) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
console.log(
  `${cycles} cycles on ${machines} machines in ${minutes} min; failures: ${[...byCode].map(([c, n]) => `${c}×${n} (1 in ${Math.round(cycles / n)})`).join(', ') || 'none'}`,
);
