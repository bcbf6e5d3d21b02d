import { expect, test } from '@playwright/test';
import {
  decodeEvent,
  concernsDriver,
  eventQueryXPath,
  formatEvent,
  win32Insertion,
} from '../../src/windows/events/decode.ts';
import { parseEventXml } from '../../src/windows/events/event-xml.ts';

/** Event XML as EvtRender(EvtRenderEventXml) renders it on Windows 10/11. */
function eventXml(
  provider: string,
  id: number,
  data: string,
  level = 2,
  channel = 'System',
): string {
  return `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='${provider}' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='${provider}'/><EventID Qualifiers='49152'>${id}</EventID><Version>0</Version><Level>${level}</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2026-11-25T10:15:02.4869815Z'/><EventRecordID>4711</EventRecordID><Correlation/><Execution ProcessID='812' ThreadID='4480'/><Channel>${channel}</Channel><Computer>WIN-DRVTEST</Computer><Security/></System><EventData>${data}</EventData></Event>`;
}

const SCM = 'Service Control Manager';
const cases: [string, number, string, string, boolean][] = [
  [
    SCM,
    7000,
    "<Data Name='param1'>dc_entry_fail_resources</Data><Data Name='param2'>%%1450</Data>",
    'service dc_entry_fail_resources failed to start: 1450 ERROR_NO_SYSTEM_RESOURCES',
    true,
  ],
  [
    SCM,
    7009,
    "<Data Name='param1'>30000</Data><Data Name='param2'>dc_slow</Data>",
    'timed out (30000 ms) waiting for service dc_slow to connect',
    true,
  ],
  [
    SCM,
    7011,
    "<Data Name='param1'>30000</Data><Data Name='param2'>dc_hang</Data>",
    'timed out (30000 ms) waiting for a transaction response from service dc_hang',
    true,
  ],
  [SCM, 7022, "<Data Name='param1'>dc_slow</Data>", 'service dc_slow hung on starting', true],
  [
    SCM,
    7023,
    "<Data Name='param1'>dc_x</Data><Data Name='param2'>%%87</Data>",
    'service dc_x terminated with error 87 ERROR_INVALID_PARAMETER',
    true,
  ],
  [
    SCM,
    7026,
    "<Data Name='param1'>&#xA;dc_boot</Data>",
    'boot-start or system-start driver(s) failed to load: dc_boot',
    true,
  ],
  [
    SCM,
    7031,
    "<Data Name='param1'>dc_x</Data><Data Name='param2'>1</Data><Data Name='param3'>0</Data>",
    'service dc_x terminated unexpectedly (1 time(s))',
    true,
  ],
  [
    SCM,
    7034,
    "<Data Name='param1'>dc_x</Data><Data Name='param2'>2</Data>",
    'service dc_x terminated unexpectedly (2 time(s))',
    true,
  ],
  [
    SCM,
    7036,
    "<Data Name='param1'>dc_clean</Data><Data Name='param2'>running</Data><Binary>6400630000000000</Binary>",
    'service dc_clean entered the running state',
    false,
  ],
  [
    SCM,
    7045,
    "<Data Name='ServiceName'>dc_clean</Data><Data Name='ImagePath'>C:\\drvcycle\\images\\ab\\clean.sys</Data><Data Name='ServiceType'>kernel mode driver</Data><Data Name='StartType'>demand start</Data><Data Name='AccountName'></Data>",
    'service dc_clean installed: C:\\drvcycle\\images\\ab\\clean.sys (kernel mode driver, demand start)',
    false,
  ],
  [
    'Microsoft-Windows-WER-SystemErrorReporting',
    1001,
    "<Data Name='param1'>0x000000d1 (0x0000000000000000, 0x0000000000000002, 0x0000000000000001, 0xfffff80512341025)</Data><Data Name='param2'>C:\\Windows\\MEMORY.DMP</Data><Data Name='param3'>d4c1e0a1-0000-0000-0000-000000000000</Data>",
    'the computer rebooted from a bugcheck: 0x000000d1 (0x0000000000000000, 0x0000000000000002, 0x0000000000000001, 0xfffff80512341025); dump C:\\Windows\\MEMORY.DMP',
    true,
  ],
  [
    'Microsoft-Windows-Kernel-Power',
    41,
    "<Data Name='BugcheckCode'>209</Data><Data Name='BugcheckParameter1'>0x0</Data><Data Name='SleepInProgress'>0</Data>",
    'the system rebooted without cleanly shutting down: bugcheck 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL (parameter 1 0x0)',
    true,
  ],
  [
    'Microsoft-Windows-Kernel-PnP',
    219,
    "<Data Name='DriverNameLength'>28</Data><Data Name='DriverName'>ROOT\\dcdevice\\0000</Data><Data Name='Status'>3221226341</Data><Data Name='FailureNameLength'>12</Data><Data Name='FailureName'>\\Driver\\dcdev</Data><Data Name='Version'>0</Data>",
    'the driver \\Driver\\dcdev failed to load for device ROOT\\dcdevice\\0000 (status 0xC0000365 STATUS_FAILED_DRIVER_ENTRY)',
    true,
  ],
  // Microsoft-Windows-Kernel-PnP/Configuration, in the field layout Windows 11 writes (410 as on
  // a real machine; 411 carries the same fields with a problem code and an NTSTATUS).
  [
    'Microsoft-Windows-Kernel-PnP',
    410,
    "<Data Name='DeviceInstanceId'>ROOT\\DCTEAMPNP\\0000</Data><Data Name='DriverName'>oem12.inf</Data><Data Name='ClassGuid'>{78A1C341-4539-11d3-B88D-00C04FAD5171}</Data><Data Name='ServiceName'>DcTeamPnp</Data><Data Name='LowerFilters'></Data><Data Name='UpperFilters'></Data><Data Name='Problem'>0x0</Data><Data Name='Status'>0x0</Data>",
    'device ROOT\\DCTEAMPNP\\0000 was started (service DcTeamPnp, oem12.inf)',
    false,
  ],
  [
    'Microsoft-Windows-Kernel-PnP',
    411,
    "<Data Name='DeviceInstanceId'>ROOT\\DC_PNP_FAIL_START\\0000</Data><Data Name='DriverName'>oem13.inf</Data><Data Name='ClassGuid'>{4d36e97d-e325-11ce-bfc1-08002be10318}</Data><Data Name='ServiceName'>dc_pnp_fail_start</Data><Data Name='LowerFilters'></Data><Data Name='UpperFilters'></Data><Data Name='Problem'>0xA</Data><Data Name='Status'>0xC0000182</Data>",
    'device ROOT\\DC_PNP_FAIL_START\\0000 had a problem starting (service dc_pnp_fail_start, oem13.inf): problem 10 CM_PROB_FAILED_START, status 0xC0000182 STATUS_DEVICE_CONFIGURATION_ERROR',
    true,
  ],
  [
    'Microsoft-Windows-Kernel-PnP',
    400,
    "<Data Name='DeviceInstanceId'>ROOT\\DCTEAMPNP\\0000</Data><Data Name='DriverName'>oem12.inf</Data><Data Name='ClassGuid'>{78A1C341-4539-11d3-B88D-00C04FAD5171}</Data><Data Name='DriverDate'>11/26/2026</Data><Data Name='DriverVersion'>1.0.0.0</Data><Data Name='DriverProvider'>drvcycle sample team</Data><Data Name='DriverInbox'>false</Data><Data Name='DriverSection'>DcTeamPnp_Device.NT</Data><Data Name='DriverRank'>0xff0000</Data><Data Name='MatchingDeviceId'>root\\dcteampnp</Data><Data Name='OutrankedDrivers'></Data><Data Name='DeviceUpdated'>false</Data><Data Name='Status'>0x0</Data><Data Name='ParentDeviceInstanceId'>HTREE\\ROOT\\0</Data>",
    'device ROOT\\DCTEAMPNP\\0000 was configured from oem12.inf (DcTeamPnp_Device.NT)',
    false,
  ],
  [
    'Microsoft-Windows-Kernel-PnP',
    430,
    "<Data Name='DeviceInstanceId'>ROOT\\DCTEAMPNP\\0000</Data>",
    'device ROOT\\DCTEAMPNP\\0000 requires further installation (no driver was installed on it)',
    true,
  ],
  [
    'Microsoft-Windows-CodeIntegrity',
    3001,
    "<Data Name='FileNameLength'>46</Data><Data Name='FileNameBuffer'>\\Device\\HarddiskVolume3\\drvcycle\\x.sys</Data>",
    'code integrity: an unsigned kernel module was loaded (not blocked): \\Device\\HarddiskVolume3\\drvcycle\\x.sys',
    false,
  ],
  [
    'Microsoft-Windows-CodeIntegrity',
    3002,
    "<Data Name='FileNameBuffer'>\\Device\\HarddiskVolume3\\x.sys</Data>",
    'code integrity could not verify the image hash of \\Device\\HarddiskVolume3\\x.sys',
    true,
  ],
  [
    'Microsoft-Windows-CodeIntegrity',
    3004,
    "<Data Name='FileNameBuffer'>\\Device\\HarddiskVolume3\\x.sys</Data><Data Name='ProcessNameBuffer'>System</Data>",
    'code integrity: invalid image hash for \\Device\\HarddiskVolume3\\x.sys',
    true,
  ],
  [
    'Microsoft-Windows-CodeIntegrity',
    3033,
    "<Data Name='FileNameBuffer'>\\Device\\HarddiskVolume3\\x.sys</Data><Data Name='RequestedPolicy'>8</Data>",
    'code integrity blocked \\Device\\HarddiskVolume3\\x.sys: it does not meet the signing level requirements',
    true,
  ],
];

