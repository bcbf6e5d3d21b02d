/** Hyper-V through PowerShell (Get-VM, Restore-VMCheckpoint, Start-VM, Stop-VM). */

import {
  execRunner,
  type CommandRunner,
  type Hypervisor,
  type VmPowerState,
} from './hypervisor.ts';

/** A PowerShell single-quoted literal: the only escape is a doubled quote. */
export function psQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export const hypervCommands = {
  state: (vm: string) =>
    `Get-VM -Name ${psQuote(vm)} | Select-Object Name,@{n='State';e={$_.State.ToString()}} | ConvertTo-Json -Compress`,
  restore: (vm: string, checkpoint: string) =>
    `Restore-VMCheckpoint -VMName ${psQuote(vm)} -Name ${psQuote(checkpoint)} -Confirm:$false`,
  start: (vm: string) => `Start-VM -Name ${psQuote(vm)}`,
  turnOff: (vm: string) => `Stop-VM -Name ${psQuote(vm)} -TurnOff -Force`,
  checkpoint: (vm: string, name: string) =>
    `Checkpoint-VM -Name ${psQuote(vm)} -SnapshotName ${psQuote(name)}`,
};

export function powershellArgs(script: string): string[] {
  return [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-Command',
    `$ErrorActionPreference='Stop'; ${script}`,
  ];
}

/** Hyper-V's VMState enum, by name or by number (ConvertTo-Json of the raw enum gives numbers). */
const HYPERV_STATES: Record<string, VmPowerState> = {
  running: 'running',
  off: 'off',
  paused: 'paused',
  saved: 'saved',
  starting: 'transitioning',
  stopping: 'transitioning',
  saving: 'transitioning',
  pausing: 'transitioning',
  resuming: 'transitioning',
  reset: 'transitioning',
  '2': 'running',
  '3': 'off',
  '6': 'saved',
  '9': 'paused',
  '10': 'transitioning',
  '4': 'transitioning',
  '11': 'transitioning',
};

export function parseHyperVState(json: string): VmPowerState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.trim());
  } catch {
    return 'unknown';
  }
  const vm = (Array.isArray(parsed) ? parsed[0] : parsed) as
    { State?: string | number } | undefined;
  if (vm?.State === undefined) return 'unknown';
  return HYPERV_STATES[String(vm.State).toLowerCase()] ?? 'unknown';
}

export class HyperV implements Hypervisor {
  readonly kind = 'hyperv';
  private readonly run: CommandRunner;
  private readonly shell: string;

  constructor(options: { shell?: string; run?: CommandRunner } = {}) {
    this.shell = options.shell ?? 'powershell.exe';
    this.run = options.run ?? execRunner;
  }

  async state(vm: string): Promise<VmPowerState> {
    return parseHyperVState((await this.ps(hypervCommands.state(vm), 60_000)).stdout);
  }

  async revertToSnapshot(vm: string, checkpoint: string): Promise<void> {
    await this.ps(hypervCommands.restore(vm, checkpoint), 300_000);
  }

  async start(vm: string): Promise<void> {
    await this.ps(hypervCommands.start(vm), 300_000);
  }

  async powerOff(vm: string): Promise<void> {
    await this.ps(hypervCommands.turnOff(vm), 120_000);
  }

  private ps(script: string, timeoutMs: number) {
    return this.run(this.shell, powershellArgs(script), timeoutMs);
  }
}
