/**
 * A machine drvcycle does not control: an agent already running on a Windows host or VM.
 * Reverting means removing every service this run created there and checking the agent answers.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { RemoteTarget } from '../target/remote-target.ts';
import { agentAnswers, type Machine } from './machine.ts';

export interface ExistingMachineConfig {
  readonly urls: string[];
  readonly token: string;
}

/** DRVCYCLE_AGENTS (comma-separated URLs) and DRVCYCLE_AGENT_TOKEN_FILE. */
export function existingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ExistingMachineConfig {
  const urls = (env.DRVCYCLE_AGENTS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0) {
    throw new ConfigError(
      'DRVCYCLE_MACHINE=existing needs DRVCYCLE_AGENTS.',
      'Set DRVCYCLE_AGENTS to the agent URL(s), e.g. DRVCYCLE_AGENTS=http://127.0.0.1:8765 (one per worker).',
    );
  }
  for (const url of urls) {
    if (!/^https?:\/\/[^/]+\/?$/.test(url))
      throw new ConfigError(
        `DRVCYCLE_AGENTS has an invalid URL: ${url}.`,
        'Give the agent base URL, e.g. http://127.0.0.1:8765.',
      );
  }
  const tokenFile = env.DRVCYCLE_AGENT_TOKEN_FILE;
  if (!tokenFile)
    throw new ConfigError(
      'DRVCYCLE_MACHINE=existing needs DRVCYCLE_AGENT_TOKEN_FILE.',
      'Point it at a file holding the same token the agent was started with (--token-file).',
    );
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(
      `Cannot read DRVCYCLE_AGENT_TOKEN_FILE ${tokenFile}: ${(error as NodeJS.ErrnoException).code}.`,
      "Copy the agent's token file to this machine and point the variable at it.",
    );
  }
  return { urls, token };
}

export class ExistingMachine implements Machine {
  readonly name: string;
  private readonly remote: RemoteTarget;

  constructor(config: ExistingMachineConfig, index: number, runId: string) {
    const url = config.urls[index % config.urls.length]!;
    this.name = url;
    this.remote = new RemoteTarget({ endpoint: { url, token: config.token }, runId });
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
        await this.remote.remove(
          { name: service.name, imagePath: '', runId: service.runId, config: {} as never },
          { timeoutMs: 30_000 },
        );
    }
  }

  readonly poolTrace = false;

  /** No control over the machine: wait for its agent to answer again, then remove our services. */
  async recover(_reason: string): Promise<void> {
    const deadline = Date.now() + 10 * 60_000;
    while (!(await this.healthy())) {
      if (Date.now() > deadline)
        throw new ConfigError(
          `The agent at ${this.name} did not come back within 10 minutes.`,
          'Check the machine (a bugcheck may need a manual reboot), then rerun.',
        );
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    await this.revert();
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
