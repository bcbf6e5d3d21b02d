/**
 * A worker's pool of machines: one serves the tests (the active one), the others stand by clean.
 * When a test leaves the active machine dirty, the pool swaps in a clean one at once and reverts
 * the dirty one in the background, while the next test runs: a revert (a VM's checkpoint restore
 * and boot, a lab prefix's copy and agent start) costs seconds to minutes, a swap nothing. With
 * one machine per worker the revert happens in place, as it always did.
 */
import type { MachineEvidence } from '../core/classify.ts';
import { ActiveTarget } from './active-target.ts';
import { leftoversOf, type Machine } from './machine.ts';

export interface MachinePoolOptions {
  /** How many machines the worker keeps (≥ 1): the one serving tests and the ones standing by. */
  readonly size: number;
  /**
   * Machine `slot` of the pool, clean and answering (a lab prefix booted, a VM reverted to its
   * snapshot). Slot 0 is awaited before the first test; the others come up in the background.
   * `signal` aborts a standby machine's boot when the pool is released before it is up (a
   * provider that cannot cut a boot short ignores it, and the release waits for the boot).
   */
  create(slot: number, signal?: AbortSignal): Promise<Machine>;
  /** Progress lines (a machine swapped in, a background revert that failed). */
  readonly log?: (line: string) => void;
  /**
   * Boot the standby machines only when `standBy()` is called (or a swap needs one): a worker's
   * first test then has the CPU to itself (on 2 cores a machine's boot beside it slowed it).
   */
  readonly standbyLater?: boolean;
}

/** A machine standing by: clean once `ready` settles (rejected: its revert or boot failed). */
interface Standby {
  readonly slot: number;
  /** The machine being reverted (undefined while a new one boots). */
  readonly machine: Machine | undefined;
  readonly ready: Promise<Machine>;
  /** Cuts its boot or revert short (the pool released before it was needed). */
  readonly cut?: AbortController;
}

function standby(
  slot: number,
  machine: Machine | undefined,
  ready: Promise<Machine>,
  cut?: AbortController,
): Standby {
  // Settled later by whoever takes it; a failure meanwhile is no unhandled rejection.
  ready.catch(() => undefined);
  return { slot, machine, ready, ...(cut ? { cut } : {}) };
}

export class MachinePool implements Machine {
  private readonly options: MachinePoolOptions;
  private active: Machine;
  private activeSlot: number;
  private readonly standby: Standby[] = [];
  private readonly activeTarget: ActiveTarget;
  /** Machines swapped in so far. */
  swaps = 0;

  private constructor(options: MachinePoolOptions, first: Machine) {
    this.options = options;
    this.active = first;
    this.activeSlot = 0;
    this.activeTarget = new ActiveTarget(() => this.active.target());
  }

  /** The first machine ready, the others coming up in the background. */
  static async open(options: MachinePoolOptions): Promise<MachinePool> {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError(`A machine pool needs at least one machine, not ${options.size}.`);
    const pool = new MachinePool(options, await options.create(0));
    if (!options.standbyLater) pool.standBy();
    return pool;
  }

  /** Boots a machine for every slot of the pool that has none yet (serving or standing by). */
  standBy(): void {
    const taken = new Set([this.activeSlot, ...this.standby.map((entry) => entry.slot)]);
    for (let slot = 0; slot < this.options.size; slot++)
      if (!taken.has(slot)) this.standby.push(this.boot(slot));
  }

  /** A new machine for `slot`, booting. */
  private boot(slot: number): Standby {
    const controller = new AbortController();
    return standby(slot, undefined, this.options.create(slot, controller.signal), controller);
  }

  /** The machine serving tests now: its name is what reports and messages name. */
  get name(): string {
    return this.active.name;
  }

  get poolTrace(): boolean {
    return this.active.poolTrace;
  }

  /** The machine serving tests now (tests and benches look at which one it is). */
  get current(): Machine {
    return this.active;
  }

