/**
 * A fake machine provider for the machine pool's unit tests: each machine's revert really takes
 * its time (seconds, as a lab prefix's copy and boot or a VM's checkpoint restore do), so a test
 * can see which reverts the pool waited for and which ran in the background. Only the pool's
 * logic is under test; a real provider runs on the lab (tests/e2e/machine-pool.spec.ts).
 */
import type { MachineEvidence } from '../../src/core/classify.ts';
import type { Machine } from '../../src/machines/machine.ts';
import type { Target } from '../../src/target/types.ts';

export const FAKE_REVERT_MS = 1_500;

export class FakeMachine implements Machine {
  readonly name: string;
  readonly poolTrace = false;
  reverts = 0;
  recovers: string[] = [];
  reverting = false;
  released = false;
  /** What the fake's leftovers() answers. */
  dirt: string[] = [];
  /** Debug output written so far (its marks are offsets in it). */
  debug = '';
  /** Makes the next revert fail (a VM that did not come back). */
  failNextRevert = false;
  private readonly revertMs: number;
  private readonly fakeTarget: Target;

  constructor(name: string, revertMs = FAKE_REVERT_MS) {
    this.name = name;
    this.revertMs = revertMs;
    // Only what the pool's tests call: the machine's name as the target's run id, and its health.
    this.fakeTarget = {
      runId: `run-of-${name}`,
      health: async () => ({ ok: !this.reverting, uptimeMs: 1, scm: true }),
    } as Partial<Target> as Target;
  }

  target(): Target {
    return this.fakeTarget;
  }

  async healthy(): Promise<boolean> {
    return !this.reverting && !this.released;
  }

  /** Whether a revert stops when its signal is aborted (the lab's does; a VM's may not). */
  cutsRevertShort = true;
  /** Reverts stopped half-way by their signal. */
  revertsCut = 0;

  async revert(signal?: AbortSignal): Promise<void> {
    this.reverting = true;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.revertMs);
        if (this.cutsRevertShort)
          signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              this.revertsCut++;
              reject(signal.reason as Error);
            },
            { once: true },
          );
      });
    } finally {
      this.reverting = false;
    }
    this.reverts++;
    this.dirt = [];
    this.debug = '';
    if (this.failNextRevert) {
      this.failNextRevert = false;
      throw new Error(`${this.name} did not come back after its revert`);
    }
  }

  async recover(reason: string, signal?: AbortSignal): Promise<void> {
    this.recovers.push(reason);
    await this.revert(signal);
  }

  debugMark(): number {
    return this.debug.length;
  }

  debugOutput(mark: number): string {
    return this.debug.slice(mark);
  }

  async postMortem(_since: Date, debugMark: number): Promise<MachineEvidence> {
    return { lost: false, crashEvidence: [this.debug.slice(debugMark)] };
  }

  async leftovers(): Promise<string[]> {
    return this.dirt;
  }

  async release(): Promise<void> {
    this.released = true;
  }
}

/** A fake provider: machine `slot` is made (booted clean) in `bootMs`, and remembered. */
export function fakeProvider(bootMs = FAKE_REVERT_MS) {
  const made: FakeMachine[] = [];
  return {
    made,
    create: async (slot: number) => {
      const machine = new FakeMachine(`fake machine ${slot}.${made.length}`);
      made.push(machine);
      await new Promise((resolve) => setTimeout(resolve, bootMs));
      return machine;
    },
  };
}
