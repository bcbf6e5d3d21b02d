import { expect, test } from '@playwright/test';
import { unescapeWinePath, WinePoolTrace } from '../../src/core/wine-pool-trace.ts';

const IMAGE = 'C:\\drvcycle\\images\\ffab860e0b7e39d0\\leak_small.sys';
const load = (pid: string) =>
  `${pid}:0188:trace:ntoskrnl:load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\ffab860e0b7e39d0\\\\leak_small.sys"`;

/** Lines as Wine 8 prints them with WINEDEBUG=+pid,+debugstr,trace+ntoskrnl (captured on the lab). */
function cycle(pid: string, leak: boolean): string[] {
  return [
    load(pid),
    `${pid}:0188:trace:ntoskrnl:ExAllocatePoolWithTag 4096 pool 0 -> 00000000014A0370`,
    ...(leak
      ? [`${pid}:0188:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A1380`]
      : []),
    `${pid}:0188:warn:debugstr:vDbgPrintExWithPrefix 00000000:00000001: drvcycle:leak_small: DriverEntry`,
    `${pid}:0188:trace:ntoskrnl:init_driver init done for L"dc_leak_small" obj 000000000034C410`,
    `${pid}:0188:trace:ntoskrnl:unload_driver L"\\\\Driver\\\\dc_leak_small"`,
    `${pid}:0188:trace:ntoskrnl:ExFreePoolWithTag 00000000014A0370`,
  ];
}

test('counts bytes the driver allocated and never freed, cycle by cycle, across host processes', () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [...cycle('017c', true), ...cycle('0194', true), ...cycle('01b0', true)].join('\n'),
  );
  expect(trace.series()).toEqual([
    { cycle: 1, outstandingBytes: 256, outstandingAllocations: 1 },
    { cycle: 2, outstandingBytes: 512, outstandingAllocations: 2 },
    { cycle: 3, outstandingBytes: 768, outstandingAllocations: 3 },
  ]);
});

test('a driver that frees what it allocates stays at zero', () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText([...cycle('017c', false), ...cycle('0194', false)].join('\n'));
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([0, 0]);
});

test("other processes' pool traffic and other drivers' loads are ignored", () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      '004c:0060:trace:ntoskrnl:ExAllocatePoolWithTag 280 pool 0 -> 00000000014A0370',
      '0150:0158:trace:ntoskrnl:load_driver loading driver L"C:\\\\windows\\\\system32\\\\drivers\\\\mountmgr.sys"',
      '0150:0158:trace:ntoskrnl:ExAllocatePoolWithTag 64 pool 0 -> 0000000000100000',
      ...cycle('017c', true),
      '004c:0060:trace:ntoskrnl:ExAllocatePoolWithTag 280 pool 0 -> 00000000014A0390',
    ].join('\n'),
  );
  expect(trace.series()).toEqual([{ cycle: 1, outstandingBytes: 256, outstandingAllocations: 1 }]);
});

test('frees of unknown addresses and a reused address are handled', () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      load('017c'),
      '017c:0188:trace:ntoskrnl:ExFreePoolWithTag 00000000DEADBEEF',
      '017c:0188:trace:ntoskrnl:ExAllocatePoolWithTag 100 pool 0 -> 0000000000000010',
      '017c:0188:trace:ntoskrnl:ExFreePool 0000000000000010',
      '017c:0188:trace:ntoskrnl:ExAllocatePoolWithTag 40 pool 1 -> 0000000000000010',
    ].join('\n'),
  );
  expect(trace.series()).toEqual([{ cycle: 1, outstandingBytes: 40, outstandingAllocations: 1 }]);
});

test('no load of the image means no samples', () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText('004c:0060:trace:ntoskrnl:ExAllocatePoolWithTag 280 pool 0 -> 00000000014A0370');
  expect(trace.series()).toEqual([]);
  expect(trace.cycles).toBe(0);
});

test("a host process id that Wine reuses does not hide the earlier host's leak", () => {
  // Own-host mode: every start gets a fresh winedevice; Wine recycles ids, and a fresh process
  // allocates at the same address. Seen on the lab after a few hundred cycles.
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [...cycle('017c', true), ...cycle('0194', true), ...cycle('017c', true)].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([256, 512, 768]);
  expect(trace.series().at(-1)!.outstandingAllocations).toBe(3);
});

test('a path with spaces and characters past ASCII is followed as Wine escapes it (\\XXXX)', () => {
  // The load line exactly as Wine 8 printed it for this image (lab, 2026-11-25).
  const image = 'C:\\drvcycle\\images\\e67c1157dfafa37e\\Drïver ünder tést 試験.sys';
  expect(
    unescapeWinePath(
      'C:\\\\drvcycle\\\\images\\\\e67c1157dfafa37e\\\\Dr\\00efver \\00fcnder t\\00e9st \\8a66\\9a13.sys',
    ),
  ).toBe(image.toLowerCase());
  const trace = new WinePoolTrace(image);
  trace.feedText(
    [
      '0130:013c:trace:ntoskrnl:load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\e67c1157dfafa37e\\\\Dr\\00efver \\00fcnder t\\00e9st \\8a66\\9a13.sys"',
      '0130:013c:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A0370',
      '0130:013c:trace:ntoskrnl:unload_driver L"\\\\Driver\\\\dc_uni"',
    ].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([256]);
});
