import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import {
  describeLeak,
  LeakLedger,
  leakListMarkdown,
  LISTED_ALLOCATIONS,
  sizeText,
} from '../../src/core/pool-leaks.ts';
import { poolTagText } from '../../src/core/wine-pool-callers.ts';
import { WinePoolTrace } from '../../src/core/wine-pool-trace.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const LEAK_SMALL = 'C:\\drvcycle\\images\\3c710532ff52753f\\leak_small.sys';
const CLEAN = 'C:\\drvcycle\\images\\5f1a9efe280a80dc\\clean.sys';

test('the relay line gives each allocation its tag and caller (real lab trace of leak_small, 3 cycles)', () => {
  const trace = new WinePoolTrace(LEAK_SMALL);
  trace.feedText(fixture('wine-relay-leak_small.txt'));
  const left = trace.leftAllocated();
  expect(left.allocations().listed).toEqual(
    [1, 2, 3].map((cycle) => ({
      cycle,
      size: 256,
      poolType: 0,
      tag: 'DcLs',
      caller: { image: 'leak_small.sys', offset: 0x103c },
      callerAddress: undefined,
    })),
  );
  // Cycle 1's buffer outlived cycle 2's unload (read at cycle 3's load): leak@1.
  expect(trace.leakCycle).toBe(1);
  const sites = left.callSites((site) => (site.offset === 0x103c ? 'DriverEntry' : undefined));
  expect(describeLeak(sites, 1)).toBe(
    '1 allocation alive after unload: DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)',
  );
});

test('a driver that frees its buffer at unload leaves nothing (real lab trace of clean, 2 cycles)', () => {
  const trace = new WinePoolTrace(CLEAN);
  trace.feedText(fixture('wine-relay-clean.txt'));
  trace.unloadDone(2);
  expect(trace.cycles).toBe(2);
  expect(trace.leakCycle).toBeUndefined();
  expect(trace.leftAllocated().count).toBe(0);
  expect(trace.series().map((s) => s.outstandingBytes)).toEqual([0, 0]);
});

test('the leak is certain as soon as the next cycle has unloaded, not before', () => {
  const lines = fixture('wine-relay-leak_small.txt').split('\n');
  const secondLoad = lines.findIndex((l, i) => i > 5 && l.includes('load_driver loading driver'));
  const trace = new WinePoolTrace(LEAK_SMALL);
  trace.feedText(lines.slice(0, secondLoad).join('\n'));
  trace.unloadDone(1);
  // Alive after its own unload, but the next load might still free it.
  expect(trace.leakCycle).toBeUndefined();
  expect(trace.madeByLastCycle()).toBe(1);
  const thirdLoad = lines.findIndex(
    (l, i) => i > secondLoad && l.includes('load_driver loading driver'),
  );
  trace.feedText(lines.slice(secondLoad, thirdLoad).join('\n'));
  trace.unloadDone(2);
  expect(trace.leakCycle).toBe(1);
});

/** Fake trace lines (the lab's format): a driver that frees the previous load's buffer. */
function lateFreeCycle(pid: string, alloc: string, free: string | undefined): string[] {
  const t = `${pid}:0148:trace:ntoskrnl:`;
  return [
    `${t}load_driver loading driver L"C:\\\\late.sys"`,
    ...(free ? [`${t}ExFreePoolWithTag ${free}`] : []),
    `${pid}:0148:Call ntoskrnl.exe.ExAllocatePoolWithTag(00000000,00000040,6574614c) ret=296ad1050`,
    `${t}ExAllocatePoolWithTag 64 pool 0 -> ${alloc}`,
    `${t}init_driver init done for L"dc_late" obj 0000000000379E30`,
    `${t}unload_driver L"\\\\Driver\\\\dc_late"`,
    `${t}IoDeleteDriver (0000000000379E30)`,
  ];
}

test('a buffer freed one cycle late (by the next load) is not a leak', () => {
  const trace = new WinePoolTrace('C:\\late.sys');
  trace.feedText(
    [
      ...lateFreeCycle('013c', '00000000014A0100', undefined),
      ...lateFreeCycle('013c', '00000000014A0200', '00000000014A0100'),
      ...lateFreeCycle('013c', '00000000014A0300', '00000000014A0200'),
    ].join('\n'),
  );
  trace.unloadDone(3);
  expect(trace.leakCycle).toBeUndefined();
  // One buffer is alive after every unload: the one the next load frees.
  expect(trace.series().map((s) => s.outstandingAllocations)).toEqual([1, 1, 1]);
  expect(trace.madeByLastCycle()).toBe(1);
  // Without a caller image known, the site is the bare return address.
  expect(trace.leftAllocated().allocations().listed[0]).toMatchObject({
    tag: 'Late',
    callerAddress: '0x296ad1050',
  });
});

