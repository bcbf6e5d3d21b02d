/** A PnP driver's callbacks per cycle, from Wine's ntoskrnl trace as the lab captured it. */
import { expect, test } from '@playwright/test';
import { pnpCallbacks } from '../../src/core/wine-pnp-trace.ts';

/** One remove/stop/re-add cycle of a PnP driver (service dc_tr), as captured on the lab. */
const up = (host: string) => [
  `${host}:0140:trace:ntoskrnl:ZwLoadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_tr")`,
  `${host}:0140:trace:ntoskrnl:IoCreateDriver (L"\\\\Driver\\\\dc_tr", 000000031CA9F900)`,
  `${host}:0140:trace:ntoskrnl:load_driver loading driver L"C:\\\\windows\\\\system32\\\\drivers\\\\dc_tr.sys"`,
  `${host}:0140:warn:debugstr:vDbgPrintExWithPrefix 00000000:00000001: drvcycle:pnp_clean: DriverEntry`,
  `${host}:0140:trace:ntoskrnl:init_driver init done for L"dc_tr" obj 000000000034C410`,
  `${host}:0140:trace:ntoskrnl:IoCreateDevice (0000000000348BB0, 424, <null>, 4, 80, 0, 0000000001A9F7F8)`,
  `${host}:0140:trace:ntoskrnl:ZwLoadDriver driver L"\\\\Driver\\\\dc_tr" already loaded`,
  `${host}:0140:trace:ntoskrnl:IoCreateDevice (000000000034C410, 40, <null>, 34, 100, 0, 0000000001A9F238)`,
  `${host}:0140:trace:ntoskrnl:IoAttachDeviceToDeviceStack 000000000034EB70, 000000000034E860`,
  `${host}:0140:trace:ntoskrnl:IoBuildSynchronousFsdRequest (27 000000000034EB70 0000000000000000 0 0000000000000000 0000000001A9F740)`,
];
const down = (host: string, { removed = true, unloaded = true } = {}) => [
  `${host}:0140:trace:ntoskrnl:IoBuildSynchronousFsdRequest (27 000000000034EB70 0000000000000000 0 0000000000000000 0000000001A9F800)`,
  `${host}:0140:trace:ntoskrnl:IoBuildSynchronousFsdRequest (27 000000000034EB70 0000000000000000 0 0000000000000000 0000000001A9F800)`,
  ...(removed ? [`${host}:0140:trace:ntoskrnl:IoDeleteDevice 000000000034EB70`] : []),
  ...(unloaded
    ? [
        `${host}:0140:trace:ntoskrnl:ZwUnloadDriver (L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_tr")`,
        `${host}:0140:trace:ntoskrnl:unload_driver L"\\\\Driver\\\\dc_tr"`,
        `${host}:0140:trace:ntoskrnl:IoDeleteDriver (000000000034C410)`,
      ]
    : []),
];
// The mount manager's host traces IRPs too: never counted.
const noise = [
  '004c:0060:trace:ntoskrnl:IoBuildSynchronousFsdRequest (27 000000000034CEB0 0000000000000000 0 0000000000000000 0000000000C812E0)',
  '004c:0060:trace:ntoskrnl:IoDeleteDevice 000000000034CEB0',
];

test('every callback once per cycle, across host processes, whatever else is traced', () => {
  const trace = [...up('0134'), ...noise, ...down('0134'), ...up('0160'), ...down('0160')].join(
    '\n',
  );
  const once = { driverEntry: 1, addDevice: 1, pnpIrps: 3, devicesDeleted: 1, driverUnload: 1 };
  expect(pnpCallbacks(trace, 'dc_tr')).toEqual([
    { cycle: 1, ...once },
    { cycle: 2, ...once },
  ]);
  expect(pnpCallbacks(trace, 'dc_other')).toEqual([]);
});

test('a REMOVE_DEVICE that never returned: the device is not deleted and DriverUnload never runs', () => {
  const trace = [...up('0134'), ...down('0134', { removed: false, unloaded: false })].join('\n');
  expect(pnpCallbacks(trace, 'dc_tr')).toEqual([
    { cycle: 1, driverEntry: 1, addDevice: 1, pnpIrps: 3, devicesDeleted: 0, driverUnload: 0 },
  ]);
});
