/**
 * A machine drvcycle does not control: an agent already running on a Windows host or VM.
 * Reverting means removing every service this run created there and checking the agent answers.
 */
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { RemoteTarget } from '../target/remote-target.ts';
import type { MachineEvidence } from '../core/classify.ts';
import { agentAnswers, crashEvidenceFrom, type Machine } from './machine.ts';
import type { AgentsConfig } from '../config/machine-settings.ts';

export class ExistingMachine implements Machine {
  readonly name: string;
  private readonly remote: RemoteTarget;

  constructor(config: AgentsConfig, index: number, runId: string) {
    const url = config.urls[index % config.urls.length]!;
    this.name = url;
    const endpoint = {
      url,
      token: config.token,
      ...(config.fingerprint ? { fingerprint: config.fingerprint } : {}),
    };
    this.remote = new RemoteTarget({ endpoint, runId });
  }

  target(): RemoteTarget {
    return this.remote;
  }

  healthy(): Promise<boolean> {
    return agentAnswers(this.remote);
  }

  async revert(): Promise<void> {
    for (const service of await this.remote.listOwned()) {
      if (service.runId === this.remote.runId)
        await this.remote.uninstall(service, { timeoutMs: 30_000 });
    }
  }

  readonly poolTrace = false;

  /** No control over the machine: wait for its agent to answer again, then remove our services. */
  async recover(_reason: string): Promise<void> {
    if (!(await this.waitForAgent(10 * 60_000)))
      throw new DrvcycleError(
        ErrorCodes.LAB_MACHINE,
        `The agent at ${this.name} did not come back within 10 minutes.`,
        { hint: 'Check the machine (a bugcheck may need a manual reboot), then rerun.' },
      );
    await this.revert();
  }

  /** No control over the machine: wait for its agent to come back, then read its crash records. */
  async postMortem(since: Date, _debugMark: number): Promise<MachineEvidence> {
    if (await this.healthy()) return { lost: false };
    const back = await this.waitForAgent(10 * 60_000);
    return {
      lost: true,
      crashEvidence: back ? await crashEvidenceFrom(this.remote, since) : [],
      ...(back ? {} : { agentExit: 'did not come back within 10 minutes' }),
    };
  }

  private async waitForAgent(boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    while (!(await this.healthy())) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    return true;
  }

  debugMark(): number {
    return 0;
  }

  debugOutput(_mark: number): string {
    return '';
  }

  async release(): Promise<void> {
    await this.revert().catch(() => undefined);
  }
}