test('freed two cycles late is a leak of the first cycle', () => {
  const trace = new WinePoolTrace('C:\\late.sys');
  trace.feedText(
    [
      ...lateFreeCycle('013c', '00000000014A0100', undefined),
      ...lateFreeCycle('013c', '00000000014A0200', undefined),
      ...lateFreeCycle('013c', '00000000014A0300', '00000000014A0100'),
    ].join('\n'),
  );
  expect(trace.leakCycle).toBe(1);
});

test('an allocation its host process took with it is leaked at once', () => {
  const trace = new WinePoolTrace('C:\\late.sys');
  trace.feedText(
    [
      '013c:0140:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\PnpManager", 000000031CAAA080)',
      ...lateFreeCycle('013c', '00000000014A0100', undefined),
      // pnp_manager_stop on the way out: the host process ends.
      '013c:0140:trace:ntoskrnl:IoDeleteDriver (0000000000348BA0)',
    ].join('\n'),
  );
  expect(trace.leakCycle).toBe(1);
  expect(trace.leftAllocated().allocations().listed[0]).toMatchObject({ cycle: 1, lost: true });
});

test('pool tags print as four characters, or as hex when not printable', () => {
  expect(poolTagText(0x734c6344)).toBe('DcLs');
  expect(poolTagText(0)).toBe('0x00000000');
  expect(poolTagText(0x01020304)).toBe('0x01020304');
});

test('the ledger lists the first allocations one by one and counts every one by call site', () => {
  const ledger = new LeakLedger();
  for (let cycle = 1; cycle <= LISTED_ALLOCATIONS + 10; cycle++)
    ledger.add({
      cycle,
      size: 32,
      poolType: 1,
      tag: 'DcEv',
      caller: { image: 'x.sys', offset: 0x20 },
    });
  ledger.add({ cycle: 5, size: 8, poolType: 512 });
  const { listed, omitted } = ledger.allocations();
  expect(listed).toHaveLength(LISTED_ALLOCATIONS);
  expect(omitted).toBe(11);
  const sites = ledger.callSites();
  expect(sites.map((s) => [s.site, s.count, s.bytes])).toEqual([
    ['x.sys+0x20', LISTED_ALLOCATIONS + 10, 32 * (LISTED_ALLOCATIONS + 10)],
    [undefined, 1, 8],
  ]);
  expect(describeLeak(sites, 61, 1)).toBe(
    '61 allocations alive after unload: DcEv 32 B × 1 per cycle (PagedPool) from x.sys+0x20; and 1 more call site',
  );
  expect(describeLeak(sites.slice(1), 1)).toBe(
    '1 allocation alive after unload: untagged 8 B × 1 in cycle 5 (NonPagedPoolNx) from a caller the trace did not name',
  );
});

test('ledgers of two machines of one run merge, the later one’s cycles shifted', () => {
  const first = new LeakLedger();
  first.add({ cycle: 5, size: 16, tag: 'DcE5' });
  const second = new LeakLedger();
  second.add({ cycle: 5, size: 16, tag: 'DcE5' });
  const run = new LeakLedger();
  run.merge(first, 0);
  run.merge(second, 7);
  expect(run.firstCycle).toBe(5);
  expect(run.callSites()[0]).toMatchObject({ count: 2, perCycle: { 5: 1, 12: 1 } });
});

test('sizes print in the largest unit that divides them', () => {
  expect(sizeText(256)).toBe('256 B');
  expect(sizeText(4096)).toBe('4 KiB');
  expect(sizeText(1_048_576)).toBe('1 MiB');
  expect(sizeText(1_048_577)).toBe('1048577 B');
});

test('the attached list shows the call sites, then each allocation, and what it left out', () => {
  const ledger = new LeakLedger();
  for (let cycle = 1; cycle <= LISTED_ALLOCATIONS + 2; cycle++)
    ledger.add({
      cycle,
      size: 256,
      poolType: 0,
      tag: 'Dc|s',
      caller: { image: 'x.sys', offset: 0x103c },
    });
  ledger.add({ cycle: 3, size: 16, lost: true });
  const { listed, omitted } = ledger.allocations();
  const markdown = leakListMarkdown({
    driver: 'dc_x',
    leakCycle: 1,
    callSites: ledger.callSites((site) => (site.offset === 0x103c ? 'DriverEntry' : undefined)),
    allocations: listed,
    omitted,
  });
  expect(markdown).toContain('# dc_x: leak at cycle 1');
  expect(markdown).toContain(
    `| Dc\\|s | 256 | NonPagedPool | ${LISTED_ALLOCATIONS + 2} | ${256 * (LISTED_ALLOCATIONS + 2)} | x.sys+0x103c | DriverEntry | 1, 2, 3,`,
  );
  expect(markdown).toContain('| 1 | Dc\\|s | 256 | NonPagedPool | x.sys+0x103c |  |');
  expect(markdown).toContain('3 more allocations not listed (counted above).');
});
