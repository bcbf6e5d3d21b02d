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
    { cycle: 1, outstandingBytes: 256, outstandingAllocations: 1, sharedBytes: 0 },
    { cycle: 2, outstandingBytes: 512, outstandingAllocations: 2, sharedBytes: 0 },
    { cycle: 3, outstandingBytes: 768, outstandingAllocations: 3, sharedBytes: 0 },
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
  expect(trace.series()).toEqual([
    { cycle: 1, outstandingBytes: 256, outstandingAllocations: 1, sharedBytes: 0 },
  ]);
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
  expect(trace.series()).toEqual([
    { cycle: 1, outstandingBytes: 40, outstandingAllocations: 1, sharedBytes: 0 },
  ]);
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

/** The first ntoskrnl line of every winedevice.exe (its PnP manager), as Wine 8 prints it. */
const hostStart = (pid: string) =>
  `${pid}:01a0:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\PnpManager", 000000031CAAA080)`;

test('a new host process under a reused id neither frees nor inherits the earlier host’s pool', () => {
  // Wine hands out process ids again once 512 have been used (server/process.c alloc_ptid): a
  // long own-host run reuses them. The new process frees an address the earlier one leaked, after
  // allocating it before the driver loaded (not the driver's): the leak must stay counted.
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      hostStart('017c'),
      ...cycle('017c', true),
      `017c:0188:trace:ntoskrnl:IoDeleteDriver (000000000034C410)`,
      hostStart('017c'),
      `017c:01a0:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A1380`,
      `017c:01a0:trace:ntoskrnl:ExFreePoolWithTag 00000000014A1380`,
      ...cycle('017c', true),
    ].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([256, 512]);
  expect(trace.series().at(-1)!.outstandingAllocations).toBe(2);
});

test('a host that died with the driver loaded does not make a new process under its id the driver’s', () => {
  // The earlier host crashed in the driver (no unload, no IoDeleteDriver); a new winedevice for
  // another driver gets its id. Its allocations are not the driver's.
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      hostStart('017c'),
      load('017c'),
      `017c:0188:trace:ntoskrnl:init_driver init done for L"dc_leak_small" obj 000000000034C410`,
      hostStart('017c'),
      `017c:01a0:trace:ntoskrnl:ExAllocatePoolWithTag 4096 pool 0 -> 00000000014A0370`,
    ].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([0]);
});

test('a host that ended (its PnP manager deleted) is over, even when its successor loads before creating its manager', () => {
  const trace = new WinePoolTrace(IMAGE);
  const [loadLine, entryAlloc, ...rest] = cycle('017c', false);
  trace.feedText(
    [
      hostStart('017c'),
      ...cycle('017c', true),
      `017c:0188:trace:ntoskrnl:IoDeleteDriver (000000000034C410)`,
      // pnp_manager_stop on the way out: an object no unload announced.
      `017c:01a0:trace:ntoskrnl:IoDeleteDriver (0000000000348BA0)`,
      // The next host under the same id; its service thread loads the driver first.
      loadLine!,
      entryAlloc!,
      hostStart('017c'),
      ...rest,
    ].join('\n'),
  );
  // The first host's 256 bytes stay lost; the second host's 4 KiB, freed at unload, is not a leak.
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([256, 256]);
  // Lost with its host: certain in its own cycle, not one later.
  expect(trace.leakCycle).toBe(1);
  expect(trace.certainAfterCycle).toBe(1);
});

