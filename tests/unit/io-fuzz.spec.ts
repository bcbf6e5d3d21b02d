/**
 * The fuzz mode's calls: the fixed hostile cases each operation kind gets, random calls that a
 * seed replays exactly, and the agent's check of a table sent with a batch.
 */
import { expect, test } from '@playwright/test';
import { validateCycles } from '../../src/agent/validation.ts';
import { AgentRequestError } from '../../src/core/errors.ts';
import { callSeed, drawSeed, fuzzCalls, HUGE_BUFFER, prng } from '../../src/core/io-fuzz.ts';
import { parseIoTable } from '../../src/core/io-table.ts';

const [ioctl, read, write] = parseIoTable(
  {
    device: '\\\\.\\A',
    operations: [
      { name: 'alloc', ioctl: '0x222004', inputHex: '01000000', outputSize: 8 },
      { name: 'read', read: 16 },
      { name: 'write', write: 'aabb' },
    ],
  },
  'x',
).operations;

test('the PRNG is mulberry32: the same seed gives the same numbers everywhere', () => {
  const next = prng(42);
  const first = [next(), next(), next()];
  expect(first).toEqual([2581720956, 1925393290, 3661312704]);
  const again = prng(42);
  expect([again(), again(), again()]).toEqual(first);
  expect(prng(43)()).not.toBe(first[0]);
  expect(drawSeed(() => 0.5)).toBe(0x8000_0000);
  // Each cycle and operation draws its own seed from the table's.
  expect(callSeed(42, 1, 'get')).not.toBe(callSeed(42, 2, 'get'));
  expect(callSeed(42, 1, 'get')).not.toBe(callSeed(42, 1, 'alloc'));
  expect(callSeed(42, 1, 'get')).toBe(callSeed(42, 1, 'get'));
});

test('each kind gets the hostile cases that apply to it, then the random calls, then a cancel', () => {
  expect(fuzzCalls(ioctl!, 1, 2).map((c) => [c.label, c.inputLength, c.outputLength])).toEqual([
    ['zero buffers', 0, 0],
    ['short input', 3, 8],
    ['short output', 4, 7],
    ['huge buffers', HUGE_BUFFER, HUGE_BUFFER],
    ['misaligned buffers', 4, 8],
    ['NULL input', 16, 8],
    ['NULL output', 4, 16],
    ['random bytes #1', expect.any(Number), expect.any(Number)],
    ['random bytes #2', expect.any(Number), expect.any(Number)],
    ['cancel while pending', 4, 8],
  ]);
  const calls = fuzzCalls(ioctl!, 1, 2);
  expect(calls.find((c) => c.label === 'NULL input')!.input).toBeNull();
  expect(calls.find((c) => c.label === 'NULL output')!.nullOutput).toBe(true);
  expect(calls.find((c) => c.label === 'misaligned buffers')!.misaligned).toBe(true);
  expect(calls.at(-1)!.cancelAtOnce).toBe(true);
  for (const c of calls.filter((x) => x.label.startsWith('random'))) {
    expect(c.input!.length).toBe(c.inputLength);
    expect(c.inputLength).toBeLessThanOrEqual(32);
  }
  expect(fuzzCalls(read!, 1, 0).map((c) => c.label)).toEqual([
    'zero buffers',
    'short output',
    'huge buffers',
    'misaligned buffers',
    'NULL output',
    'cancel while pending',
  ]);
  expect(fuzzCalls(write!, 1, 1).map((c) => [c.label, c.inputLength, c.outputLength])).toEqual([
    ['zero buffers', 0, 0],
    ['short input', 1, 0],
    ['huge buffers', HUGE_BUFFER, 0],
    ['misaligned buffers', 2, 0],
    ['NULL input', 16, 0],
    ['random bytes #1', expect.any(Number), 0],
    ['cancel while pending', 2, 0],
  ]);
});

test('a seed replays the random bytes; another seed draws others', () => {
  const bytes = (seed: number) =>
    fuzzCalls(ioctl!, seed, 3)
      .filter((c) => c.label.startsWith('random'))
      .map((c) => [...c.input!]);
  expect(bytes(7)).toEqual(bytes(7));
  expect(bytes(7)).not.toEqual(bytes(8));
});

test('the agent checks a batch’s I/O table with the same rules, as a refused request', () => {
  const table = { device: '\\\\.\\A', operations: [{ name: 'get', ioctl: '0x222000' }] };
  expect(validateCycles({ count: 2, io: table }).io?.operations[0]).toMatchObject({
    ioctl: 0x222000,
  });
  let refused: unknown;
  try {
    validateCycles({ count: 2, io: { device: 'C:\\x', operations: [] } });
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(AgentRequestError);
  expect((refused as AgentRequestError).problem).toContain(
    '`io`: "device" "C:\\\\x" is not a Win32 device path.',
  );
});
