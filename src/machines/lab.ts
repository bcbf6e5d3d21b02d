/**
 * A lab machine: a private copy of the base Wine prefix with its own wineserver, and the drvcycle
 * agent as the prefix's first process (so Wine's debug channels land in the agent's stderr file).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { agentFetch, type AgentEndpoint } from '../target/agent-connection.ts';
import { RemoteTarget } from '../target/remote-target.ts';
import type { InstalledDriver } from '../target/types.ts';
import { keeperDevicePath } from '../core/host-keeper.ts';
import {
  claimParked,
  parkedFolders,
  parkedProblem,
  parkMachine,
  stopReaper,
  warmIdentity,
  type ParkedRecord,
  type WarmSettings,
} from './warm-lab.ts';
import { selfSignedCertificate } from '../core/self-signed.ts';
import {
  processAlive,
  runProcess,
  startDaemon,
  startDetached,
  tail,
} from '../core/child-process.ts';
import {
  driverHostsOfPrefix,
  killPrefixProcesses,
  processesOfPrefix,
} from '../lab/wine-processes.ts';
import { wineEnv } from '../lab/wine-env.ts';
import { labBundle } from '../lab/lab-agent.ts';
import type { LabHostMode } from '../config/machine-settings.ts';
import { labPaths, toWinePath } from '../lab/lab-paths.ts';
import { baseRegistryChange, isBasePrefixReady } from '../lab/prefix.ts';
import { consoleLog, step, type Log } from '../lab/progress-log.ts';
import type { MachineEvidence } from '../core/classify.ts';
import { createHash } from 'node:crypto';
import { PACKAGE_ROOT, sampleDriver } from '../core/paths.ts';
import { agentAnswers, HOST_KEEPER_PREFIX, testLeftovers, type Machine } from './machine.ts';
import { leftoversAgainst, type CleanState } from './clean-state.ts';

export const LAB_STAGING_DIR = 'C:\\drvcycle\\images';
/** How long a driver host whose last driver stopped is given to exit before it counts as left. */
const HOST_EXIT_WAIT_MS = 5_000;
/** The load-order group drivers under test share a host in, unless they name their own. */
export const LAB_HOST_GROUP = 'drvcycle-host';

export function hostKeeperName(group: string): string {
  return group === LAB_HOST_GROUP
    ? HOST_KEEPER_PREFIX
    : `${HOST_KEEPER_PREFIX}_${createHash('sha256').update(group).digest('hex').slice(0, 8)}`;
}
/**
 * +pid tells the driver hosts' lines apart; debugstr carries DbgPrint output; trace+ntoskrnl
 * traces every pool allocation and free (the lab's pool signal, see core/wine-pool-trace.ts);
 * relay (narrowed to the pool calls by the base prefix's RelayInclude, lab/relay-include.ts) and
 * loaddll add each allocation's tag and caller (core/wine-pool-callers.ts).
 */
export const DEFAULT_WINEDEBUG = 'fixme-all,+pid,+debugstr,+relay,+loaddll,trace+ntoskrnl';

const OWNER_FILE = 'owner.pid';

/** What a machine boots with that a warm machine must match (warm-lab.ts). */
function identityOptions(options: LabMachineOptions) {
  return {
    scope: options.warm?.scope ?? '',
    winedebug: options.winedebug ?? DEFAULT_WINEDEBUG,
    hostMode: options.hostMode ?? 'shared',
    tls: options.tls !== false,
    addressRandomization: options.addressRandomization === true,
  };
}

/**
 * Machines this process booted (or is booting) and has not released. A Ctrl+C while a worker is
 * still booting its machine ends the worker without the fixture's teardown: the machine's
 * wineserver, agent and driver hosts would run on until the next run pruned them. On exit they
 * are killed (synchronously, the only way in an exit handler); the files stay for that pruning.
 */
const unreleased = new Set<LabMachine>();
let stopOnExit: (() => void) | undefined;

