import { expect, test } from '@playwright/test';
import { RecordRing } from '../../src/target/record-ring.ts';

const small = () => {
  const writer = new RecordRing({
    bytes: new SharedArrayBuffer(32),
    counters: new SharedArrayBuffer(4),
  });
  return { writer, reader: new RecordRing(writer.buffers) };
};

const neverFull = () => {
  throw new Error('the ring should have had room');
};

test('lines come out whole and in order, each taken once', () => {
  const { writer, reader } = small();
  expect(reader.take()).toEqual([]);
  writer.append('{"cycle":1}', neverFull);
  writer.append('{"cycle":2}\n', neverFull);
  expect(reader.take()).toEqual(['{"cycle":1}', '{"cycle":2}']);
  expect(reader.take()).toEqual([]);
});

test('lines that run past the end of the ring wrap around to its start', () => {
  const { writer, reader } = small();
  for (let round = 0; round < 10; round++) {
    writer.append(`{"cycle":${round}}`, neverFull);
    writer.append('ünïcödé', neverFull);
    expect(reader.take()).toEqual([`{"cycle":${round}}`, 'ünïcödé']);
  }
});

test('a full ring asks for room until the reader has taken what it holds', () => {
  const { writer, reader } = small();
  const asked: number[] = [];
  // A fake owner on the same thread: asked once, it reads the ring.
  const taken: string[] = [];
  const whenFull = (used: number) => {
    asked.push(used);
    taken.push(...reader.take());
  };
  writer.append('0123456789', whenFull);
  writer.append('abcdefghij', whenFull);
  writer.append('ABCDEFGHIJ', whenFull); // 33 bytes with the newlines: no room for the third
  expect(asked).toEqual([22]);
  taken.push(...reader.take());
  expect(taken).toEqual(['0123456789', 'abcdefghij', 'ABCDEFGHIJ']);
});

test('a line larger than the whole ring is refused', () => {
  const { writer } = small();
  expect(() => writer.append('x'.repeat(40), neverFull)).toThrow(
    'A record of 41 bytes does not fit the 32-byte record ring.',
  );
});
