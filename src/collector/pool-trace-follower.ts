/**
 * Follows the lab's pool trace while cycles run: each call reads only the debug output written
 * since the last one and feeds its complete lines to a WinePoolTrace, so the exact leak verdict
 * is known after the cycle that makes it certain, and no more than one read's text is held.
 */
import { WinePoolTrace } from '../core/wine-pool-trace.ts';

export interface DebugOutputSource {
  debugOutput(mark: number): string;
}

export class PoolTraceFollower {
  readonly trace: WinePoolTrace;
  private offset: number;
  private readonly source: DebugOutputSource;

  constructor(source: DebugOutputSource, mark: number, binaryPath: string) {
    this.source = source;
    this.offset = mark;
    // The run stops at a certain leak: loads the target ran past the stop are not its cycles.
    this.trace = new WinePoolTrace(binaryPath, { stopAtLeak: true });
  }

  /** Feeds what was written since the last read, up to its last complete line. */
  read(): void {
    const text = this.source.debugOutput(this.offset);
    const end = text.lastIndexOf('\n');
    if (end < 0) return;
    const complete = text.slice(0, end + 1);
    this.offset += Buffer.byteLength(complete, 'utf8');
    let start = 0;
    for (
      let newline = complete.indexOf('\n');
      newline >= 0;
      newline = complete.indexOf('\n', start)
    ) {
      this.trace.feed(complete.slice(start, newline));
      start = newline + 1;
    }
  }

  /** Cycle `cycle` of this trace (its n-th load of the image) has unloaded: read, then close it. */
  unloaded(cycle: number): void {
    this.read();
    this.trace.unloadDone(cycle);
  }
}