function track(machine: LabMachine): void {
  unreleased.add(machine);
  if (stopOnExit) return;
  stopOnExit = () => {
    if (unreleased.size === 0) return;
    // A process being started at this moment (a wineserver its client just forked) shows up a
    // little later: look again until two looks in a row find nothing, for at most a second.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let quiet = 0;
    for (let look = 0; look < 20 && quiet < 2; look++) {
      let killed = 0;
      for (const left of unreleased) killed += killPrefixProcesses(left.prefix).length;
      quiet = killed === 0 ? quiet + 1 : 0;
      Atomics.wait(pause, 0, 0, 50);
    }
  };
  process.on('exit', stopOnExit);
}

/** A released machine's folder on its way out (see discardFolder): `.discarded-<ms>-<name>`. */
const DISCARDED = /^\.discarded-(\d+)-/;
/** A discarded folder older than this was not deleted (its `rm` was killed): pruned. */
const DISCARDED_GRACE_MS = 10 * 60_000;

/**
 * Deletes a released machine's folder without the run waiting for it: renamed out of the way at
 * once (no run takes it for a machine), then deleted by a detached `rm -rf` that may finish after
 * this process ends. Deleting a ~700 MB prefix took 0.3-1.4 s on 2 cores, at the end of every
 * worker, while the user waited for the command to end.
 */
export function discardFolder(dir: string): string | undefined {
  const discarded = path.join(path.dirname(dir), `.discarded-${Date.now()}-${path.basename(dir)}`);
  try {
    renameSync(dir, discarded);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  startDetached('rm', ['-rf', discarded]);
  return discarded;
}

/**
 * Removes machines whose owning runner process is gone (a run that was killed never released
 * them): stops their wineserver and deletes the prefix copy.
 */
export async function pruneOrphanMachines(
  isAlive: (pid: number) => boolean = processAlive,
): Promise<string[]> {
  const root = labPaths.machinesDir();
  if (!existsSync(root)) return [];
  const pruned: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = path.join(root, name);
    const discardedAt = DISCARDED.exec(name)?.[1];
    if (discardedAt !== undefined) {
      // Its rm may still be at work; one long past its time was cut short.
      if (Date.now() - Number(discardedAt) < DISCARDED_GRACE_MS) continue;
      rmSync(dir, { recursive: true, force: true });
      pruned.push(name);
      continue;
    }
    const ownerAlive = () => {
      const owner = Number(
        existsSync(path.join(dir, OWNER_FILE))
          ? readFileSync(path.join(dir, OWNER_FILE), 'utf8')
          : NaN,
      );
      return Number.isInteger(owner) && isAlive(owner);
    };
    if (ownerAlive()) continue;
    const prefix = path.join(dir, 'prefix');
    if (existsSync(prefix))
      await runProcess('wineserver', ['-k'], {
        env: wineEnv(prefix),
        output: { logFile: '/dev/null' },
        timeoutMs: 30_000,
      }).catch(() => undefined);
    await ensureNoProcessesLeft(prefix);
    // A live run may have taken the name meanwhile (a machine being set up): it is not a leftover.
    if (ownerAlive()) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      pruned.push(name);
    } catch {
      // Something writes there: not a leftover to fight over. The next set-up looks again.
    }
  }
  return pruned;
}

/** The lab set-up step that removes what killed runs left, with its progress line. */
export function pruneLeftovers(log: Log = consoleLog): Promise<unknown> {
  return step(log, 'lab machines left by killed runs', async () => {
    const pruned = await pruneOrphanMachines();
    return pruned.length === 0 ? 'already-done' : pruned;
  });
}

/**
 * Whatever wineserver -k left of a prefix (a driver host stuck in a hung unload, say) is killed,
 * and the machine is not released until none is left.
 */
