/**
 * The I/O table's cost: cycles of io_clean with its table (8 operations: IOCTLs, a read, a write)
 * and with one IOCTL, against bare cycles of the same driver on the same lab machine, blocks
 * alternated, per-cycle means; ratios are the median over rounds of the ratio within each round.
 */
import { readIoTable } from '../src/config/io-settings.ts';
import { sampleDriver, sampleIoTable } from '../src/core/paths.ts';
import { withOperations, type IoTable } from '../src/core/io-table.ts';
import { LabMachine } from '../src/machines/lab.ts';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchIo(cycles = 40, rounds = 3): Promise<Record<string, number | string>> {
  const machine = await LabMachine.boot({
    index: 97,
    runId: `bench-io-${Date.now().toString(36)}`,
  });
  try {
    const group = await machine.driverHost(undefined);
    const target = machine.target();
    const driver = await target.install(
      { file: sampleDriver('io_clean') },
      { name: 'dc_bench_io', ...(group ? { group } : {}) },
    );
    const table = readIoTable(sampleIoTable('io_clean'), 'io_clean.json');
    const one = withOperations(table, ['get']);
    const perCycle = async (io: IoTable | undefined) => {
      const started = performance.now();
      for await (const record of target.runCycles(driver, { count: cycles, ...(io ? { io } : {}) }))
        if (record.outcome !== 'ok') throw new Error(`cycle ${record.cycle}: ${record.outcome}`);
      return (performance.now() - started) / cycles;
    };
    await perCycle(table); // warm-up: the device's first calls
    const bare: number[] = [];
    const oneIoctl: number[] = [];
    const full: number[] = [];
    for (let round = 0; round < rounds; round++) {
      bare.push(await perCycle(undefined));
      oneIoctl.push(await perCycle(one));
      full.push(await perCycle(table));
    }
    await target.uninstall(driver);
    const ratios = (series: number[]) => median(series.map((ms, i) => ms / bare[i]!));
    return {
      host: group ? `shared (${group})` : 'own',
      cyclesPerBlock: cycles,
      bareMsPerCycle: +median(bare).toFixed(1),
      oneIoctlMsPerCycle: +median(oneIoctl).toFixed(1),
      tableMsPerCycle: +median(full).toFixed(1),
      oneIoctlOverBare: +ratios(oneIoctl).toFixed(2),
      tableOverBare: +ratios(full).toFixed(2),
      msPerCall: +((median(full) - median(bare)) / table.operations.length).toFixed(2),
    };
  } finally {
    await machine.release();
  }
}

// `node --import tsx bench/io.ts`: this bench alone.
if (import.meta.url === `file://${process.argv[1]}`) console.table([await benchIo()]);
