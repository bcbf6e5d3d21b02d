/**
 * Picks the machine provider (DRVCYCLE_MACHINE): `lab` (a Wine prefix per worker), `existing`
 * (agents you run), `hyperv` or `libvirt` (VMs reverted to a snapshot). One machine per worker.
 */
import { ConfigError } from '../core/errors.ts';
import { LabMachine } from './lab.ts';
import { ExistingMachine, existingConfigFromEnv } from './existing.ts';
import { HyperV } from './hyperv.ts';
import { VmMachine, type Hypervisor } from './hypervisor.ts';
import { Libvirt } from './libvirt.ts';
import type { Machine } from './machine.ts';

export const PROVIDERS = ['lab', 'existing', 'hyperv', 'libvirt'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export function providerFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderName {
  const kind = env.DRVCYCLE_MACHINE ?? 'lab';
  if (!(PROVIDERS as readonly string[]).includes(kind)) {
    throw new ConfigError(
      `Unknown DRVCYCLE_MACHINE "${kind}".`,
      `Use one of: ${PROVIDERS.join(', ')}.`,
    );
  }
  return kind as ProviderName;
}

export interface VmProviderConfig {
  readonly vms: string[];
  readonly snapshot: string;
  readonly consoleLog: string | undefined;
}

export function vmConfigFromEnv(env: NodeJS.ProcessEnv): VmProviderConfig {
  const vms = (env.DRVCYCLE_VMS ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (vms.length === 0)
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${env.DRVCYCLE_MACHINE} needs DRVCYCLE_VMS.`,
      "Set DRVCYCLE_VMS to the VM (domain) names, one per worker, and DRVCYCLE_AGENTS to their agents' URLs in the same order.",
    );
  if (!env.DRVCYCLE_SNAPSHOT)
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${env.DRVCYCLE_MACHINE} needs DRVCYCLE_SNAPSHOT.`,
      'Name the clean checkpoint/snapshot, taken with the agent running.',
    );
  return { vms, snapshot: env.DRVCYCLE_SNAPSHOT, consoleLog: env.DRVCYCLE_CONSOLE_LOG };
}

export async function acquireMachine(
  index: number,
  runId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Machine> {
  const provider = providerFromEnv(env);
  if (provider === 'lab') return LabMachine.boot({ index, runId });
  const agents = existingConfigFromEnv(env);
  if (provider === 'existing') {
    const machine = new ExistingMachine(agents, index, runId);
    if (!(await machine.healthy()))
      throw new ConfigError(
        `The agent at ${machine.name} does not answer its health check.`,
        'Start it on the Windows machine (npx drvcycle agent …) and check the URL, the port and the token.',
      );
    return machine;
  }
  const vm = vmConfigFromEnv(env);
  if (vm.vms.length !== agents.urls.length)
    throw new ConfigError(
      `DRVCYCLE_VMS has ${vm.vms.length} names but DRVCYCLE_AGENTS ${agents.urls.length} URLs.`,
      'Give one agent URL per VM, in the same order.',
    );
  const slot = index % vm.vms.length;
  const hypervisor: Hypervisor =
    provider === 'hyperv'
      ? new HyperV({ shell: env.DRVCYCLE_POWERSHELL ?? 'powershell.exe' })
      : new Libvirt({ uri: env.DRVCYCLE_LIBVIRT_URI });
  const name = vm.vms[slot]!;
  const machine = new VmMachine(hypervisor, {
    vm: name,
    snapshot: vm.snapshot,
    agent: { url: agents.urls[slot]!, token: agents.token },
    runId,
    consoleLog: vm.consoleLog?.replaceAll('{vm}', name),
  });
  await machine.revert();
  return machine;
}
