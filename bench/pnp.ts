/**
 * PnP cycle cost on the lab, side by side on one machine and one sample (pnp_clean): the raw
 * loop (tests/e2e/pnp/pnp-cycles.ts: SetupAPI and the SCM over koffi inside the prefix, nothing
 * else) against drvcycle's batch (the agent, records, the runner). Both remove the device, stop
 * the service and add the device again (remove/re-add: the lab's strategy; disable/enable
 * cannot run on Wine, where the Configuration Manager's calls are stubs).
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../src/core/paths.ts';
import { labPaths, toWinePath } from '../src/lab/lab-paths.ts';
import { wineEnv } from '../src/lab/wine-env.ts';
import { LabMachine } from '../src/machines/lab.ts';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export async function benchPnp(cycles = 30): Promise<Record<string, number | string>> {
  const machine = await LabMachine.boot({
    index: 98,
    runId: `bench-pnp-${Date.now().toString(36)}`,
  });
  try {
    // The lab's default for both: the driver loads into the host its keeper holds open.
    const group = await machine.driverHost(undefined);
    const log = path.join(machine.dir, 'raw-pnp.log');
    rmSync(log, { force: true });
    await runProcess(
      'wine',
      [
        labPaths.windowsNode(),
        toWinePath(path.join(PACKAGE_ROOT, 'tests/e2e/pnp/pnp-cycles.ts')),
        'C:\\drvcycle\\pnp-raw',
        'pnp_clean',
        String(cycles),
        'bench',
        toWinePath(sampleDriver('pnp_clean')),
        ...(group ? [group] : []),
      ],
      { env: wineEnv(machine.prefix, 'fixme-all'), timeoutMs: 600_000, output: { logFile: log } },
    );
    const raw = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{"step":"up"'))
      .map((line) => (JSON.parse(line) as { ms: number }).ms);
    const target = machine.target();
    const driver = await target.install(
      { file: sampleDriver('pnp_clean') },
      { name: 'dc_bench_pnp', pnp: true, ...(group ? { group } : {}) },
    );
    const batch = async (count: number) => {
      const started = performance.now();
      for await (const record of target.runCycles(driver, { count, pnp: true }))
        if (record.outcome !== 'ok') throw new Error(`PnP cycle ${record.cycle} failed`);
      return performance.now() - started;
    };
    await batch(3); // warm-up
    const short = await batch(10);
    const long = await batch(10 + cycles);
    const framework = (long - short) / cycles;
    await target.uninstall(driver);
    return {
      strategy: 'remove-readd',
      host: group ? `shared (${group})` : 'own',
      rawMsPerCycle: +mean(raw.slice(1)).toFixed(1),
      frameworkMsPerCycle: +framework.toFixed(1),
      frameworkOverRaw: +(framework / mean(raw.slice(1))).toFixed(2),
      'disable-enable': 'Windows only (Wine stubs the Configuration Manager)',
    };
  } finally {
    await machine.release();
  }
}
