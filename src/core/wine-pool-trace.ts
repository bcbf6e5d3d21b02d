/**
 * The lab's exact pool signal. With WINEDEBUG=+pid,trace+ntoskrnl Wine traces every pool
 * allocation and free of a driver host:
 *   0194:01a0:trace:ntoskrnl:load_driver loading driver L"C:\\drvcycle\\images\\…\\leak_small.sys"
 *   0194:01a0:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A0370
 *   0194:01a0:trace:ntoskrnl:ExFreePoolWithTag 00000000014A0370
 * Following the processes that loaded the driver under test gives, after each cycle, the bytes
 * it allocated and never freed: the stand-in for pool tags and Driver Verifier on Windows.
 *
 * A host can be shared (the lab's default: drivers of one load-order group share one long-lived
 * winedevice.exe). Its loads and unloads run one after another on its service thread, bracketed:
 *   …:load_driver loading driver L"…\\leak_small.sys"        (DriverEntry runs)
 *   …:init_driver init done for L"dc_leak" obj 000000000034D300
 *   …:unload_driver L"\\Driver\\dc_leak"                     (DriverUnload runs)
 *   …:IoDeleteDriver (000000000034D300)
 * An allocation inside a driver's DriverEntry or DriverUnload bracket is that driver's. Between
 * brackets it is the driver's when it is the only driver loaded in the host besides drvcycle's
 * keeper (which allocates nothing); when other drivers are loaded too it cannot be told apart
 * and is counted as shared, never as the driver's. Frees count whenever they come.
 *
 * Wine hands out process ids again once 512 have been used, so a long run sees one id for many
 * hosts. A host's life shows in the trace: its main loop creates the PnP manager,
 *   …:IoCreateDriver (L"\\Driver\\PnpManager", 000000031CAAA080)
 * (sometimes after the first driver already loaded on the service thread), and it ends by
 * deleting that manager, an IoDeleteDriver of an object no unload announced. A process that ended,
 * or one whose id shows a second manager (the earlier one died without ending), is over: what it
 * left allocated is lost for good (still counted, never freed by a newcomer with its id), and
 * what it had loaded is forgotten.
 *
 * Each allocation of the driver is kept with its size, pool type and cycle, and, when the relay
 * channel names it (wine-pool-callers.ts), its tag and caller. The exact verdict: an allocation
 * made in cycle N is leaked when it is still allocated after the unload of cycle N+1 (the next
 * instance of the driver had a whole load and unload to free it, so a buffer freed one cycle
 * late is not a leak), or when its host process ended with it allocated (nothing can free it any
 * more). `leakCycle` is the first such N: certain once cycle N+1 has unloaded.
 * "After the unload of cycle K" is the moment drvcycle learns the service stopped
 * (`unloadDone(K)`), or, reading a trace afterwards, the load of cycle K+1.
 */
import { LeakLedger, type PoolAllocation } from './pool-leaks.ts';
import { WinePoolCallers } from './wine-pool-callers.ts';
import { unescapeWinePath } from './wine-path.ts';

export { unescapeWinePath };

const LOAD = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:load_driver loading driver L"(.*)"\s*$/i;
const ALLOC =
  /^(([0-9a-f]+):[0-9a-f]+):trace:ntoskrnl:ExAllocatePool\w*\s+(\d+)\b(?:\s+pool\s+(\d+))?.*->\s*([0-9a-f]+)\s*$/i;
const FREE = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:ExFreePool\w*\s+([0-9a-f]+)\s*$/i;
const INIT_DONE =
  /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:init_driver init done for L"(.*)" obj ([0-9a-f]+)\s*$/i;