  target(): ActiveTarget {
    return this.activeTarget;
  }

  healthy(): Promise<boolean> {
    return this.active.healthy();
  }

  /** Machines standing by, reverted or still reverting. */
  get standbyCount(): number {
    return this.standby.length;
  }

  /** A clean machine for the next test: a standby one swapped in, or (alone) this one reverted. */
  revert(): Promise<void> {
    return this.replace((machine, signal) => machine.revert(signal));
  }

  /** After a crash or hang: a standby machine swapped in; the lost one is recovered meanwhile. */
  recover(reason: string): Promise<void> {
    return this.replace((machine, signal) => machine.recover(reason, signal));
  }

  /**
   * A mark is an offset in the serving machine's debug output, as a machine's own is; a machine
   * swapped in starts its output afresh, as a machine reverted in place does.
   */
  debugMark(): number {
    return this.active.debugMark();
  }

  debugOutput(mark: number): string {
    return this.active.debugOutput(mark);
  }

  postMortem(since: Date, debugMark: number): Promise<MachineEvidence> {
    return this.active.postMortem(since, debugMark);
  }

  /** What the tests left on the machine serving them (see Machine.leftovers). */
  leftovers(): Promise<string[]> {
    return leftoversOf(this.active);
  }

  driverHost(group: string | undefined): Promise<string | undefined> {
    return this.active.driverHost ? this.active.driverHost(group) : Promise.resolve(group);
  }

  /**
   * Releases every machine: a standby machine still booting has its boot cut short (at the end of
   * a worker's last test, the standby booted after its first one may still be coming up), and so
   * has one still reverting after a dirty test (on the lab, 1-2 s at every worker's end); a
   * provider that cannot cut a revert short is waited for.
   */
  async release(options: { keepWarm?: boolean } = {}): Promise<void> {
    const standing = this.standby.splice(0);
    for (const entry of standing) entry.cut?.abort();
    const results = await Promise.allSettled([
      this.active.release(options),
      ...standing.map(async (entry) => {
        const ready = await entry.ready.catch(() => undefined);
        // One whose boot or revert did not finish is never left warm.
        if (ready) await ready.release(options);
        else await entry.machine?.release({ keepWarm: false });
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async replace(
    clean: (machine: Machine, signal?: AbortSignal) => Promise<void>,
  ): Promise<void> {
    if (this.options.size === 1) {
      await clean(this.active);
      return;
    }
    this.standBy();
    const dirty = this.active;
    // The dirty machine goes to the back of the queue, cleaned while the others serve.
    const cut = new AbortController();
    this.standby.push(
      standby(
        this.activeSlot,
        dirty,
        clean(dirty, cut.signal).then(() => dirty),
        cut,
      ),
    );
    for (let failures = 0; ;) {
      const { entry, machine, cause } = await this.firstSettled();
      if (machine) {
        this.active = machine;
        this.activeSlot = entry.slot;
        this.swaps++;
        this.options.log?.(`${machine.name} swapped in for ${dirty.name}`);
        return;
      }
      // That machine did not come back: it leaves the pool and a new one takes its slot.
      failures++;
      this.options.log?.(
        `machine slot ${entry.slot} did not come back (${firstLine(cause)}); making a new one`,
      );
      await entry.machine?.release().catch(() => undefined);
      if (failures > 2 * this.options.size) throw cause;
      this.standby.push(this.boot(entry.slot));
    }
  }

  /** The first standby machine to be ready (or to fail), taken out of the queue. */
  private async firstSettled(): Promise<{ entry: Standby; machine?: Machine; cause?: unknown }> {
    const settled = await Promise.race(
      this.standby.map((entry) =>
        entry.ready.then(
          (machine) => ({ entry, machine }),
          (cause: unknown) => ({ entry, machine: undefined, cause }),
        ),
      ),
    );
    this.standby.splice(this.standby.indexOf(settled.entry), 1);
    return settled;
  }
}

function firstLine(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
}
