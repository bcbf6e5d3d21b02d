/**
 * Which machines the run uses (DRVCYCLE_MACHINE and its companions), read from the environment
 * and checked in one place, before any machine boots.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { normalizeFingerprint } from '../core/self-signed.ts';
import { assertPosixTokenFile } from '../core/token-file.ts';
import { plainHttpUrlProblem } from '../core/agent-url.ts';

/**
 * The machine providers' names: src/machines/providers.ts picks a machine for each. The settings'
 * shapes live here, so reading settings loads no machine provider (the lab, undici and the rest).
 */
export type ProviderName = 'lab' | 'existing' | 'hyperv' | 'libvirt';

export interface AgentsConfig {
  readonly urls: string[];
  readonly token: string;
  /** SHA-256 fingerprint of the agents' certificate, pinned for their https URLs. */
  readonly fingerprint?: string;
}

/**
 * How the lab hosts the driver under test. `shared` (the default): in one long-lived
 * winedevice.exe, kept alive by a keeper driver in the same load-order group, as a Windows driver
 * is loaded into one long-lived kernel (and ~6× faster per cycle). `own`: a new winedevice.exe
 * per start, Wine's default for a driver without a group.
 */
export type LabHostMode = 'shared' | 'own';

export type MachineSettings = (
  | {
      readonly provider: 'lab';
      readonly hostMode?: LabHostMode;
      /**
       * DRVCYCLE_WARM_SECONDS: how long a clean machine stays booted after its run for the next
       * run to take (machines/warm-lab.ts). Unset: the project's profile decides (dev: 600).
       */
      readonly warmSeconds?: number;
    }
  | { readonly provider: 'existing'; readonly agents: AgentsConfig }
  | {
      readonly provider: 'hyperv' | 'libvirt';
      readonly agents: AgentsConfig;
      readonly vms: string[];
      readonly snapshot: string;
      readonly consoleLog: string | undefined;
      readonly powershell: string;
      readonly libvirtUri: string | undefined;
    }
) & {
  /**
   * DRVCYCLE_MACHINES_PER_WORKER: the machines each worker keeps (its pool). One serves the tests
   * while the others stand by clean; a dirty one is swapped out and reverted in the background.
   * 1 reverts in place, as before the pool. Default: 2 on the lab, 1 elsewhere (each one more
   * VM or agent per worker).
   */
  readonly machinesPerWorker?: number;
};

/** The lab's default pool: one prefix serving, one standing by. */
export const LAB_MACHINES_PER_WORKER = 2;

/** How many machines each worker keeps (one when the settings do not say). */
export function machinesPerWorker(settings: MachineSettings): number {
  return settings.machinesPerWorker ?? 1;
}

/** DRVCYCLE_MACHINES_PER_WORKER, checked: a whole number from 1 to 8. */
export function machinesPerWorkerFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const given = env.DRVCYCLE_MACHINES_PER_WORKER?.trim();
  if (!given) return undefined;
  const count = Number(given);
  if (!Number.isInteger(count) || count < 1 || count > 8)
    throw new ConfigError(
      `DRVCYCLE_MACHINES_PER_WORKER "${given}" is not a whole number from 1 to 8.`,
      'Give how many machines each worker keeps: 1 reverts a dirty machine in place, 2 or more swap in a clean one while the dirty one reverts in the background.',
    );
  return count;
}

/** Every provider name, each once; tsc fails here when ProviderName (above) adds or drops one. */
const PROVIDERS = [
  'lab',
  'existing',
  'hyperv',
  'libvirt',
] as const satisfies readonly ProviderName[];
const LAB_HOST_MODES = ['shared', 'own'] as const satisfies readonly LabHostMode[];
type Unlisted =
  | Exclude<ProviderName, (typeof PROVIDERS)[number]>
  | Exclude<LabHostMode, (typeof LAB_HOST_MODES)[number]>;
const everyNameListed: [Unlisted] extends [never] ? true : never = true;
void everyNameListed;

/** A dev run's machines stay warm this long for the next run (DRVCYCLE_WARM_SECONDS unset). */
export const DEV_WARM_SECONDS = 600;

/** DRVCYCLE_WARM_SECONDS, checked: a whole number of seconds from 0 (never) to a day. */
export function warmSecondsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const given = env.DRVCYCLE_WARM_SECONDS?.trim();
  if (!given) return undefined;
  const seconds = Number(given);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400)
    throw new ConfigError(
      `DRVCYCLE_WARM_SECONDS "${given}" is not a whole number of seconds from 0 to 86400.`,
      'Give how long a clean lab machine stays booted after a run for the next run to take (0: never; the dev project keeps its machines 600 s by default).',
    );
  return seconds;
}

