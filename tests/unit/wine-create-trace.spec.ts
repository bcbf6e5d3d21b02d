/**
 * An open the driver never completes, as the lab's driver host traced it (Wine 8 does not make
 * CreateFileW wait for IRP_MJ_CREATE). The fixtures are the lines that matter of two lab runs of
 * two cycles each with a one-IOCTL table: io_hang_create (its create held pending until its
 * unload cancels it) beside another Wine host's own opens, and io_clean.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parseIoTable } from '../../src/core/io-table.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { pendingDeviceIrps } from '../../src/core/wine-create-trace.ts';
import { pendingOpenOrClose } from '../../src/families/io-host-trace.ts';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');

test('a create left pending until after the device was closed is found, in each cycle’s host', () => {
  const found = pendingDeviceIrps(fixture('wine-io-hang-create.txt'), 'io_hang_create.sys');
  expect(found.map((f) => [f.operation, f.open, f.irp])).toEqual([
    ['open', 1, '00000000014A0370'],
    ['open', 2, '00000000014A0370'],
  ]);
  expect(found[0]!.lines).toEqual([
    '0130:0140:trace:ntoskrnl:dispatch_create device 0000000000376FC0 -> file 0000000000379F40',
    '0130:0140:Call driver dispatch 000000027E171380 (device=0000000000376FC0,irp=00000000014A0370)',
    '0130:0140:Ret  driver dispatch 000000027E171380 (device=0000000000376FC0,irp=00000000014A0370) retval=00000103',
    '0130:0140:trace:ntoskrnl:dispatch_close device 0000000000376FC0 file 0000000000379F40',
  ]);
});

test('opens completed at once, and other hosts’ devices, are not reported', () => {
  expect(pendingDeviceIrps(fixture('wine-io-clean.txt'), 'io_clean.sys')).toEqual([]);
  // The other Wine host's opens in the same text are not the driver's.
  expect(pendingDeviceIrps(fixture('wine-io-hang-create.txt'), 'io_clean.sys')).toEqual([]);
});

test('a create completed after a while, before the close, is not pending; a close never completed is', () => {
  const host = '0130:013c:trace:ntoskrnl:load_driver loading driver L"C:\\\\x\\\\late.sys"';
  const create = [
    '0130:0140:trace:ntoskrnl:dispatch_create device 0000000000376FC0 -> file 0000000000379F40',
    '0130:0140:Call driver dispatch 000000027E171380 (device=0000000000376FC0,irp=00000000014A0370)',
    '0130:0140:Ret  driver dispatch 000000027E171380 (device=0000000000376FC0,irp=00000000014A0370) retval=00000103',
  ];
  const completed = '0130:0144:trace:ntoskrnl:IofCompleteRequest 00000000014A0370 0';
  const close = [
    '0130:0140:trace:ntoskrnl:dispatch_close device 0000000000376FC0 file 0000000000379F40',
    '0130:0140:Call driver dispatch 000000027E1710D0 (device=0000000000376FC0,irp=00000000014A0490)',
    '0130:0140:Ret  driver dispatch 000000027E1710D0 (device=0000000000376FC0,irp=00000000014A0490) retval=00000103',
  ];
  expect(
    pendingDeviceIrps([host, ...create, completed, ...close.slice(0, 1)].join('\n'), 'late.sys'),
  ).toEqual([]);
  const closeLeft = pendingDeviceIrps(
    [host, ...create, completed, ...close].join('\n'),
    'late.sys',
  );
  expect(closeLeft.map((f) => [f.operation, f.open, f.irp])).toEqual([
    ['close', 1, '00000000014A0490'],
  ]);
  expect(closeLeft[0]!.lines.at(-1)).toBe('(end of trace)');
});

test('the lab’s verdict: a hang in io naming the open and the device, at the cycle of that open', () => {
  const io = parseIoTable(
    JSON.parse(
      readFileSync(path.join(packagePaths.driverIoTables(), 'io_hang_create.json'), 'utf8'),
    ),
    'io_hang_create.json',
  );
  const verdict = pendingOpenOrClose(fixture('wine-io-hang-create.txt'), {
    driver: 'dc_ep_io_hang_create',
    scenario: 'cycles',
    driverFile: 'io_hang_create.sys',
    io,
    firstCycle: 1,
    ioMsByCycle: new Map([[1, 8.4]]),
  })!;
  expect(verdict.kind).toBe('hang');
  expect(verdict.summary).toBe(
    "HANG in io at cycle 1: open \\\\.\\DcIoHangCreate never completed: the driver's dispatch routine returned STATUS_PENDING for its IRP_MJ_CREATE and the IRP was still pending when the device was closed, after the table's calls (8 ms); under Wine the caller does not wait for it (on Windows it would still be waiting): seen in the driver host's trace",
  );
  expect(verdict.evidence).toMatchObject({
    operation: 'open',
    device: '\\\\.\\DcIoHangCreate',
    boundMs: 2000,
    state: 'STOPPED',
    hostTrace: expect.arrayContaining([expect.stringContaining('retval=00000103')]),
  });
  expect(
    pendingOpenOrClose(fixture('wine-io-clean.txt'), {
      driver: 'dc_ep_io_clean',
      scenario: 'cycles',
      driverFile: 'io_clean.sys',
      io,
      firstCycle: 1,
      ioMsByCycle: new Map(),
    }),
  ).toBeUndefined();
});
