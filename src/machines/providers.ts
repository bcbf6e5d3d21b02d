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
// The settings' shapes are src/config's: reading settings loads no provider.
import type { MachineSettings } from '../config/machine-settings.ts';

export async function acquireMachine(
  settings: MachineSettings,
  index: number,
  runId: string,
): Promise<Machine> {
  if (settings.provider === 'lab')
    return LabMachine.boot({
      index,
      runId,
      ...(settings.hostMode ? { hostMode: settings.hostMode } : {}),
    });
  const slots = settings.provider === 'existing' ? settings.agents.urls : settings.vms;
  // One worker per machine (checked for the run in global set-up; a config without it lands here).
  if (index >= slots.length)
    throw new ConfigError(
      `Worker ${index} has no machine of its own: ${settings.provider === 'existing' ? 'DRVCYCLE_AGENTS' : 'DRVCYCLE_VMS'} lists ${slots.length}, and two workers on one machine cycle, stop and remove each other's driver service.`,
      `Run with --workers=${slots.length}, or give one machine per worker.`,
    );
  if (settings.provider === 'existing') {
    const machine = new ExistingMachine(settings.agents, index, runId);
    if (!(await machine.healthy()))
      throw new DrvcycleError(
        ErrorCodes.LAB_MACHINE,
        `The agent at ${machine.name} does not answer its health check.`,
        {
          hint: 'Start it on the Windows machine (npx drvcycle agent …) and check the URL, the port and the token.',
        },
      );
    return machine;
  }
  const slot = index % settings.vms.length;
  const hypervisor: Hypervisor =
    settings.provider === 'hyperv'
      ? new HyperV({ shell: settings.powershell })
      : new Libvirt({ uri: settings.libvirtUri });
  const name = settings.vms[slot]!;
  const machine = new VmMachine(hypervisor, {
    vm: name,
    snapshot: settings.snapshot,
    agent: {
      url: settings.agents.urls[slot]!,
      token: settings.agents.token,
      ...(settings.agents.fingerprint ? { fingerprint: settings.agents.fingerprint } : {}),
    },
    runId,
    consoleLog: settings.consoleLog?.replaceAll('{vm}', name),
  });
  await machine.revert();
  return machine;
}