/** DRVCYCLE_LAB_HOST: shared (default) or own. */
export function labHostModeFromEnv(env: NodeJS.ProcessEnv): LabHostMode {
  const mode = env.DRVCYCLE_LAB_HOST || 'shared';
  if (!(LAB_HOST_MODES as readonly string[]).includes(mode))
    throw new ConfigError(
      `Unknown DRVCYCLE_LAB_HOST "${mode}".`,
      'Use shared (the driver loads into one long-lived host, the default) or own (a new host process per start).',
    );
  return mode as LabHostMode;
}

export function providerFromEnv(env: NodeJS.ProcessEnv): ProviderName {
  const kind = env.DRVCYCLE_MACHINE || 'lab';
  if (!(PROVIDERS as readonly string[]).includes(kind)) {
    throw new ConfigError(
      `Unknown DRVCYCLE_MACHINE "${kind}".`,
      `Use one of: ${PROVIDERS.join(', ')}.`,
    );
  }
  return kind as ProviderName;
}

/**
 * The agents' URLs: DRVCYCLE_AGENTS (comma-separated), or DRVCYCLE_AGENTS_FILE, a pool of
 * machines kept in a file (one URL per line, `#` comments), one per worker in order.
 */
function agentUrlsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const file = env.DRVCYCLE_AGENTS_FILE;
  if (file && env.DRVCYCLE_AGENTS)
    throw new ConfigError(
      'Both DRVCYCLE_AGENTS and DRVCYCLE_AGENTS_FILE are set.',
      'Keep one: the list, or the file that holds it.',
    );
  let text = env.DRVCYCLE_AGENTS ?? '';
  if (file) {
    try {
      text = readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => line.replace(/#.*/, ''))
        .join(',');
    } catch (error) {
      throw new ConfigError(
        `Cannot read DRVCYCLE_AGENTS_FILE ${file}: ${(error as NodeJS.ErrnoException).code}.`,
        'Point it at a text file with one agent URL per line.',
      );
    }
  }
  return text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

/** The agents' URLs, DRVCYCLE_AGENT_TOKEN_FILE and DRVCYCLE_AGENT_FINGERPRINT. */
export function agentsFromEnv(env: NodeJS.ProcessEnv): AgentsConfig {
  const kind = env.DRVCYCLE_MACHINE || 'existing';
  const urls = agentUrlsFromEnv(env);
  if (urls.length === 0) {
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${kind} needs DRVCYCLE_AGENTS (or DRVCYCLE_AGENTS_FILE).`,
      'Set DRVCYCLE_AGENTS to the agent URL(s), e.g. DRVCYCLE_AGENTS=http://127.0.0.1:8765 (one per worker), or list them in a file, one per line, named by DRVCYCLE_AGENTS_FILE.',
    );
  }
  for (const url of urls) {
    if (!/^https?:\/\/[^/]+\/?$/.test(url))
      throw new ConfigError(
        `DRVCYCLE_AGENTS has an invalid URL: ${url}.`,
        'Give the agent base URL, e.g. http://127.0.0.1:8765.',
      );
  }
  warnPlainHttp(urls);
  const tokenFile = env.DRVCYCLE_AGENT_TOKEN_FILE;
  if (!tokenFile)
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${kind} needs DRVCYCLE_AGENT_TOKEN_FILE.`,
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
  assertPosixTokenFile(tokenFile, 'DRVCYCLE_AGENT_TOKEN_FILE', false);
  const fingerprint = fingerprintFromEnv(env, urls);
  return { urls, token, ...(fingerprint ? { fingerprint } : {}) };
}

const warnedPlainHttp = new Set<string>();

/** Plain http:// to another machine: a warning (once per URL); the agent itself refuses it unless told. */
function warnPlainHttp(urls: readonly string[]): void {
  for (const url of urls) {
    const problem = plainHttpUrlProblem(url);
    if (!problem || warnedPlainHttp.has(url)) continue;
    warnedPlainHttp.add(url);
    process.stderr.write(
      `drvcycle: WARNING: ${problem} Use the agent's https:// URL with DRVCYCLE_AGENT_FINGERPRINT, or an SSH tunnel (http://127.0.0.1:<port>).\n`,
    );
  }
}

function fingerprintFromEnv(env: NodeJS.ProcessEnv, urls: string[]): string | undefined {
  const given = env.DRVCYCLE_AGENT_FINGERPRINT?.trim();
  if (!given) return undefined;
  const fingerprint = normalizeFingerprint(given);
  if (!fingerprint)
    throw new ConfigError(
      `DRVCYCLE_AGENT_FINGERPRINT "${given}" is not a SHA-256 fingerprint.`,
      'Copy the line `npx drvcycle agent --init … --tls-cert … --tls-key …` printed (64 hex digits, colons allowed).',
    );
  const plain = urls.filter((url) => !url.startsWith('https://'));
  if (plain.length > 0)
    throw new ConfigError(
      `DRVCYCLE_AGENT_FINGERPRINT pins a certificate, but ${plain.join(', ')} ${plain.length === 1 ? 'is' : 'are'} not https.`,
      'Start the agents with --tls-cert/--tls-key and give their https:// URLs, or drop the fingerprint.',
    );
  return fingerprint;
}

export function machineSettingsFromEnv(env: NodeJS.ProcessEnv): MachineSettings {
  const provider = providerFromEnv(env);
  const pool = {
    machinesPerWorker:
      machinesPerWorkerFromEnv(env) ?? (provider === 'lab' ? LAB_MACHINES_PER_WORKER : 1),
  };
  if (provider === 'lab') {
    const warmSeconds = warmSecondsFromEnv(env);
    return {
      provider,
      hostMode: labHostModeFromEnv(env),
      ...(warmSeconds !== undefined ? { warmSeconds } : {}),
      ...pool,
    };
  }
  const agents = agentsFromEnv(env);
  if (provider === 'existing') return { provider, agents, ...pool };
  const vms = (env.DRVCYCLE_VMS ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (vms.length === 0)
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${provider} needs DRVCYCLE_VMS.`,
      "Set DRVCYCLE_VMS to the VM (domain) names, one per worker, and DRVCYCLE_AGENTS to their agents' URLs in the same order.",
    );
  if (!env.DRVCYCLE_SNAPSHOT)
    throw new ConfigError(
      `DRVCYCLE_MACHINE=${provider} needs DRVCYCLE_SNAPSHOT.`,
      'Name the clean checkpoint/snapshot, taken with the agent running.',
    );
  if (vms.length !== agents.urls.length)
    throw new ConfigError(
      `DRVCYCLE_VMS has ${vms.length} names but DRVCYCLE_AGENTS ${agents.urls.length} URLs.`,
      'Give one agent URL per VM, in the same order.',
    );
  return {
    provider,
    agents,
    vms,
    ...pool,
    snapshot: env.DRVCYCLE_SNAPSHOT,
    consoleLog: env.DRVCYCLE_CONSOLE_LOG || undefined,
    powershell: env.DRVCYCLE_POWERSHELL || 'powershell.exe',
    libvirtUri: env.DRVCYCLE_LIBVIRT_URI || undefined,
  };
}

/**
 * One worker per machine: a worker installs the driver under test under its fixed service name,
 * so two workers on one agent would cycle, stop and remove each other's service, and a driver
 * with a fixed device name cannot be loaded twice at once anyway. Checked before anything runs,
 * with the run's worker count (the lab gives each worker its own prefix).
 */
export function checkWorkersPerMachine(settings: MachineSettings, workers: number): void {
  if (settings.provider === 'lab') return;
  const machines = settings.provider === 'existing' ? settings.agents.urls : settings.vms;
  const perWorker = machinesPerWorker(settings);
  if (workers * perWorker <= machines.length) return;
  const what = settings.provider === 'existing' ? 'agent' : 'VM';
  const list = settings.provider === 'existing' ? 'DRVCYCLE_AGENTS' : 'DRVCYCLE_VMS';
  const lists = `${list}${settings.provider === 'existing' ? ' (or DRVCYCLE_AGENTS_FILE)' : ' and DRVCYCLE_AGENTS'}`;
  if (perWorker > 1)
    throw new ConfigError(
      `The run has ${workers} workers of ${perWorker} machines each (DRVCYCLE_MACHINES_PER_WORKER) but ${machines.length} ${what}${machines.length === 1 ? '' : 's'} (${list}): a machine would serve two workers.`,
      `Give ${workers * perWorker} ${what}s in ${lists} (worker 1 takes the first ${perWorker}, and so on), run with --workers=${Math.max(1, Math.floor(machines.length / perWorker))}, or lower DRVCYCLE_MACHINES_PER_WORKER.`,
    );
  throw new ConfigError(
    `The run has ${workers} workers but ${machines.length} ${what}${machines.length === 1 ? '' : 's'} (${list}): two workers would share one machine and cycle, stop and remove each other's driver service.`,
    `Run with --workers=${machines.length}, or give one ${what} per worker in ${lists}.`,
  );
}