const UNLOAD = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:unload_driver L"(.*)"\s*$/i;
const HOST_START =
  /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:IoCreateDriver \(L"\\\\Driver\\\\PnpManager"/i;
const DELETE_DRIVER = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:IoDeleteDriver \(([0-9a-f]+)\)\s*$/i;

export interface PoolCycleSample {
  readonly cycle: number;
  /** Bytes the driver's hosts allocated since its first load and have not freed. */
  readonly outstandingBytes: number;
  readonly outstandingAllocations: number;
  /**
   * Bytes allocated in the driver's host while it and other drivers under test were loaded there,
   * outside every DriverEntry and DriverUnload: not attributable, so never counted as the driver's.
   */
  readonly sharedBytes: number;
}

/** drvcycle's keeper of a shared host (drivers/src/host_keeper.c): loaded, allocating nothing. */
const KEEPER_IMAGE = /\\host_keeper\.sys$/;

interface LoadedDriver {
  readonly ours: boolean;
  readonly keeper: boolean;
  readonly service: string;
}

/** What one host process has loaded, and whose DriverEntry or DriverUnload runs there now. */
interface HostState {
  readonly loaded: Map<string, LoadedDriver>;
  bracket: { ours: boolean; keeper: boolean; object?: string } | undefined;
  /** Its PnP manager was created in this trace. */
  managerSeen: boolean;
  /** Unloads of drivers loaded before this trace began: their IoDeleteDriver is not the end. */
  foreignUnloads: number;
}

export class WinePoolTrace {
  private readonly binaryPath: string;
  private readonly hostStates = new Map<string, HostState>();
  private readonly live = new Map<string, PoolAllocation>();
  private readonly callers = new WinePoolCallers();
  /** Per cycle not yet past its confirmation, the keys of the allocations it made. */
  private readonly madeIn = new Map<number, Set<string>>();
  /** What ended hosts took with them: leaked for good. */
  private readonly lost = new LeakLedger();
  private firstConfirmed: number | undefined;
  private confirmedAt: number | undefined;
  private bytes = 0;
  private abandoned = 0;
  private shared = 0;
  private cycle = 0;
  private readonly samples: PoolCycleSample[] = [];
  private readonly stopAtLeak: boolean;
  private ignoredLoads = 0;

  /**
   * `stopAtLeak`: once a leak is certain, later loads of the image are not counted (their
   * allocations not the driver's): a run stops there, and a target that ran on a few cycles
   * before it saw the stop must not make the trace count more cycles than the run did.
   */
  constructor(binaryPathOnTarget: string, options: { stopAtLeak?: boolean } = {}) {
    this.binaryPath = binaryPathOnTarget.toLowerCase();
    this.stopAtLeak = options.stopAtLeak === true;
  }

  /** Loads of the image seen after the leak was certain, not counted (`stopAtLeak`). */
  get loadsPastLeak(): number {
    return this.ignoredLoads;
  }

  feed(line: string): void {
    // Most lines are neither ntoskrnl's trace nor a relay or loaddll line: skip them cheaply.
    if (!line.includes(':trace:ntoskrnl:')) {
      this.callers.feed(line);
      return;
    }
    const hostStart = HOST_START.exec(line);
    if (hostStart) {
      const pid = hostStart[1]!;
      if (this.hostStates.get(pid)?.managerSeen) this.processEnded(pid);
      this.host(pid).managerSeen = true;
      return;
    }
    const load = LOAD.exec(line);
    if (load) {
      const image = unescapeWinePath(load[2]!);
      let ours = image === this.binaryPath;
      if (ours) {
        if (this.cycle > 0) this.unloadDone(this.cycle);
        if (this.stopAtLeak && this.firstConfirmed !== undefined) {
          ours = false;
          this.ignoredLoads++;
        } else this.cycle++;
      }
      this.host(load[1]!).bracket = { ours, keeper: KEEPER_IMAGE.test(image) };
      return;
    }
    const alloc = ALLOC.exec(line);
    if (alloc) {
      const details = this.callers.take(alloc[1]!);
      const pid = alloc[2]!;
      const owner = this.ownerOfAllocation(pid);
      const size = Number(alloc[3]);
      if (owner === 'shared') this.shared += size;
      if (owner !== 'ours') return;
      const key = `${pid}:${alloc[5]!.toLowerCase()}`;
      // The same address allocated again while we hold it live: Wine reused the process id for a
      // new host (own-host mode), so the earlier allocation was never freed and stays counted.
      const earlier = this.live.get(key);
      if (earlier) this.loseAllocation(key, earlier);
      this.bytes += size;
      this.live.set(key, {
        cycle: this.cycle,
        size,
        poolType: alloc[4] === undefined ? undefined : Number(alloc[4]),
        tag: details.tag,
        caller: details.caller,
        callerAddress: details.address,
      });
      let made = this.madeIn.get(this.cycle);
      if (!made) this.madeIn.set(this.cycle, (made = new Set()));
      made.add(key);
      return;
    }
    const free = FREE.exec(line);
    if (free) {
      const key = `${free[1]}:${free[2]!.toLowerCase()}`;
      const allocation = this.live.get(key);
      if (allocation !== undefined) {
        this.bytes -= allocation.size;
        this.live.delete(key);
        this.madeIn.get(allocation.cycle)?.delete(key);
      }
      return;
    }
    this.followBrackets(line);
  }

  /**
   * Cycle `cycle`'s unload has finished (its service stopped, or its next load began): its sample
   * is taken, and what cycle `cycle - 1` made and is still allocated is leaked for good.
   */
  unloadDone(cycle: number): void {
    if (cycle !== this.cycle || this.samples.length >= cycle) return;
    this.samples.push(this.current());
    const previous = this.madeIn.get(cycle - 1);
    if (previous && previous.size > 0 && this.firstConfirmed === undefined) {
      this.firstConfirmed = cycle - 1;
      this.confirmedAt = cycle;
    }
    this.madeIn.delete(cycle - 1);
  }

  /** The host process under `pid` is gone: its allocations can no longer be freed. */
  private processEnded(pid: string): void {
    this.hostStates.delete(pid);
    this.callers.forget(pid);
    const prefix = `${pid}:`;
    for (const [key, allocation] of [...this.live])
      if (key.startsWith(prefix)) this.loseAllocation(key, allocation);
  }

  private loseAllocation(key: string, allocation: PoolAllocation): void {
    this.live.delete(key);
    this.madeIn.get(allocation.cycle)?.delete(key);
    this.abandoned++;
    this.lost.add({ ...allocation, lost: true });
    if (this.firstConfirmed === undefined || allocation.cycle < this.firstConfirmed)
      this.firstConfirmed = allocation.cycle;
    this.confirmedAt ??= this.cycle;
  }

  /**
   * The cycle whose end made the first leak certain: the unload after the leaking cycle, or the
   * cycle whose host ended holding it.
   */
  get certainAfterCycle(): number | undefined {
    return this.confirmedAt;
  }

  /**
   * The first cycle whose allocation is leaked for good (still allocated after the next cycle's
   * unload, or lost with its host), or undefined while there is none.
   */
  get leakCycle(): number | undefined {
    return this.firstConfirmed;
  }

  /** How many allocations the current cycle made that are still allocated. */
  madeByLastCycle(): number {
    return this.madeIn.get(this.cycle)?.size ?? 0;
  }

  /**
   * What the driver has left allocated now (taken after an unload: the list behind a verdict),
   * with what its ended hosts lost.
   */
  leftAllocated(): LeakLedger {
    const ledger = this.lost.copy();
    for (const allocation of this.live.values()) ledger.add(allocation);
    return ledger;
  }

  private host(pid: string): HostState {
    let state = this.hostStates.get(pid);
    if (!state) {
      state = { loaded: new Map(), bracket: undefined, managerSeen: false, foreignUnloads: 0 };
      this.hostStates.set(pid, state);
    }
    return state;
  }

  private ownerOfAllocation(pid: string): 'ours' | 'shared' | 'other' {
    const state = this.hostStates.get(pid);
    if (!state) return 'other';
    if (state.bracket) return state.bracket.ours ? 'ours' : 'other';
    let ours = false;
    let others = false;
    for (const driver of state.loaded.values()) {
      if (driver.ours) ours = true;
      else if (!driver.keeper) others = true;
    }
    return ours ? (others ? 'shared' : 'ours') : 'other';
  }

  private followBrackets(line: string): void {
    const init = INIT_DONE.exec(line);
    if (init) {
      const state = this.host(init[1]!);
      if (state.bracket && state.bracket.object === undefined) {
        state.loaded.set(init[3]!.toLowerCase(), {
          ours: state.bracket.ours,
          keeper: state.bracket.keeper,
          service: init[2]!.toLowerCase(),
        });
        state.bracket = undefined;
      }
      return;
    }
    const unload = UNLOAD.exec(line);
    if (unload) {
      const state = this.host(unload[1]!);
      const service = unescapeWinePath(unload[2]!).replace(/^\\driver\\/, '');
      let known = false;
      for (const [object, driver] of state.loaded)
        if (driver.service === service) {
          state.bracket = { ours: driver.ours, keeper: driver.keeper, object };
          known = true;
        }
      if (!known) state.foreignUnloads++;
      return;
    }
    const deleted = DELETE_DRIVER.exec(line);
    if (deleted) {
      const pid = deleted[1]!;
      const state = this.host(pid);
      const object = deleted[2]!.toLowerCase();
      // Ends an unload, or a DriverEntry that failed (its object never reached "init done").
      if (state.bracket && (state.bracket.object === object || state.bracket.object === undefined))
        state.bracket = undefined;
      else if (!state.loaded.has(object)) {
        if (state.foreignUnloads > 0) state.foreignUnloads--;
        // No unload announced it: the host deletes its PnP manager on the way out.
        else this.processEnded(pid);
      }
      state.loaded.delete(object);
    }
  }

  feedText(text: string): void {
    for (const line of text.split('\n')) this.feed(line);
  }

  /** Samples so far, plus the current cycle's state (taken as "after its unload"). */
  series(): PoolCycleSample[] {
    return this.samples.length === this.cycle
      ? [...this.samples]
      : [...this.samples, this.current()];
  }

  get cycles(): number {
    return this.cycle;
  }

  private current(): PoolCycleSample {
    return {
      cycle: this.cycle,
      outstandingBytes: this.bytes,
      outstandingAllocations: this.live.size + this.abandoned,
      sharedBytes: this.shared,
    };
  }
}
