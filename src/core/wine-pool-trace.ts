/**
 * The lab's exact pool signal. With WINEDEBUG=+pid,trace+ntoskrnl Wine traces every pool
 * allocation and free of a driver host:
 *   0194:01a0:trace:ntoskrnl:load_driver loading driver L"C:\\drvcycle\\images\\…\\leak_small.sys"
 *   0194:01a0:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A0370
 *   0194:01a0:trace:ntoskrnl:ExFreePoolWithTag 00000000014A0370
 * Following the processes that loaded the driver under test gives, after each cycle, the bytes
 * it allocated and never freed: the stand-in for pool tags and Driver Verifier on Windows.
 */
const LOAD = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:load_driver loading driver L"(.*)"\s*$/i;
const ALLOC =
  /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:ExAllocatePool\w*\s+(\d+)\b.*->\s*([0-9a-f]+)\s*$/i;
const FREE = /^([0-9a-f]+):[0-9a-f]+:trace:ntoskrnl:ExFreePool\w*\s+([0-9a-f]+)\s*$/i;

export interface PoolCycleSample {
  readonly cycle: number;
  /** Bytes the driver's hosts allocated since its first load and have not freed. */
  readonly outstandingBytes: number;
  readonly outstandingAllocations: number;
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

export class WinePoolTrace {
  private readonly imagePath: string;
  private readonly hosts = new Set<string>();
  private readonly live = new Map<string, number>();
  private bytes = 0;
  private abandoned = 0;
  private cycle = 0;
  private readonly samples: PoolCycleSample[] = [];

  constructor(imagePathOnTarget: string) {
    this.imagePath = imagePathOnTarget.toLowerCase();
  }

  feed(line: string): void {
    const load = LOAD.exec(line);
    if (load) {
      if (unescapeWinePath(load[2]!) !== this.imagePath) return;
      this.closeCycle();
      this.cycle++;
      this.hosts.add(load[1]!);
      return;
    }
    const alloc = ALLOC.exec(line);
    if (alloc) {
      if (!this.hosts.has(alloc[1]!)) return;
      const key = `${alloc[1]}:${alloc[3]!.toLowerCase()}`;
      // The same address allocated again while we hold it live: Wine reused the process id for a
      // new host (own-host mode), so the earlier allocation was never freed and stays counted.
      if (this.live.has(key)) this.abandoned++;
      this.bytes += Number(alloc[2]);
      this.live.set(key, Number(alloc[2]));
      return;
    }
    const free = FREE.exec(line);
    if (free && this.hosts.has(free[1]!)) {
      const key = `${free[1]}:${free[2]!.toLowerCase()}`;
      const size = this.live.get(key);
      if (size !== undefined) {
        this.bytes -= size;
        this.live.delete(key);
      }
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
    };
  }

  private closeCycle(): void {
    if (this.cycle > 0) this.samples.push(this.current());
  }
}