async function ensureNoProcessesLeft(prefix: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (killPrefixProcesses(prefix).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const left = processesOfPrefix(prefix);
  if (left.length > 0)
    throw new DrvcycleError(
      ErrorCodes.LAB_MACHINE,
      `Processes of the lab prefix ${prefix} survive SIGKILL: ${left.join(', ')}.`,
      {
        hint: 'They are stuck in the kernel (look at /proc/<pid>/stack); a reboot of this host frees them.',
      },
    );
}

/**
 * A lab machine's folder under the lab's machines folder: the run, the process that boots it, the
 * worker and the pool slot. Two processes of one run id on one lab (two shards side by side, each
 * with a worker 0) get folders of their own. Which folders are a killed run's leftovers is told by
 * the owner file inside (pruneOrphanMachines), never by the name.
 */
export function labMachineFolder(
  runId: string,
  index: number,
  slot = 0,
  pid: number = process.pid,
): string {
  return `${runId}-p${pid}-m${index}${slot ? `.${slot}` : ''}`;
}

export interface LabMachineOptions {
  readonly index: number;
  /** Its place in the worker's pool (0, the default, is the worker's first machine). */
  readonly slot?: number;
  readonly runId: string;
  /** The machine's folder under the machines folder (`lab down` names the one `lab up` made); default labMachineFolder. */
  readonly folder?: string;
  readonly winedebug?: string;
  readonly readyTimeoutMs?: number;
  /**
   * Linux address-space randomisation for the prefix's processes (off by default). With it on,
   * about one new winedevice.exe in a few thousand dies at start ("virtual_alloc_first_teb wine:
   * failed to map the shared user data: c0000018": a randomised mapping sits where Wine must put
   * the shared user data), and StartService fails with 1359. Every process of the prefix inherits
   * the personality of the first one, so starting the agent under `setarch -R` removes that.
   */
  readonly addressRandomization?: boolean;
  /**
   * The agent serves HTTPS with a new self-signed certificate per boot, pinned by its fingerprint
   * (the default: the lab then takes the same path as an agent on a VM); false for plain HTTP.
   */
  readonly tls?: boolean;
  readonly hostMode?: LabHostMode;
  /**
   * Starts the shared host's keeper as the machine boots (a run's machines), not with the first
   * driver (a machine brought up by hand, whose agent other runs may sweep).
   */
  readonly hostReady?: boolean;
  /**
   * Released clean, the machine stays booted for the next run of its scope to take
   * (warm-lab.ts); unset or 0 seconds: it is stopped and deleted.
   */
  readonly warm?: WarmSettings;
}

export class LabMachine implements Machine {
  readonly index: number;
  readonly name: string;
  readonly dir: string;
  readonly prefix: string;
  readonly stdoutLog: string;
  readonly stderrLog: string;
  private readonly options: LabMachineOptions;
  private agent: ChildProcess | undefined;
  private agentExit: string | undefined;
  /** The agent of a machine taken warm: started by an earlier run, so not this process's child. */
  private warmAgentPid: number | undefined;
  private connection: AgentEndpoint | undefined;
  private remote: RemoteTarget | undefined;

  constructor(options: LabMachineOptions) {
    this.options = options;
    this.index = options.index;
    const slot = options.slot ? `.${options.slot}` : '';
    this.name = `lab machine ${options.index}${slot}`;
    this.dir = path.join(
      labPaths.machinesDir(),
      options.folder ?? labMachineFolder(options.runId, options.index, options.slot),
    );
    this.prefix = path.join(this.dir, 'prefix');
    this.stdoutLog = path.join(this.dir, 'agent.stdout.log');
    this.stderrLog = path.join(this.dir, 'agent.stderr.log');
  }

  /**
   * A machine of its own, booted from the base prefix. `signal` cuts the boot short (a standby
   * machine its pool no longer needs): what was started is stopped, the folder removed, and the
   * boot rejects with the signal's reason.
   */
  static async boot(options: LabMachineOptions, signal?: AbortSignal): Promise<LabMachine> {
    const machine = new LabMachine(options);
    track(machine);
    try {
      await machine.revert(signal);
    } catch (error) {
      if (signal?.aborted) await machine.release();
      throw error;
    }
    return machine;
  }

  /**
   * Hands the machine to its agent: it lives on after this process exits (a machine a developer
   * brought up by hand), and is pruned only once its agent is gone.
   */
  detach(): void {
    if (this.agent?.pid) writeFileSync(path.join(this.dir, OWNER_FILE), String(this.agent.pid));
    unreleased.delete(this);
  }

  /** The agent's process (the Linux side of Wine's node.exe), while it runs. */
  get agentPid(): number | undefined {
    if (this.warmAgentPid !== undefined)
      return processAlive(this.warmAgentPid) ? this.warmAgentPid : undefined;
    return this.agent && !this.agentExit ? this.agent.pid : undefined;
  }

  /**
   * A machine an earlier run parked warm, clean and matching `options`, now this run's; undefined
   * when there is none (one that does not match, or no longer answers, is stopped on the way).
   */
  static async adoptWarm(
    options: LabMachineOptions,
    log: (line: string) => void = () => {},
  ): Promise<LabMachine | undefined> {
    const identity = warmIdentity(identityOptions(options));
    for (const dir of parkedFolders(identity.scope)) {
      const taken = LabMachine.takeParked(dir, options);
      if (!taken) continue;
      const { machine, record } = taken;
      const problem = parkedProblem(record, identity) ?? (await machine.resumeWarm(record));
      if (problem === undefined) {
        log(
          `${machine.name}: took a warm machine (parked ${Math.round((Date.now() - record.parkedAtMs) / 1000)} s ago by an earlier run)`,
        );
        return machine;
      }
      log(`a warm lab machine was not taken (${problem}): stopping it`);
      await machine.release({ keepWarm: false }).catch(() => undefined);
    }
    return undefined;
  }

  /**
   * Stops the lab's warm machines kept for `scope` (`drvcycle lab down`: this project's reports
   * folder), or every one; returns how many there were.
   */
  static async stopWarm(scope?: string): Promise<number> {
    let stopped = 0;
    for (const dir of parkedFolders(scope)) {
      const taken = LabMachine.takeParked(dir, { index: 0, runId: 'warm' });
      if (!taken) continue;
      await taken.machine.release({ keepWarm: false });
      stopped++;
    }
    return stopped;
  }

  /** Claims the machine parked in `dir` (warm-lab.ts) for this process: its owner from now on. */
  private static takeParked(
    dir: string,
    options: LabMachineOptions,
  ): { machine: LabMachine; record: ParkedRecord } | undefined {
    const record = claimParked(dir);
    if (!record) return undefined;
    const machine = new LabMachine({ ...options, folder: path.basename(dir) });
    stopReaper(dir, OWNER_FILE);
    writeFileSync(path.join(machine.dir, OWNER_FILE), String(process.pid));
    track(machine);
    return { machine, record };
  }

  /** Takes over a parked machine's agent and what it keeps; why it cannot serve, if it cannot. */
  private async resumeWarm(record: ParkedRecord): Promise<string | undefined> {
    const tokenFile = path.join(this.dir, 'agent.token');
    if (!existsSync(tokenFile)) return 'its agent token is gone';
    this.connection = {
      url: record.url,
      token: readFileSync(tokenFile, 'utf8').trim(),
      ...(record.fingerprint ? { fingerprint: record.fingerprint } : {}),
    };
    this.warmAgentPid = record.agentPid;
    for (const [group, pid] of record.keptHosts) this.keptHosts.set(group, pid);
    for (const image of record.keptImages) this.keptImages.add(image);
    this.cleanState = record.cleanState;
    // Whether it is still clean is the worker's check before every test (the _cleanMachine
    // fixture): one that is not is replaced there, as any machine is.
    return (await this.healthy()) ? undefined : 'its agent does not answer';
  }

  /**
   * Leaves the machine booted for the next run (warm-lab.ts), when it is clean and answers; true
   * when it was parked. Its processes are no longer this process's to stop.
   */
  private async park(seconds: number): Promise<boolean> {
    const agentPid = this.agentPid;
    if (!this.connection || !this.cleanState || agentPid === undefined) return false;
    if (!(await this.healthy()) || (await this.leftovers()).length > 0) return false;
    const record: ParkedRecord = {
      format: 1,
      identity: warmIdentity(identityOptions(this.options)),
      url: this.connection.url,
      ...(this.connection.fingerprint ? { fingerprint: this.connection.fingerprint } : {}),
      agentPid,
      keptHosts: [...this.keptHosts],
      keptImages: [...this.keptImages],
      cleanState: this.cleanState,
      parkedAtMs: Date.now(),
      warmSeconds: seconds,
    };
    const reaper = parkMachine(this.dir, record);
    if (reaper === undefined) {
      claimParked(this.dir);
      return false;
    }
    writeFileSync(path.join(this.dir, OWNER_FILE), String(reaper));
    unreleased.delete(this);
    this.agent = undefined;
    this.warmAgentPid = undefined;
    this.connection = undefined;
    return true;
  }

  get url(): string {
    return this.requireConnection().url;
  }

  /** The pinned SHA-256 fingerprint of the agent's certificate (undefined over plain HTTP). */
  get fingerprint(): string | undefined {
    return this.requireConnection().fingerprint;
  }

  /** The machine's Target; it follows the agent across reverts. */
  target(): RemoteTarget {
    this.remote ??= new RemoteTarget({
      endpoint: () => this.requireConnection(),
      runId: this.options.runId,
      hostBarrier: (driver) => {
        const group = (driver as Partial<InstalledDriver>).group;
        return this.hostMode === 'shared' && group !== undefined && this.keptHosts.has(group)
          ? keeperDevicePath(hostKeeperName(group))
          : undefined;
      },
    });
    return this.remote;
  }

  /** Replaces the prefix with a fresh copy of the base and starts the agent in it. */
  async revert(signal?: AbortSignal): Promise<void> {
    if (!isBasePrefixReady()) {
      throw new DrvcycleError(ErrorCodes.LAB_MACHINE, 'The lab has no base Wine prefix yet.', {
        hint: 'Run `npx drvcycle provision` (npm run lab and npm test do it for you).',
      });
    }
    const changed = baseRegistryChange();
    if (changed) {
      throw new DrvcycleError(
        ErrorCodes.LAB_MACHINE,
        `The lab's base Wine prefix is no longer what the lab made: ${changed}. A machine copied from it would not be the machine the lab tests on.`,
        {
          hint: 'Run `npx drvcycle provision` to make it again (npm run lab and npm test do it for you), and run Wine programs in a machine of your own, never in the base prefix.',
        },
      );
    }
    await this.shutdown();
    this.keptHosts.clear();
    // The owner file stays while the rest goes: another run's set-up never sees this machine
    // without an owner, so never takes it for a killed run's leftover.
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(path.join(this.dir, OWNER_FILE), String(process.pid));
    for (const entry of readdirSync(this.dir))
      if (entry !== OWNER_FILE)
        rmSync(path.join(this.dir, entry), { recursive: true, force: true });
    await runProcess('cp', ['-a', '--reflink=auto', labPaths.basePrefix(), this.prefix], {
      output: { logFile: path.join(this.dir, 'revert.log') },
      timeoutMs: 120_000,
    });
    signal?.throwIfAborted();
    await this.startAgent(signal);
    this.keptImages.clear();
    this.cleanState = { ...this.localState(), services: [] };
    // The shared host comes up with the machine (its keeper is the machine's, not a test's): a
    // standby machine swapped in, or one reverted in place, is ready for the next test's driver
    // without the ~1 s of a keeper's install and its host's start on that test's path.
    signal?.throwIfAborted();
    if (this.options.hostReady && this.hostMode === 'shared') await this.driverHost(undefined);
  }

  /** The machine's state right after its agent came up in a fresh copy of the base prefix. */
  private cleanState: CleanState | undefined;
  /** The keepers' staged images (Linux paths): the machine's own, not a test's leftovers. */
  private readonly keptImages = new Set<string>();

  /** What the runner reads of the prefix directly: driver hosts, staged images, system folders. */
  private localState(): Omit<CleanState, 'services'> {
    const drive = path.join(this.prefix, 'drive_c');
    const filesUnder = (relative: string) => {
      const dir = path.join(drive, relative);
      if (!existsSync(dir)) return [];
      return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => !entry.isDirectory())
        .map((entry) => path.join(entry.parentPath, entry.name))
        .sort();
    };
    return {
      driverHosts: driverHostsOfPrefix(this.prefix),
      stagedImages: filesUnder(path.join('drvcycle', 'images')),
      systemFiles: [
        ...filesUnder(path.join('windows', 'system32', 'drivers')),
        ...filesUnder(path.join('windows', 'inf')),
      ],
    };
  }

  /**
   * What the tests so far left on the machine, against its state right after boot: owned
   * services other than the keepers, driver hosts no keeper holds (or a keeper's host gone),
   * staged images other than the keepers', files added to or removed from system32\drivers and
   * the INF folder. Empty: the machine may serve the next test as it is.
   */
  async leftovers(): Promise<string[]> {
    if (!this.cleanState) return ['the machine was never booted clean'];
    const services = testLeftovers(await this.target().listOwned()).map(({ name, state }) => ({
      name,
      state,
    }));
    const kept = { keptHosts: this.keptHosts, keptImages: this.keptImages };
    let found = leftoversAgainst(this.cleanState, { ...this.localState(), services }, kept);
    // A driver host whose last driver just stopped exits a moment later: look again until it is
    // gone. Under load that took more than the 1 s once allowed (a clean machine replaced in a
    // fresh-clone run); a host still there at the deadline is a leftover.
    const deadline = performance.now() + HOST_EXIT_WAIT_MS;
    while (
      found.some((f) => f.startsWith('driver hosts no keeper')) &&
      performance.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      found = leftoversAgainst(this.cleanState, { ...this.localState(), services }, kept);
    }
    return found;
  }

  async healthy(): Promise<boolean> {
    if (this.agentPid === undefined) return false;
    return agentAnswers(this.target());
  }

  get hostMode(): LabHostMode {
    return this.options.hostMode ?? 'shared';
  }

  /**
   * In the shared-host mode, the group's keeper runs (installed after a revert, started again
   * after a crash took its host down) before the driver under test is installed in that group.
   */
  async driverHost(group: string | undefined): Promise<string | undefined> {
    if (this.hostMode === 'own') return group;
    const hostGroup = group ?? LAB_HOST_GROUP;
    const host = this.keptHosts.get(hostGroup);
    // A driver that crashed took the shared host down, and Wine still lists the keeper RUNNING
    // with no process behind it. On Windows that crash is a bugcheck and a reboot: revert.
    if (host !== undefined && !driverHostsOfPrefix(this.prefix).includes(host)) await this.revert();
    const keeper = { name: hostKeeperName(hostGroup) };
    const target = this.target();
    const state = await target.query(keeper).then(
      (status) => status.stateName,
      () => undefined,
    );
    if (state === undefined) {
      const installed = await target.install(
        { file: sampleDriver('host_keeper') },
        { ...keeper, group: hostGroup },
      );
      this.keptImages.add(this.linuxPathOf(installed.binaryPath));
    }
    if (state !== 'RUNNING') {
      const before = new Set(driverHostsOfPrefix(this.prefix));
      await target.start(keeper, { timeoutMs: 30_000 });
      const started = driverHostsOfPrefix(this.prefix).filter((pid) => !before.has(pid));
      if (started.length === 1) this.keptHosts.set(hostGroup, started[0]!);
    }
    return hostGroup;
  }

  /** A `C:\\…` path of the prefix as a Linux path. */
  private linuxPathOf(windowsPath: string): string {
    return path.join(this.prefix, 'drive_c', ...windowsPath.replace(/^[cC]:\\/, '').split('\\'));
  }

  /** Per load-order group, the Linux pid of the winedevice.exe its keeper holds open. */
  private readonly keptHosts = new Map<string, number>();

  get poolTrace(): boolean {
    return /(^|,)trace\+ntoskrnl(,|$)/.test(this.options.winedebug ?? DEFAULT_WINEDEBUG);
  }

  /** The agent's stderr is reset at each revert; a mark is a byte offset in it. */
  debugMark(): number {
    return existsSync(this.stderrLog) ? statSync(this.stderrLog).size : 0;
  }

  /** Wine's debug output (DbgPrint lines, crash messages, pool trace) written since `mark`. */
  debugOutput(mark: number): string {
    if (!existsSync(this.stderrLog)) return '';
    const size = statSync(this.stderrLog).size;
    if (size <= mark) return '';
    const fd = openSync(this.stderrLog, 'r');
    try {
      const buffer = Buffer.alloc(size - mark);
      readSync(fd, buffer, 0, buffer.length, mark);
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A lab machine's driver runs in winedevice.exe, never in the agent: an agent that died, or a
   * wineserver that went down, is the lab's failure. What the runner knows is how the agent ended.
   */
  async postMortem(_since: Date, _debugMark: number): Promise<MachineEvidence> {
    const lost = !(await this.healthy());
    // A connection that broke is often seen before the agent's exit is: give it a moment.
    const agent = this.agent;
    if (lost && agent && !this.agentExit)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3_000);
        agent.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const warmAgentGone =
      this.warmAgentPid !== undefined && !processAlive(this.warmAgentPid)
        ? 'ended (an earlier run started it: how is not known)'
        : undefined;
    return {
      lost,
      agentExit:
        this.agentExit ??
        warmAgentGone ??
        (this.agent || this.warmAgentPid !== undefined ? undefined : 'was not running'),
    };
  }

  /** Kills everything in the prefix (a hung host, a stuck wineserver) and starts from the base again. */
  async recover(_reason: string, signal?: AbortSignal): Promise<void> {
    await this.revert(signal);
  }

  /** Stops the agent and everything else in the prefix; keeps the files for a post-mortem. */
  async shutdown(): Promise<void> {
    if (this.connection && this.agent && !this.agentExit) {
      await agentFetch(this.connection, '/v1/shutdown', {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.connection.token}` },
        signal: AbortSignal.timeout(2000),
      }).catch(() => undefined);
    }
    if (existsSync(this.prefix)) {
      const env = wineEnv(this.prefix);
      const logFile = path.join(this.dir, 'wineserver.log');
      // SIGKILL to the wineserver (-k9): the prefix is discarded after a shutdown (released, or
      // replaced by a fresh copy), so nothing it would save matters; a plain -k waited ~0.8 s for
      // the server's own wind-down. Its clients, cut off, are killed below.
      await runProcess('wineserver', ['-k9'], {
        env,
        output: { logFile },
        timeoutMs: 30_000,
      }).catch(() => undefined);
      await runProcess('wineserver', ['-w'], { env, output: { logFile }, timeoutMs: 30_000 }).catch(
        () => undefined,
      );
    }
    if (this.agent && this.agent.exitCode === null && this.agent.signalCode === null) {
      try {
        process.kill(-this.agent.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.agent = undefined;
    this.warmAgentPid = undefined;
    this.connection = undefined;
    await ensureNoProcessesLeft(this.prefix);
  }

  /**
   * Shuts down and deletes the machine's prefix (~700 MB; in the background, see discardFolder),
   * or, with `warmSeconds` and unless `keepWarm` is false, leaves it booted for the next run
   * when it is clean.
   */
  async release(options: { keepWarm?: boolean } = {}): Promise<void> {
    const warm = this.options.warm?.seconds ?? 0;
    if (warm > 0 && options.keepWarm !== false && (await this.park(warm).catch(() => false)))
      return;
    await this.shutdown();
    unreleased.delete(this);
    discardFolder(this.dir);
  }

  private certificateFingerprint: string | undefined;

  /** A new certificate per boot, written into the machine's folder; the runner pins it. */
  private tlsArguments(): string[] {
    if (this.options.tls === false) return [];
    const certificate = selfSignedCertificate();
    const certFile = path.join(this.dir, 'agent-tls.crt');
    const keyFile = path.join(this.dir, 'agent-tls.key');
    writeFileSync(certFile, certificate.certPem);
    writeFileSync(keyFile, certificate.keyPem, { mode: 0o600 });
    this.certificateFingerprint = certificate.fingerprint;
    return ['--tls-cert', toWinePath(certFile), '--tls-key', toWinePath(keyFile)];
  }

  private async startAgent(signal?: AbortSignal): Promise<void> {
    const token = randomBytes(32).toString('hex');
    const tokenFile = path.join(this.dir, 'agent.token');
    const readyFile = path.join(this.dir, 'agent.ready.json');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    rmSync(readyFile, { force: true });
    // The agent bundle, unpacked from its zip: what a VM image gets (src/lab/lab-agent.ts).
    const bundle = labBundle.dir(); // read once: `current` may move on under a provisioning
    const args = [
      path.join(bundle, 'node.exe'),
      toWinePath(path.join(bundle, 'agent', 'agent.js')),
      'agent',
      '--port',
      '0',
      '--token-file',
      toWinePath(tokenFile),
      '--ready-file',
      toWinePath(readyFile),
      '--staging-dir',
      LAB_STAGING_DIR,
      ...this.tlsArguments(),
    ];
    this.agentExit = undefined;
    const command = this.options.addressRandomization
      ? ['wine', ...args]
      : ['setarch', os.machine(), '--addr-no-randomize', 'wine', ...args];
    const agent = startDaemon(command[0]!, command.slice(1), {
      env: wineEnv(this.prefix, this.options.winedebug ?? DEFAULT_WINEDEBUG),
      cwd: PACKAGE_ROOT,
      stdoutFile: this.stdoutLog,
      stderrFile: this.stderrLog,
    });
    agent.on('exit', (code, signal) => {
      this.agentExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    this.agent = agent;

    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    while (!existsSync(readyFile)) {
      signal?.throwIfAborted();
      if (this.agentExit || Date.now() > deadline) {
        const why =
          this.agentExit ?? `was not ready after ${this.options.readyTimeoutMs ?? 60_000} ms`;
        throw new DrvcycleError(
          ErrorCodes.LAB_MACHINE,
          `The agent of ${this.name} ${why}.\nLast lines of ${this.stdoutLog}:\n${tail(this.stdoutLog)}\nLast lines of ${this.stderrLog}:\n${tail(this.stderrLog)}`,
          {
            hint: 'Run `npx drvcycle provision` again; if it persists, delete the lab folder (DRVCYCLE_LAB_DIR, default ~/.cache/drvcycle/lab) to rebuild it.',
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { url: string };
    // The pin is the certificate the runner wrote, never what the agent's ready file claims.
    const fingerprint = this.options.tls === false ? undefined : this.certificateFingerprint;
    this.connection = { url: ready.url, token, ...(fingerprint ? { fingerprint } : {}) };
    if (!(await this.healthy())) {
      throw new DrvcycleError(
        ErrorCodes.LAB_MACHINE,
        `The agent of ${this.name} started but its health check failed (${ready.url}).\n${tail(this.stdoutLog)}`,
      );
    }
  }

  private requireConnection(): AgentEndpoint {
    if (!this.connection)
      throw new DrvcycleError(ErrorCodes.LAB_MACHINE, `The ${this.name} is not running.`);
    return this.connection;
  }
}
