/** Hyper-V through PowerShell (Get-VM, Restore-VMCheckpoint, Start-VM, Stop-VM). */

import {
  execRunner,
  type CommandRunner,
  type Hypervisor,
  type VmPowerState,
} from './hypervisor.ts';

/**
 * A PowerShell single-quoted literal. PowerShell takes U+2018–U+201B for single quotes too, and
 * any of them is escaped by doubling it.
 */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, '$&$&')}'`;
}

/**
 * The one VM of exactly that name: -Name takes wildcards (`web*`, `[ab]`), so drvcycle selects by
 * equality, and fails when there is none.
 */
function exactVm(vm: string): string {
  const name = psQuote(vm);
  return `$vm = @(Get-VM | Where-Object { $_.Name -eq ${name} }); if ($vm.Count -ne 1) { throw ('No single Hyper-V VM named ' + ${name} + ': found ' + $vm.Count) }`;
}

export const hypervCommands = {
  state: (vm: string) =>
    `${exactVm(vm)}; $vm | Select-Object Name,@{n='State';e={$_.State.ToString()}} | ConvertTo-Json -Compress`,
  restore: (vm: string, checkpoint: string) =>
    `${exactVm(vm)}; $cp = @(Get-VMCheckpoint -VM $vm[0] | Where-Object { $_.Name -eq ${psQuote(checkpoint)} }); if ($cp.Count -ne 1) { throw 'No single checkpoint of that name.' }; Restore-VMCheckpoint -VMSnapshot $cp[0] -Confirm:$false`,
  start: (vm: string) => `${exactVm(vm)}; Start-VM -VM $vm[0]`,
  turnOff: (vm: string) => `${exactVm(vm)}; Stop-VM -VM $vm[0] -TurnOff -Force`,
  address: (vm: string) =>
    `${exactVm(vm)}; @(Get-VMNetworkAdapter -VM $vm[0]).IPAddresses | Where-Object { $_ -match '^\\d+\\.\\d+\\.\\d+\\.\\d+$' } | Select-Object -First 1`,
  checkpoint: (vm: string, name: string) =>
    `${exactVm(vm)}; Checkpoint-VM -VM $vm[0] -SnapshotName ${psQuote(name)}`,
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

/**
 * Every value of Hyper-V's VMState enum (Microsoft.HyperV.PowerShell.VMState), by name and by
 * number (ConvertTo-Json of the raw enum gives numbers). The *Critical states are the same states
 * with the VM's storage in trouble.
 */
const VM_STATES: [number, string, VmPowerState][] = [
  [1, 'Other', 'unknown'],
  [2, 'Running', 'running'],
  [3, 'Off', 'off'],
  [4, 'Stopping', 'transitioning'],
  [6, 'Saved', 'saved'],
  [9, 'Paused', 'paused'],
  [10, 'Starting', 'transitioning'],
  [11, 'Reset', 'transitioning'],
  [32773, 'Saving', 'transitioning'],
  [32776, 'Pausing', 'transitioning'],
  [32777, 'Resuming', 'transitioning'],
  [32779, 'FastSaved', 'saved'],
  [32780, 'FastSaving', 'transitioning'],
  [32781, 'ForceShutdown', 'transitioning'],
  [32782, 'ForceReboot', 'transitioning'],
  [32783, 'Hibernated', 'saved'],
  [32784, 'ComponentServicing', 'transitioning'],
  [32785, 'RunningCritical', 'running'],
  [32786, 'OffCritical', 'off'],
  [32787, 'StoppingCritical', 'transitioning'],
  [32788, 'SavedCritical', 'saved'],
  [32789, 'PausedCritical', 'paused'],
  [32790, 'StartingCritical', 'transitioning'],
  [32791, 'ResetCritical', 'transitioning'],
  [32792, 'SavingCritical', 'transitioning'],
  [32793, 'PausingCritical', 'transitioning'],
  [32794, 'ResumingCritical', 'transitioning'],
  [32795, 'FastSavedCritical', 'saved'],
  [32796, 'FastSavingCritical', 'transitioning'],
];
const HYPERV_STATES: Record<string, VmPowerState> = Object.fromEntries(
  VM_STATES.flatMap(([code, name, state]) => [
    [String(code), state],
    [name.toLowerCase(), state],
  ]),
);

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

  async address(vm: string): Promise<string | undefined> {
    const ip = (await this.ps(hypervCommands.address(vm), 60_000)).stdout.trim();
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip : undefined;
  }

  private ps(script: string, timeoutMs: number) {
    return this.run(this.shell, powershellArgs(script), timeoutMs);
  }
}