test('in a shared host, the unload of a driver loaded before the trace began does not end the host', () => {
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      load('0130'),
      `0130:013c:trace:ntoskrnl:ExAllocatePoolWithTag 64 pool 0 -> 00000000014A0690`,
      `0130:013c:trace:ntoskrnl:init_driver init done for L"dc_leak_small" obj 000000000034C410`,
      `0130:013c:trace:ntoskrnl:unload_driver L"\\\\Driver\\\\dc_other"`,
      `0130:013c:trace:ntoskrnl:IoDeleteDriver (000000000034D9A0)`,
      `0130:013c:trace:ntoskrnl:unload_driver L"\\\\Driver\\\\dc_leak_small"`,
      `0130:013c:trace:ntoskrnl:ExFreePoolWithTag 00000000014A0690`,
      `0130:013c:trace:ntoskrnl:IoDeleteDriver (000000000034C410)`,
    ].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([0]);
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

test('in a shared host, what the driver allocates in its DriverEntry and DriverUnload counts, whatever else the host has loaded', () => {
  // As captured on the lab: host 013c keeps host_keeper.sys loaded; another driver under test
  // (clean.sys) is loaded there too and holds 4 KiB while leak_small.sys cycles.
  const host = '013c:0148:trace:ntoskrnl:';
  const dutCycle = (address: string, leakInUnload = false) => [
    `${host}ZwLoadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_dut")`,
    load('013c'),
    `${host}ExAllocatePoolWithTag 256 pool 0 -> ${address}`,
    `${host}init_driver init done for L"dc_dut" obj 000000000034D300`,
    `${host}ZwUnloadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_dut")`,
    `${host}unload_driver L"\\\\Driver\\\\dc_dut"`,
    ...(leakInUnload ? [`${host}ExAllocatePoolWithTag 32 pool 0 -> 0000000001500000`] : []),
    `${host}IoDeleteDriver (000000000034D300)`,
  ];
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      `${host}load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\0123456789abcdef\\\\host_keeper.sys"`,
      `${host}init_driver init done for L"drvcycle_host" obj 000000000034C470`,
      ...dutCycle('00000000014A1380'),
      `${host}load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\fb92312c9c119e01\\\\clean.sys"`,
      `${host}ExAllocatePoolWithTag 4096 pool 0 -> 00000000014A0370`,
      `${host}init_driver init done for L"dc_clean" obj 000000000034C9A0`,
      `${host}ExAllocatePoolWithTag 64 pool 0 -> 00000000014A2000`, // not ours: we are unloaded
      ...dutCycle('00000000014A1490', true),
      `${host}ExFreePoolWithTag 00000000014A1380`, // a free counts whenever it comes
    ].join('\n'),
  );
  expect(trace.series()).toEqual([
    { cycle: 1, outstandingBytes: 256, outstandingAllocations: 1, sharedBytes: 0 },
    { cycle: 2, outstandingBytes: 256 + 32, outstandingAllocations: 2, sharedBytes: 0 },
  ]);
});

test('in a shared host, an allocation between brackets is the driver’s only while it is the one driver loaded', () => {
  const host = '013c:0148:trace:ntoskrnl:';
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      `${host}load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\0123456789abcdef\\\\host_keeper.sys"`,
      `${host}init_driver init done for L"drvcycle_host" obj 000000000034C470`,
      load('013c'),
      `${host}init_driver init done for L"dc_dut" obj 000000000034D300`,
      `${host}ExAllocatePoolWithTag 100 pool 0 -> 0000000001600000`, // only ours (and the keeper) loaded
      `${host}load_driver loading driver L"C:\\\\drvcycle\\\\images\\\\fb92312c9c119e01\\\\clean.sys"`,
      `${host}init_driver init done for L"dc_clean" obj 000000000034C9A0`,
      `${host}ExAllocatePoolWithTag 40 pool 0 -> 0000000001600100`, // ours or clean's: shared
      `${host}unload_driver L"\\\\Driver\\\\dc_clean"`,
      `${host}ExAllocatePoolWithTag 8 pool 0 -> 0000000001600200`, // clean's DriverUnload
      `${host}IoDeleteDriver (000000000034C9A0)`,
      `${host}unload_driver L"\\\\Driver\\\\dc_dut"`,
      `${host}IoDeleteDriver (000000000034D300)`,
    ].join('\n'),
  );
  expect(trace.series()).toEqual([
    { cycle: 1, outstandingBytes: 100, outstandingAllocations: 1, sharedBytes: 40 },
  ]);
});

test('a DriverEntry that fails ends its bracket at the deletion of its driver object', () => {
  const host = '013c:0148:trace:ntoskrnl:';
  const trace = new WinePoolTrace(IMAGE);
  trace.feedText(
    [
      load('013c'),
      `${host}ExAllocatePoolWithTag 16 pool 0 -> 0000000001600000`,
      `${host}IoDeleteDriver (000000000034D300)`,
      `${host}ExAllocatePoolWithTag 500 pool 0 -> 0000000001600100`, // not ours: we never loaded
    ].join('\n'),
  );
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([16]);
});

test('stopAtLeak: loads a target ran past a certain leak (before it saw the stop) are not counted', () => {
  // One shared host; each cycle leaks 256 bytes at its own address. The leak of cycle 1 is
  // certain at cycle 2's unload (here: when cycle 3 loads); cycles 3-5 ran on before the stop.
  const lines = [1, 2, 3, 4, 5].flatMap((n) =>
    cycle('0100', false).flatMap((line) =>
      line.includes('DriverEntry')
        ? [`0100:0188:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014B${n}000`, line]
        : [line],
    ),
  );
  const whole = new WinePoolTrace(IMAGE);
  whole.feedText(lines.join('\n'));
  expect(whole.cycles).toBe(5);
  const stopped = new WinePoolTrace(IMAGE, { stopAtLeak: true });
  stopped.feedText(lines.join('\n'));
  expect(stopped.leakCycle).toBe(1);
  expect(stopped.certainAfterCycle).toBe(2);
  expect(stopped.cycles).toBe(2);
  expect(stopped.loadsPastLeak).toBe(3);
  expect(stopped.series().map((s) => s.outstandingBytes)).toEqual([256, 512]);
  expect(stopped.leftAllocated().count).toBe(2);
});
