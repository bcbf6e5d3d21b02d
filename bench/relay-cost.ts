/**
 * What Wine's relay channel (narrowed to the pool calls by RelayInclude) costs the lab: the same
 * clean driver cycled on two lab machines side by side, one with the lab's WINEDEBUG (relay and
 * loaddll on) and one without them, in alternating blocks; per cycle, wall time and debug output
 * bytes. The ratio is the median over rounds of the ratio within each.
 */
import { LabMachine, DEFAULT_WINEDEBUG } from '../src/machines/lab.ts';
import { sampleDriver } from '../src/core/paths.ts';
import type { InstalledDriver } from '../src/target/types.ts';

const BLOCK = Number(process.env.BENCH_RELAY_BLOCK ?? 100);
const ROUNDS = 3;
const WITHOUT_RELAY = DEFAULT_WINEDEBUG.replace(',+relay', '').replace(',+loaddll', '');

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function block(
  machine: LabMachine,
  driver: InstalledDriver,
): Promise<{ ms: number; bytes: number }> {
  const mark = machine.debugMark();
  const started = performance.now();
  for await (const record of machine.target().runCycles(driver, { count: BLOCK }))
    if (record.outcome !== 'ok') throw new Error(`relay bench: cycle ${record.cycle} failed`);
  return {
    ms: (performance.now() - started) / BLOCK,
    bytes: (machine.debugMark() - mark) / BLOCK,
  };
}

export async function benchRelayCost(): Promise<Record<string, number | string>> {
  const runId = `bench-relay-${Date.now().toString(36)}`;
  const relay = await LabMachine.boot({ index: 91, runId });
  const plain = await LabMachine.boot({ index: 92, runId, winedebug: WITHOUT_RELAY });
  try {
    const install = async (machine: LabMachine) =>
      machine
        .target()
        .install(
          { file: sampleDriver('clean') },
          { name: 'dc_bench_relay', group: await machine.driverHost(undefined) },
        );
    const withRelay = await install(relay);
    const without = await install(plain);
    await block(relay, withRelay); // warm-up
    await block(plain, without);
    const rounds: { relay: { ms: number; bytes: number }; plain: { ms: number; bytes: number } }[] =
      [];
    for (let round = 0; round < ROUNDS; round++)
      rounds.push({ relay: await block(relay, withRelay), plain: await block(plain, without) });
    return {
      cyclesPerBlock: BLOCK,
      relayMsPerCycle: +median(rounds.map((r) => r.relay.ms)).toFixed(1),
      plainMsPerCycle: +median(rounds.map((r) => r.plain.ms)).toFixed(1),
      timeRatio: +median(rounds.map((r) => r.relay.ms / r.plain.ms)).toFixed(2),
      relayBytesPerCycle: Math.round(median(rounds.map((r) => r.relay.bytes))),
      plainBytesPerCycle: Math.round(median(rounds.map((r) => r.plain.bytes))),
      bytesRatio: +median(rounds.map((r) => r.relay.bytes / r.plain.bytes)).toFixed(2),
    };
  } finally {
    await relay.release();
    await plain.release();
  }
}
