/**
 * Where a lab cycle's time goes, raw loop against drvcycle's batch, in CPU time per cycle read
 * from /proc for every process of the machine (and the agent's threads). On a shared machine wall
 * time drifts by ±10 % between minutes; CPU time hardly does, and a lab cycle is a chain through
 * the wineserver, so a process's extra CPU is extra wall time. Samples are off on both sides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { median } from '../src/core/stats.ts';
import { sampleDriver } from '../src/core/paths.ts';
import { processesOfPrefix, wineImageOf } from '../src/lab/wine-processes.ts';
import { LabMachine } from '../src/machines/lab.ts';
import { rawLoop } from './host-modes.ts';

/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

function cpuMsOf(statFile: string): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0; // the process or thread is gone
  }
}

const processName = (pid: number) =>
  path.win32.basename(path.posix.basename(wineImageOf(pid))) || '?';

/** CPU ms so far of each process of the prefix by name, and of each thread of `threadsOf`. */
function snapshot(prefix: string, threadsOf: number): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const pid of processesOfPrefix(prefix)) {
    const name = processName(pid);
    cpu.set(name, (cpu.get(name) ?? 0) + cpuMsOf(`/proc/${pid}/stat`));
  }
  for (const tid of readdirSync(`/proc/${threadsOf}/task`)) {
    const thread = tid === String(threadsOf) ? 'agent: main thread' : 'agent: other threads';
    cpu.set(thread, (cpu.get(thread) ?? 0) + cpuMsOf(`/proc/${threadsOf}/task/${tid}/stat`));
  }
  return cpu;
}

function perCycle(before: Map<string, number>, after: Map<string, number>, cycles: number) {
  const out = new Map<string, number>();
  for (const [name, ms] of after) out.set(name, (ms - (before.get(name) ?? 0)) / cycles);
  return out;
}

export interface CpuShareRow {
  readonly perCycle: string;
  readonly rawMs: number;
  readonly drvcycleMs: number;
}

export async function benchCpuShares(cycles = 500, rounds = 3): Promise<CpuShareRow[]> {
  const machine = await LabMachine.boot({
    index: 94,
    runId: `bench-cpu-${Date.now().toString(36)}`,
    hostMode: 'shared',
  });
  try {
    const group = await machine.driverHost(undefined);
    const target = machine.target();
    const driver = await target.install(
      { file: sampleDriver('clean') },
      { name: 'dc_bench_cpu', group },
    );
    const linuxAgent = machine.agentPid;
    if (linuxAgent === undefined) throw new Error(`the agent of ${machine.prefix} is not running`);
    await rawLoop(machine, driver.name, 20); // warm-up
    const raw: Map<string, number>[] = [];
    const framework: Map<string, number>[] = [];
    for (let round = 0; round < rounds; round++) {
      let before = snapshot(machine.prefix, linuxAgent);
      const loop = await rawLoop(machine, driver.name, cycles);
      const rawRound = perCycle(before, snapshot(machine.prefix, linuxAgent), cycles);
      rawRound.set('wall', loop.mean);
      rawRound.set('raw loop process', loop.cpuMs / cycles);
      raw.push(rawRound);

      before = snapshot(machine.prefix, linuxAgent);
      const started = performance.now();
      for await (const record of target.runCycles(driver, { count: cycles, sampleEvery: 0 }))
        if (record.outcome !== 'ok') throw new Error(`cycle ${record.cycle} failed`);
      const wall = (performance.now() - started) / cycles;
      const frameworkRound = perCycle(before, snapshot(machine.prefix, linuxAgent), cycles);
      frameworkRound.set('wall', wall);
      framework.push(frameworkRound);
    }
    const of = (rows: Map<string, number>[], name: string) =>
      +median(rows.map((r) => r.get(name) ?? 0)).toFixed(2);
    const names = [
      'wall',
      'raw loop process',
      'node.exe',
      'agent: main thread',
      'agent: other threads',
      'wineserver64',
      'wineserver',
      'winedevice.exe',
      'services.exe',
    ];
    return names
      .map((name) => ({
        perCycle: name === 'node.exe' ? 'node.exe (the agent, idle in the raw loop)' : name,
        rawMs: of(raw, name),
        drvcycleMs: of(framework, name),
      }))
      .filter((row) => row.rawMs > 0 || row.drvcycleMs > 0);
  } finally {
    await machine.release();
  }
}
