/**
 * Cycle records on their way from a batch thread to the thread that owns the batch: JSON lines in
 * a ring of shared bytes. The writer appends a whole line before it counts it, so the reader only
 * ever sees whole lines, in order. Shared memory lets the owner take the records whenever it
 * looks (on a hand-over message, on its watch interval, before it reports an overdue call)
 * without the batch thread having to wake it for each one.
 *
 * One writer and one reader: each keeps its own position; only the count of bytes in the ring is
 * shared.
 */
const USED = 0;

/** Room for thousands of records: a record with a full Verifier sample is tens of kilobytes at most. */
export const RECORD_RING_BYTES = 1024 * 1024;

export interface RecordRingBuffers {
  readonly bytes: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
}

export class RecordRing {
  readonly buffers: RecordRingBuffers;
  private readonly bytes: Uint8Array;
  private readonly counters: Int32Array;
  private head = 0;
  private tail = 0;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(
    buffers: RecordRingBuffers = {
      bytes: new SharedArrayBuffer(RECORD_RING_BYTES),
      counters: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    },
  ) {
    this.buffers = buffers;
    this.bytes = new Uint8Array(buffers.bytes);
    this.counters = new Int32Array(buffers.counters);
  }

  // The writer's side.

  /**
   * Appends one line. While the ring lacks room, `whenFull` is called with the bytes in the ring
   * (the batch thread asks its owner to read, then waits for it on the shared count).
   */
  append(line: string, whenFull: (used: number) => void): void {
    const encoded = this.encoder.encode(line.endsWith('\n') ? line : `${line}\n`);
    const capacity = this.bytes.length;
    if (encoded.length > capacity)
      throw new RangeError(
        `A record of ${encoded.length} bytes does not fit the ${capacity}-byte record ring.`,
      );
    for (;;) {
      const used = Atomics.load(this.counters, USED);
      if (capacity - used >= encoded.length) break;
      whenFull(used);
    }
    const first = Math.min(encoded.length, capacity - this.head);
    this.bytes.set(encoded.subarray(0, first), this.head);
    this.bytes.set(encoded.subarray(first), 0);
    this.head = (this.head + encoded.length) % capacity;
    // Last: the reader takes only bytes it sees counted.
    Atomics.add(this.counters, USED, encoded.length);
  }

  /** Blocks the calling thread until the count moves from `used` (or `timeoutMs` passes). */
  waitForRoom(used: number, timeoutMs: number): void {
    Atomics.wait(this.counters, USED, used, timeoutMs);
  }

  // The reader's side.

  /** The lines appended since the last take, in order. */
  take(): string[] {
    const used = Atomics.load(this.counters, USED);
    if (used === 0) return [];
    const capacity = this.bytes.length;
    const first = Math.min(used, capacity - this.tail);
    const copy = new Uint8Array(used);
    copy.set(this.bytes.subarray(this.tail, this.tail + first), 0);
    copy.set(this.bytes.subarray(0, used - first), first);
    this.tail = (this.tail + used) % capacity;
    Atomics.sub(this.counters, USED, used);
    Atomics.notify(this.counters, USED);
    const text = this.decoder.decode(copy);
    return text.slice(0, -1).split('\n');
  }
}
