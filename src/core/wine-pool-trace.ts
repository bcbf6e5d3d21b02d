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
 */
const LOAD = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:load_driver loading driver L"(.*)"\s*$/i;
const ALLOC =
  /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:ExAllocatePool\w*\s+(\d+)\b.*->\s*([0-9a-f]+)\s*$/i;
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

/**
 * Wine's debugstr_w escapes a backslash as `\\` and any character past ASCII as `\XXXX` (four hex
 * digits: `Dr\00efver` is `Drïver`); compare on the unescaped, lower-cased path.
 */
export function unescapeWinePath(text: string): string {
  return text
    .replace(/\\(\\|"|n|r|t|[0-9a-fA-F]{4})/g, (_, escape: string) => {
      if (escape.length === 4) return String.fromCharCode(parseInt(escape, 16));
      return { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' }[escape]!;
    })
    .toLowerCase();
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
  private readonly live = new Map<string, number>();
  private bytes = 0;
  private abandoned = 0;
  private shared = 0;
  private cycle = 0;
  private readonly samples: PoolCycleSample[] = [];

  constructor(binaryPathOnTarget: string) {
    this.binaryPath = binaryPathOnTarget.toLowerCase();
  }

  feed(line: string): void {
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
      const ours = image === this.binaryPath;
      if (ours) {
        this.closeCycle();
        this.cycle++;
      }
      this.host(load[1]!).bracket = { ours, keeper: KEEPER_IMAGE.test(image) };
      return;
    }
    const alloc = ALLOC.exec(line);
    if (alloc) {
      const owner = this.ownerOfAllocation(alloc[1]!);
      if (owner === 'shared') this.shared += Number(alloc[2]);
      if (owner !== 'ours') return;
      const key = `${alloc[1]}:${alloc[3]!.toLowerCase()}`;
      // The same address allocated again while we hold it live: Wine reused the process id for a
      // new host (own-host mode), so the earlier allocation was never freed and stays counted.
      if (this.live.has(key)) this.abandoned++;
      this.bytes += Number(alloc[2]);
      this.live.set(key, Number(alloc[2]));
      return;
    }
    const free = FREE.exec(line);
    if (free) {
      const key = `${free[1]}:${free[2]!.toLowerCase()}`;
      const size = this.live.get(key);
      if (size !== undefined) {
        this.bytes -= size;
        this.live.delete(key);
      }
      return;
    }
    this.followBrackets(line);
  }

  /** The winedevice.exe under `pid` is gone: its allocations can no longer be freed. */
  private processEnded(pid: string): void {
    this.hostStates.delete(pid);
    const prefix = `${pid}:`;
    for (const key of [...this.live.keys()]) {
      if (!key.startsWith(prefix)) continue;
      this.live.delete(key);
      this.abandoned++;
    }
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
    return this.cycle === 0 ? [...this.samples] : [...this.samples, this.current()];
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

  private closeCycle(): void {
    if (this.cycle > 0) this.samples.push(this.current());
  }
}