for (const [provider, id, data, line, trouble] of cases) {
  test(`decodes ${provider} ${id}`, () => {
    const event = parseEventXml(eventXml(provider, id, data));
    expect(event).toMatchObject({
      provider,
      eventId: id,
      level: 2,
      timeCreated: '2026-11-25T10:15:02.4869815Z',
      channel: 'System',
      computer: 'WIN-DRVTEST',
    });
    expect(decodeEvent(event)).toMatchObject({
      time: '2026-11-25T10:15:02.4869815Z',
      source: provider,
      id,
      line,
      trouble,
    });
  });
}

test('unnamed Data values become param1, param2, …; entities are decoded', () => {
  const event = parseEventXml(eventXml(SCM, 7000, '<Data>a &amp; b</Data><Data>%%2</Data>'));
  expect(event.data).toEqual({ param1: 'a & b', param2: '%%2' });
  expect(formatEvent(decodeEvent(event))).toBe(
    '2026-11-25T10:15:02.4869815Z Service Control Manager 7000: service a & b failed to start: 2 ERROR_FILE_NOT_FOUND',
  );
});

test('an unknown event keeps its values; level decides whether it is trouble', () => {
  expect(
    decodeEvent(parseEventXml(eventXml('Other', 5, "<Data Name='x'>1</Data>", 4))),
  ).toMatchObject({ line: 'event 5: x=1', trouble: false });
  // An unknown provider's error (DCOM's, say) is not the driver's trouble.
  expect(decodeEvent(parseEventXml(eventXml('Other', 5, '', 2))).trouble).toBe(false);
  expect(() => parseEventXml('<Event/>')).toThrow('Not a Windows event: no <System> element.');
});

