/** libvirt through virsh (domstate, snapshot-revert, start, destroy). */

import {
  execRunner,
  type CommandRunner,
  type Hypervisor,
  type VmPowerState,
} from './hypervisor.ts';

export function virshArgs(uri: string | undefined, ...args: string[]): string[] {
  return [...(uri ? ['-c', uri] : []), ...args];
}

/** Names are given as `--domain=NAME`: a name starting with "-" never reads as an option. */
export const virshCommands = {
  state: (uri: string | undefined, dom: string) =>
    virshArgs(uri, 'domstate', `--domain=${dom}`, '--reason'),
  revert: (uri: string | undefined, dom: string, snapshot: string) =>
    virshArgs(
      uri,
      'snapshot-revert',
      `--domain=${dom}`,
      `--snapshotname=${snapshot}`,
      '--running',
      '--force',
    ),
  start: (uri: string | undefined, dom: string) => virshArgs(uri, 'start', `--domain=${dom}`),
  destroy: (uri: string | undefined, dom: string) => virshArgs(uri, 'destroy', `--domain=${dom}`),
  address: (uri: string | undefined, dom: string) =>
    virshArgs(uri, 'domifaddr', `--domain=${dom}`, '--source=lease'),
};

/** The first IPv4 address of `virsh domifaddr`: " vnet0  52:54:00:…  ipv4  192.168.122.45/24". */
export function parseDomIfAddr(output: string): string | undefined {
  return /\bipv4\s+(\d+\.\d+\.\d+\.\d+)\//.exec(output)?.[1];
}

/** `virsh domstate --reason` prints e.g. "running (booted)", "shut off (destroyed)", "crashed (panicked)". */
export function parseDomState(output: string): VmPowerState {
  const state = output
    .trim()
    .split('\n')[0]!
    .replace(/\s*\(.*\)\s*$/, '')
    .trim()
    .toLowerCase();
  switch (state) {
    case 'running':
    case 'idle':
    case 'blocked':
      return 'running';
    case 'shut off':
      return 'off';
    case 'paused':
    case 'pmsuspended':
      return 'paused';
    case 'crashed':
      return 'crashed';
    case 'in shutdown':
      return 'transitioning';
    default:
      return 'unknown';
  }
}

export class Libvirt implements Hypervisor {
  readonly kind = 'libvirt';
  private readonly run: CommandRunner;
  private readonly uri: string | undefined;

  constructor(options: { uri?: string; run?: CommandRunner } = {}) {
    this.uri = options.uri;
    this.run = options.run ?? execRunner;
  }

  async state(dom: string): Promise<VmPowerState> {
    return parseDomState(
      (await this.run('virsh', virshCommands.state(this.uri, dom), 60_000)).stdout,
    );
  }

  async revertToSnapshot(dom: string, snapshot: string): Promise<void> {
    await this.run('virsh', virshCommands.revert(this.uri, dom, snapshot), 300_000);
  }

  async start(dom: string): Promise<void> {
    await this.run('virsh', virshCommands.start(this.uri, dom), 300_000);
  }

  async powerOff(dom: string): Promise<void> {
    await this.run('virsh', virshCommands.destroy(this.uri, dom), 120_000);
  }

  async address(dom: string): Promise<string | undefined> {
    return parseDomIfAddr(
      (await this.run('virsh', virshCommands.address(this.uri, dom), 60_000)).stdout,
    );
  }
}
