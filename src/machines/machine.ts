/** A Windows machine the specs can use: the lab's Wine prefix, a VM, or an existing host. */
import type { MachineEvidence } from '../core/classify.ts';
import type { Target } from '../target/types.ts';

export interface Machine {
  /** How the reports and messages name it. */
  readonly name: string;
  /** The machine's Target; stable across reverts. */
  target(): Target;
  healthy(): Promise<boolean>;
  /** Back to a clean state: a fresh prefix copy, a checkpoint, or (no control) our services removed. */
  revert(): Promise<void>;
  /** After a crash or hang: force the machine back (power off, kill, revert) and wait until healthy. */
  recover(reason: string): Promise<void>;
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
  release(): Promise<void>;
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

/** A machine is healthy when its agent answers the health check and says so. */
export function agentAnswers(target: Target): Promise<boolean> {
  return target.health().then(
    (health) => health.ok,
    () => false,
  );
}
