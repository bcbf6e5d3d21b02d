/**
 * Picks the machine for a worker from the run's machine settings: `lab` (a Wine prefix per
 * worker), `existing` (agents you run), `hyperv` or `libvirt` (VMs reverted to a snapshot).
 */
import { ConfigError, DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { ExistingMachine } from './existing.ts';
import { HyperV } from './hyperv.ts';
import { VmMachine, type Hypervisor } from './hypervisor.ts';
import { LabMachine } from './lab.ts';
import { Libvirt } from './libvirt.ts';
import type { Machine } from './machine.ts';
import { MachinePool } from './machine-pool.ts';
import type { WarmSettings } from './warm-lab.ts';
// The settings' shapes are src/config's: reading settings loads no provider.
import type { MachineSettings } from '../config/machine-settings.ts';

/**
 * The worker's machines: a pool of `machinesPerWorker` (worker i takes slots i×k … i×k+k−1 of the
 * VMs or agents listed), the first ready before the worker's first test, the others coming up in
 * the background.
 */
export async function acquireMachine(
  settings: MachineSettings,
  index: number,
  runId: string,
  log: (line: string) => void = () => {},
  options: {
    standbyLater?: boolean;
    /** The lab: a clean machine stays booted after the run for the next (warm-lab.ts). */
    warm?: WarmSettings;
  } = {},
): Promise<MachinePool> {
  // Resolved with its provider's default when read from the environment; one when not given.
  const size = settings.machinesPerWorker ?? 1;
  if (settings.provider !== 'lab') {
    const slots = settings.provider === 'existing' ? settings.agents.urls : settings.vms;
    // One worker per machine (checked for the run in global set-up; a config without it lands here).
    if ((index + 1) * size > slots.length)
      throw new ConfigError(
        `Worker ${index} has no machine of its own: ${settings.provider === 'existing' ? 'DRVCYCLE_AGENTS' : 'DRVCYCLE_VMS'} lists ${slots.length}${size > 1 ? ` for ${size} machines per worker (DRVCYCLE_MACHINES_PER_WORKER)` : ''}, and two workers on one machine cycle, stop and remove each other's driver service.`,
        `Run with --workers=${Math.max(1, Math.floor(slots.length / size))}, or give ${size === 1 ? 'one machine' : `${size} machines`} per worker.`,
      );
  }
  const { warm, ...poolOptions } = options;
  return MachinePool.open({
    size,
    create: (slot, signal) => createMachine(settings, index, slot, size, runId, signal, warm, log),
    log,
    ...poolOptions,
  });
}

/** Slot `slot` of worker `index`'s pool, clean and answering. */
async function createMachine(
  settings: MachineSettings,
  index: number,
  slot: number,
  size: number,
  runId: string,
  signal?: AbortSignal,
  warm: WarmSettings | undefined = undefined,
  log: (line: string) => void = () => {},
): Promise<Machine> {
  if (settings.provider === 'lab') {
    const options = {
      index,
      slot,
      runId,
      hostReady: true,
      ...(warm && warm.seconds > 0 ? { warm } : {}),
      ...(settings.hostMode ? { hostMode: settings.hostMode } : {}),
    };
    // A run that keeps its machines warm takes one an earlier run kept, if one matches.
    const taken = options.warm ? await LabMachine.adoptWarm(options, log) : undefined;
    return taken ?? LabMachine.boot(options, signal);
  }
  const at = index * size + slot;
  if (settings.provider === 'existing') {
    const machine = new ExistingMachine(settings.agents, at, runId);
    if (!(await machine.healthy()))
      throw new DrvcycleError(
        ErrorCodes.LAB_MACHINE,
        `The agent at ${machine.name} does not answer its health check.`,
        {
          hint: 'Start it on the Windows machine (npx drvcycle agent …) and check the URL, the port and the token.',
        },
      );
    // The worker's first machine is swept by the worker fixture, which says what it removed; a
    // standby one is swept here, and one that cannot be swept is not taken.
    if (slot > 0) {
      const swept = await machine.target().cleanupStale();
      if (swept.failed.length > 0)
        throw new DrvcycleError(
          ErrorCodes.LAB_MACHINE,
          `The agent at ${machine.name} keeps services of earlier runs it cannot remove: ${swept.failed.map((f) => f.name).join(', ')}.`,
          { hint: 'Remove them on that machine (or reboot it), then run again.' },
        );
    }
    return machine;
  }
  const hypervisor: Hypervisor =
    settings.provider === 'hyperv'
      ? new HyperV({ shell: settings.powershell })
      : new Libvirt({ uri: settings.libvirtUri });
  const name = settings.vms[at]!;
  const machine = new VmMachine(hypervisor, {
    vm: name,
    snapshot: settings.snapshot,
    agent: {
      url: settings.agents.urls[at]!,
      token: settings.agents.token,
      ...(settings.agents.fingerprint ? { fingerprint: settings.agents.fingerprint } : {}),
    },
    runId,
    consoleLog: settings.consoleLog?.replaceAll('{vm}', name),
  });
  await machine.revert();
  return machine;
}