test('insertion strings and the query window', () => {
  expect(win32Insertion('%%1275')).toBe('1275 ERROR_DRIVER_BLOCKED');
  expect(win32Insertion('plain')).toBe('plain');
  expect(eventQueryXPath(new Date('2026-11-25T10:00:00Z'), new Date('2026-11-25T10:05:00Z'))).toBe(
    "*[System[Provider[@Name='Service Control Manager' or @Name='Microsoft-Windows-WER-SystemErrorReporting' or @Name='Microsoft-Windows-Kernel-Power' or @Name='Microsoft-Windows-Kernel-PnP' or @Name='Microsoft-Windows-CodeIntegrity'] and TimeCreated[@SystemTime>='2026-11-25T10:00:00.000Z' and @SystemTime<='2026-11-25T10:05:00.000Z']]]",
  );
});

test("an event about another service or driver is not the driver's trouble; one naming nothing is", () => {
  const driver = { service: 'dc_mine', imageFile: 'mine.sys' };
  const event = (provider: string, id: number, data: string) =>
    decodeEvent(parseEventXml(eventXml(provider, id, data, 2)));
  const failedToStart = (name: string) =>
    event(
      'Service Control Manager',
      7000,
      `<Data Name='param1'>${name}</Data><Data Name='param2'>%%577</Data>`,
    );
  // SCM names a service by its display name, which carries drvcycle's marker.
  expect(concernsDriver(failedToStart('dc_mine (drvcycle:run=20261125T1-abc)'), driver)).toBe(true);
  expect(concernsDriver(failedToStart('dc_mine'), driver)).toBe(true);
  expect(concernsDriver(failedToStart('Print Spooler'), driver)).toBe(false);
  expect(concernsDriver(failedToStart('dc_mine_other'), driver)).toBe(false);
  const blocked = (file: string) =>
    event('Microsoft-Windows-CodeIntegrity', 3033, `<Data Name='FileNameBuffer'>${file}</Data>`);
  expect(concernsDriver(blocked('\\Device\\HarddiskVolume3\\drvcycle\\ab\\mine.sys'), driver)).toBe(
    true,
  );
  expect(concernsDriver(blocked('\\Device\\HarddiskVolume3\\Windows\\other.sys'), driver)).toBe(
    false,
  );
  // Kernel-PnP names the driver's root device (ROOT\<SERVICE>\nnnn), or its service.
  const deleted = (instance: string) =>
    event('Microsoft-Windows-Kernel-PnP', 420, `<Data Name='DeviceInstanceId'>${instance}</Data>`);
  expect(concernsDriver(deleted('ROOT\\DC_MINE\\0000'), driver)).toBe(true);
  expect(concernsDriver(deleted('ROOT\\DC_MINE_OTHER\\0000'), driver)).toBe(false);
  expect(concernsDriver(deleted('PCI\\VEN_8086&DEV_100F\\3&0'), driver)).toBe(false);
  // A bugcheck names no driver: it is always evidence.
  expect(
    concernsDriver(
      event(
        'Microsoft-Windows-WER-SystemErrorReporting',
        1001,
        "<Data Name='param1'>0x000000d1</Data>",
      ),
      driver,
    ),
  ).toBe(true);
});
