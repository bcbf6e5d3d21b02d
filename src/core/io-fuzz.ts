/**
 * The I/O table's fuzz mode, Device Path Exerciser's way: each operation of the table called again
 * with hostile buffers (none, short, huge, misaligned, NULL with a length, random bytes) and
 * cancelled while pending. The random bytes come from a seeded PRNG (mulberry32), drawn per
 * cycle and operation from the table's seed, so a verdict's seed and cycle replay the same calls.
 * A fuzz call may end with any status: it fails only by hanging or by taking the driver down.
 */
import type { IoOperation } from './io-table.ts';
import { mulberry32 } from './seeded-random.ts';

/** One hostile call of an operation. `input: null` with a length is a NULL pointer and that length. */
export interface FuzzCall {
  readonly label: string;
  readonly input: Uint8Array | null;
  readonly inputLength: number;
  readonly outputLength: number;
  readonly nullOutput?: boolean;
  readonly misaligned?: boolean;
  /** Cancel it at once (CancelIoEx right after the call), as a process that exits mid-call does. */
  readonly cancelAtOnce?: boolean;
}

export const HUGE_BUFFER = 64 * 1024;
const NULL_LENGTH = 16;

/** The fuzz cases' bytes and seeds: mulberry32's 32-bit draws. */
export const prng = mulberry32;

/** A fresh seed for a table that names none (the verdict names it, so the run can be replayed). */
export function drawSeed(random: () => number = Math.random): number {
  return Math.floor(random() * 0x1_0000_0000) >>> 0;
}

/**
 * The seed of one operation's random calls in one cycle: the table's seed, the cycle, the
 * operation's name. By name, not position: a table cut to some of its operations (a repro's
 * ddmin, a leak's per-operation phases) sends each kept operation the same calls as the whole one.
 */
export function callSeed(seed: number, cycle: number, operation: string): number {
  const next = prng(
    (seed ^ Math.imul(cycle, 0x9e3779b1) ^ Math.imul(fnv1a(operation), 0x85ebca6b)) >>> 0,
  );
  return next();
}

/** FNV-1a, 32 bits: an operation name as a number. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = next() & 0xff;
  return bytes;
}

/** The operation's own buffers: its input bytes and lengths, as the table gives them. */
function own(op: IoOperation): { input: Uint8Array; inputLength: number; outputLength: number } {
  if (op.kind === 'ioctl') {
    const input = new Uint8Array(op.inputSize);
    for (let i = 0; i < op.inputHex.length / 2; i++)
      input[i] = parseInt(op.inputHex.slice(2 * i, 2 * i + 2), 16);
    return { input, inputLength: op.inputSize, outputLength: op.outputSize };
  }
  if (op.kind === 'read')
    return { input: new Uint8Array(0), inputLength: 0, outputLength: op.read };
  const input = new Uint8Array(op.write.length / 2);
  for (let i = 0; i < input.length; i++) input[i] = parseInt(op.write.slice(2 * i, 2 * i + 2), 16);
  return { input, inputLength: input.length, outputLength: 0 };
}

/**
 * The fuzz calls of one operation in one cycle: the fixed cases that apply to its kind, then
 * `randomCalls` calls of random lengths and bytes from `seed`.
 */
export function fuzzCalls(op: IoOperation, seed: number, randomCalls: number): FuzzCall[] {
  const mine = own(op);
  const takesInput = op.kind !== 'read';
  const givesOutput = op.kind !== 'write';
  const calls: FuzzCall[] = [
    { label: 'zero buffers', input: new Uint8Array(0), inputLength: 0, outputLength: 0 },
  ];
  if (takesInput && mine.inputLength > 0)
    calls.push({
      label: 'short input',
      input: mine.input.subarray(0, mine.inputLength - 1),
      inputLength: mine.inputLength - 1,
      outputLength: mine.outputLength,
    });
  if (givesOutput && mine.outputLength > 0)
    calls.push({
      label: 'short output',
      input: mine.input,
      inputLength: mine.inputLength,
      outputLength: mine.outputLength - 1,
    });
  calls.push({
    label: 'huge buffers',
    input: takesInput ? new Uint8Array(HUGE_BUFFER) : new Uint8Array(0),
    inputLength: takesInput ? HUGE_BUFFER : 0,
    outputLength: givesOutput ? HUGE_BUFFER : 0,
  });
  calls.push({ label: 'misaligned buffers', ...mine, misaligned: true });
  if (takesInput)
    calls.push({
      label: 'NULL input',
      input: null,
      inputLength: Math.max(mine.inputLength, NULL_LENGTH),
      outputLength: mine.outputLength,
    });
  if (givesOutput)
    calls.push({
      label: 'NULL output',
      input: mine.input,
      inputLength: mine.inputLength,
      outputLength: Math.max(mine.outputLength, NULL_LENGTH),
      nullOutput: true,
    });
  const next = prng(seed);
  const span = Math.max(mine.inputLength, mine.outputLength, NULL_LENGTH) * 2;
  for (let i = 1; i <= randomCalls; i++) {
    const inputLength = takesInput ? next() % (span + 1) : 0;
    calls.push({
      label: `random bytes #${i}`,
      input: randomBytes(next, inputLength),
      inputLength,
      outputLength: givesOutput ? next() % (span + 1) : 0,
    });
  }
  calls.push({ label: 'cancel while pending', ...mine, cancelAtOnce: true });
  return calls;
}
