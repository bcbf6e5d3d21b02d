/**
 * A machine that is a VM with a clean snapshot: revert = restore the snapshot and wait for the
 * agent inside; recover after a crash or hang = power off first. Hyper-V and libvirt differ only
 * in how those steps are spelled (see hyperv.ts, libvirt.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { runProcess } from '../core/child-process.ts';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { RemoteTarget, type AgentEndpoint } from '../target/remote-target.ts';
import type { MachineEvidence } from '../core/classify.ts';
import { agentAnswers, crashEvidenceFrom, type Machine } from './machine.ts';

export type VmPowerState =
  'running' | 'off' | 'paused' | 'saved' | 'crashed' | 'transitioning' | 'unknown';

/** Runs a hypervisor's command-line tool; a seam so the flows are testable without one. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<{ readonly stdout: string; readonly stderr: string }>;

export const execRunner: CommandRunner = (command, args, timeoutMs) =>
  runProcess(command, args, {
    timeoutMs,
    errorCode: ErrorCodes.VM_COMMAND,
    hint: `Check that ${command} works for this user and that the VM and snapshot names are right.`,
  });

export interface Hypervisor {
  readonly kind: 'hyperv' | 'libvirt';
  state(vm: string): Promise<VmPowerState>;
  revertToSnapshot(vm: string, snapshot: string): Promise<void>;
  start(vm: string): Promise<void>;
  powerOff(vm: string): Promise<void>;
  /** The VM's IPv4 address as the hypervisor sees it (guest tools, DHCP leases), if known. */
  address(vm: string): Promise<string | undefined>;
}

/** An agent URL may name `{ip}`: the VM's address, discovered after every revert. */
export const ADDRESS_PLACEHOLDER = '{ip}';

export interface VmMachineConfig {
  readonly vm: string;
  readonly snapshot: string;
  readonly agent: AgentEndpoint;
  readonly runId: string;
  /** A file the VM's serial console is logged to (kernel debug output), if any. */
  readonly consoleLog?: string | undefined;
  readonly bootTimeoutMs?: number;
}

export class VmMachine implements Machine {
  readonly name: string;
  readonly poolTrace = false;
  private readonly hypervisor: Hypervisor;
  private readonly config: VmMachineConfig;
  private readonly remote: RemoteTarget;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    hypervisor: Hypervisor,
    config: VmMachineConfig,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {
    this.hypervisor = hypervisor;
    this.config = config;
    this.sleep = sleep;
    this.name = `${hypervisor.kind} VM ${config.vm}`;
    this.agentUrl = config.agent.url;
    this.remote = new RemoteTarget({
      endpoint: () => ({ ...config.agent, url: this.agentUrl }),
      runId: config.runId,
    });
  }

  /** Where the agent is now: the configured URL, with `{ip}` replaced after each revert. */
  private agentUrl: string;

  /** A reverted VM may get another address (DHCP): ask the hypervisor until it knows one. */
  private async discoverAddress(): Promise<void> {
    if (!this.config.agent.url.includes(ADDRESS_PLACEHOLDER)) return;
    const bound = this.config.bootTimeoutMs ?? 10 * 60_000;
    for (let waited = 0; waited <= bound; waited += 2_000) {
      const ip = await this.hypervisor.address(this.config.vm).catch(() => undefined);
      if (ip) {
        this.agentUrl = this.config.agent.url.replace(ADDRESS_PLACEHOLDER, ip);
        return;
      }
      await this.sleep(2_000);
    }
    throw new DrvcycleError(
      ErrorCodes.LAB_MACHINE,
      `${this.name} has no IPv4 address the hypervisor knows of after ${bound / 1000} s, so its agent URL ${this.config.agent.url} cannot be completed.`,
      {
        hint: 'Install the guest integration services (Hyper-V) or the QEMU guest agent / use a libvirt network with DHCP leases, or give the agent URL with a fixed address.',
      },
    );
  }

  target(): RemoteTarget {
    return this.remote;
  }

  healthy(): Promise<boolean> {
    return agentAnswers(this.remote);
  }

  async revert(): Promise<void> {
    await this.hypervisor.revertToSnapshot(this.config.vm, this.config.snapshot);
    if ((await this.hypervisor.state(this.config.vm)) !== 'running')
      await this.hypervisor.start(this.config.vm);
    await this.discoverAddress();
    await this.waitForAgent();
  }

  async recover(_reason: string): Promise<void> {
    const state = await this.hypervisor.state(this.config.vm);
    if (state !== 'off') await this.hypervisor.powerOff(this.config.vm);
    await this.revert();
  }

  /**
   * A VM that stopped answering: the hypervisor's view (a crashed guest), then, once a rebooting
   * guest's agent answers again (bounded by the boot time), its crash dumps and bugcheck events.
   * Nothing is reverted here: a revert would erase the dump.
   */
  async postMortem(since: Date, _debugMark: number): Promise<MachineEvidence> {
    if (await this.healthy()) return { lost: false };
    const state = await this.hypervisor.state(this.config.vm).catch(() => 'unknown' as const);
    const evidence = state === 'crashed' ? [`${this.hypervisor.kind}: the guest crashed`] : [];
    const back =
      state !== 'off' && (await this.agentBack(this.config.bootTimeoutMs ?? 10 * 60_000));
    if (back) evidence.push(...(await crashEvidenceFrom(this.remote, since)));
    return {
      lost: true,
      crashEvidence: evidence,
      ...(back ? {} : { agentExit: `did not answer again (VM ${state})` }),
    };
  }

  debugMark(): number {
    if (!this.config.consoleLog) return 0;
    try {
      return statSync(this.config.consoleLog).size;
    } catch {
      return 0;
    }
  }

  debugOutput(mark: number): string {
    if (!this.config.consoleLog) return '';
    try {
      return readFileSync(this.config.consoleLog).subarray(mark).toString('utf8');
    } catch {
      return '';
    }
  }

  async release(): Promise<void> {}

  private async agentBack(boundMs: number): Promise<boolean> {
    for (let waited = 0; waited <= boundMs; waited += 2_000) {
      if (await this.healthy()) return true;
      await this.sleep(2_000);
    }
    return false;
  }

  private async waitForAgent(): Promise<void> {
    const bound = this.config.bootTimeoutMs ?? 10 * 60_000;
    if (await this.agentBack(bound)) return;
    throw new DrvcycleError(
      ErrorCodes.LAB_MACHINE,
      `${this.name} reverted to "${this.config.snapshot}" but its agent at ${this.agentUrl} did not answer within ${bound / 1000} s.`,
      {
        hint: 'The snapshot must be taken with the agent running (or started at boot, e.g. as a scheduled task) and the port reachable from the runner.',
      },
    );
  }
}
