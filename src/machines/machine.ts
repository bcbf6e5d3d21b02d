/** A Windows machine the specs can use: the lab's Wine prefix, a VM, or an existing host. */
import type { MachineEvidence } from '../core/classify.ts';
import { pinMismatchOf } from '../target/agent-connection.ts';
import type { Target } from '../target/types.ts';
import { HOST_KEEPER_PREFIX, isHostKeeper } from '../core/host-keeper.ts';

export interface Machine {
  /** How the reports and messages name it. */
  readonly name: string;
  /** The machine's Target; stable across reverts. */
  target(): Target;
  healthy(): Promise<boolean>;
  /**
   * Back to a clean state: a fresh prefix copy, a checkpoint, or (no control) our services removed.
   * `signal` cuts it short (its pool released meanwhile): it rejects, and the machine is released
   * as it is. A provider that cannot stop a revert half-way finishes it.
   */
  revert(signal?: AbortSignal): Promise<void>;
  /** After a crash or hang: force the machine back (power off, kill, revert) and wait until healthy. */
  recover(reason: string, signal?: AbortSignal): Promise<void>;
  /** Where the debug output (Wine channels, a serial console) ends now; pass it to debugOutput later. */
  debugMark(): number;
  /** Debug output written since `mark` (DbgPrint lines, crash messages). Empty when there is none. */
  debugOutput(mark: number): string;
  /** Whether debugOutput carries Wine's ntoskrnl pool trace (the lab's exact pool signal). */
  readonly poolTrace: boolean;
  /**
   * After the machine stopped answering during a test: what is known of why, gathered before any
   * revert (a revert would erase it). Waits a bounded time for a rebooting machine's agent.
   */
  postMortem(since: Date, debugMark: number): Promise<MachineEvidence>;
  /**
   * Readies the driver host the driver under test loads into and returns the load-order group to
   * install it with (the lab's shared-host mode starts its keeper there). Absent, or the group
   * unchanged: the driver is installed as given.
   */
  driverHost?(group: string | undefined): Promise<string | undefined>;
  /**
   * What the tests so far left on the machine that its clean state did not have (services, driver
   * hosts, staged images, files); empty when it may serve the next test as it is. Absent: the
   * drvcycle-owned services are all that is compared (see leftoversOf).
   */
  leftovers?(): Promise<string[]>;
  /**
   * Stops the machine and frees what it holds. `keepWarm: false`: never left booted for the next
   * run (a lab machine with warmSeconds is, when clean; warm-lab.ts).
   */
  release(options?: { keepWarm?: boolean }): Promise<void>;
}

/**
 * The machine's leftovers (see Machine.leftovers); where it cannot say more, the owned services
 * other than its keepers. An agent that does not answer leaves nothing provable: that is named too.
 */
export async function leftoversOf(machine: Machine): Promise<string[]> {
  if (machine.leftovers) return machine.leftovers();
  const services = testLeftovers(await machine.target().listOwned());
  return services.length > 0
    ? [`services left: ${services.map((s) => `${s.name} (${s.state})`).join(', ')}`]
    : [];
}

/**
 * The install options that put a driver where the machine hosts drivers under test: on the lab,
 * the kept host's group (a fresh Wine host races its PnP manager against a PnP driver's device,
 * and only the kept host has a keeper whose device the agent calls to wait for a close).
 */
export async function driverHostOptions(machine: Machine): Promise<{ group?: string }> {
  const group = await machine.driverHost?.(undefined);
  return group ? { group } : {};
}

export { HOST_KEEPER_PREFIX, isHostKeeper };

/** What a test left behind: services owned by drvcycle, minus the machine's own keepers. */
export function testLeftovers<T extends { name: string }>(services: readonly T[]): T[] {
  return services.filter((service) => !isHostKeeper(service.name));
}

/** Trouble the machine's own records show since a moment: crash dumps, bugcheck events. */
export async function crashEvidenceFrom(target: Target, since: Date): Promise<string[]> {
  const log = await target.events(since).catch(() => undefined);
  return (log?.events ?? [])
    .filter((e) => e.trouble && CRASH_SOURCES.has(e.source))
    .map((e) => `${e.source}: ${e.line}`);
}

/** Event sources whose trouble means the machine itself went down. */
const CRASH_SOURCES = new Set([
  'crash dump',
  'Microsoft-Windows-WER-SystemErrorReporting',
  'Microsoft-Windows-Kernel-Power',
]);

/**
 * A machine is healthy when its agent answers the health check and says so. A certificate that
 * does not match the pin is no unhealthy machine but a wrong pin or another server: thrown.
 */
export function agentAnswers(target: Target): Promise<boolean> {
  return target.health().then(
    (health) => health.ok,
    (error: unknown) => {
      const mismatch = pinMismatchOf(error);
      if (mismatch) throw mismatch;
      return false;
    },
  );
}
