/**
 * drvcycle's decoders against data its own code did not produce: tests/e2e/layouts/layouts.c,
 * compiled here with mingw-w64 (its headers follow Microsoft's), fills each structure drvcycle
 * reads with known values and writes the raw bytes in the lab, exactly as Windows would return
 * them (pointers into the same buffer included). Sizes and offsets come from the compiler. The
 * structures no header holds are defined there from their published definitions (phnt for the
 * Verifier and pool-tag ones, the Windows SDK's mindumpdef.h for the dump header), never from
 * drvcycle's offsets. The structures drvcycle declares to koffi (SERVICE_STATUS, SP_DEVINFO_DATA,
 * SP_DEVINSTALL_PARAMS_W) are measured by koffi itself, under the lab's Windows node.exe.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { labPaths, toWinePath } from '../../src/lab/lab-paths.ts';
import { wineEnv } from '../../src/lab/wine-env.ts';
import {
  decodePerformanceInformation,
  decodePoolTagInformation,
  decodeProcessInformation,
  decodeVerifierInformation,
  verifierEntrySize,
  PERFORMANCE_INFORMATION_SIZE,
  SYSTEM_PROCESS_INFORMATION_SIZE,
  SYSTEM_POOLTAG_SIZE,
} from '../../src/windows/nt/nt-layouts.ts';
import { parseDumpHeader } from '../../src/windows/nt/crash-dump.ts';
import { encodeTokenPrivileges, TOKEN_PRIVILEGES_SIZE } from '../../src/windows/nt/privileges.ts';
import {
  decodeEnumServiceStatusProcess,
  decodeQueryServiceConfig,
  decodeServiceStatusProcess,
  ENUM_SERVICE_STATUS_PROCESS_SIZE,
  QUERY_SERVICE_CONFIG_SIZE,
  SERVICE_STATUS_PROCESS_SIZE,
} from '../../src/windows/scm/scm-layouts.ts';
import { lab } from './support.ts';

test('the SCM and NT decoders read what a C compiler lays out from the Windows headers', async ({
  machine,
}, testInfo) => {
  const out = testInfo.outputPath('layouts');
  const exe = testInfo.outputPath('layouts.exe');
  await runProcess(
    'x86_64-w64-mingw32-gcc',
    ['-O0', '-Wall', '-o', exe, path.join(PACKAGE_ROOT, 'tests/e2e/layouts/layouts.c'), '-lpsapi'],
    { timeoutMs: 60_000 },
  );
  const { mkdirSync } = await import('node:fs');
  mkdirSync(out, { recursive: true });
  const run = await runProcess('wine', [exe, toWinePath(out)], {
    env: wineEnv(lab(machine).prefix),
    timeoutMs: 60_000,
  });
  const bytes = (name: string) => new Uint8Array(readFileSync(path.join(out, `${name}.bin`)));
  const base = (name: string) => BigInt(readFileSync(path.join(out, `${name}.base`), 'utf8'));

  const layout = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(layout).toMatchObject({
    SERVICE_STATUS_PROCESS: SERVICE_STATUS_PROCESS_SIZE,
    QUERY_SERVICE_CONFIGW: QUERY_SERVICE_CONFIG_SIZE,
    ENUM_SERVICE_STATUS_PROCESSW: ENUM_SERVICE_STATUS_PROCESS_SIZE,
    PERFORMANCE_INFORMATION: PERFORMANCE_INFORMATION_SIZE,
    SYSTEM_PROCESS_INFORMATION: SYSTEM_PROCESS_INFORMATION_SIZE,
    WorkingSetSize: 144,
    PrivatePageCount: 200,
    SYSTEM_POOLTAG: SYSTEM_POOLTAG_SIZE,
    VERIFIER_19H1: verifierEntrySize(18362),
    VERIFIER_LEGACY: verifierEntrySize(17763),
    TOKEN_PRIVILEGES: TOKEN_PRIVILEGES_SIZE,
    // The offsets src/windows/nt/crash-dump.ts reads.
    DUMP_HEADER64: {
      size: 0x2000,
      BugCheckCode: 0x38,
      BugCheckParameter1: 0x40,
      BugCheckParameter4: 0x58,
      DumpType: 0xf98,
    },
  });

  // Two drivers in each layout, every counter drvcycle reads set apart (phnt's definitions).
  const verifierEntry = (driver: string, base: number) => ({
    driver,
    loads: base + 1,
    unloads: base + 2,
    currentPagedAllocations: base + 3,
    currentNonPagedAllocations: base + 4,
    pagedBytes: (base + 5) * 64,
    nonPagedBytes: (base + 6) * 64,
    peakPagedBytes: (base + 7) * 64,
    peakNonPagedBytes: (base + 8) * 64,
  });
  expect(
    decodeVerifierInformation(bytes('verifier_19h1'), base('verifier_19h1'), { build: 19045 }),
  ).toEqual([verifierEntry('leak_small.sys', 10), verifierEntry('clean.sys', 20)]);
  expect(
    decodeVerifierInformation(bytes('verifier_legacy'), base('verifier_legacy'), { build: 17763 }),
  ).toEqual([verifierEntry('old.sys', 30), verifierEntry('older.sys', 40)]);
  // The same buffer with a returned length of 0 (no driver verified) holds no entries.
  expect(
    decodeVerifierInformation(bytes('verifier_19h1'), base('verifier_19h1'), {
      build: 19045,
      returnedLength: 0,
    }),
  ).toEqual([]);

  // TOKEN_PRIVILEGES as the agent writes it for AdjustTokenPrivileges, byte for byte.
  expect(
    Buffer.from(encodeTokenPrivileges({ lowPart: 20, highPart: -2 }, 2)).equals(
      Buffer.from(bytes('token_privileges')),
    ),
  ).toBe(true);

  expect(parseDumpHeader(bytes('dump_header64'))).toMatchObject({
    bugCheckCode: 0xc4,
    parameters: [0x62n, 0xfffff80012345678n, 0xffffc00012340000n, 3n],
    dumpType: 2,
  });

  // The structures drvcycle declares to koffi, measured by koffi in the lab's Windows node.exe.
  const koffiLog = testInfo.outputPath('koffi-layouts.log');
  await runProcess(
    'wine',
    [
      labPaths.windowsNode(),
      '--no-warnings',
      toWinePath(path.join(PACKAGE_ROOT, 'tests/e2e/layouts/koffi-layouts.ts')),
    ],
    { env: wineEnv(lab(machine).prefix), timeoutMs: 120_000, output: { logFile: koffiLog } },
  );
  const koffiLine = readFileSync(koffiLog, 'utf8')
    .split('\n')
    .findLast((line) => line.startsWith('{'));
  const declared = JSON.parse(koffiLine!) as Record<string, Record<string, number> | null>;
  const c = layout as Record<string, Record<string, number>>;
  const cStatus = c.SERVICE_STATUS!;
  expect(declared.SERVICE_STATUS).toEqual({
    size: cStatus.size,
    type: cStatus.dwServiceType,
    state: cStatus.dwCurrentState,
    controlsAccepted: cStatus.dwControlsAccepted,
    win32ExitCode: cStatus.dwWin32ExitCode,
    serviceSpecificExitCode: cStatus.dwServiceSpecificExitCode,
    checkPoint: cStatus.dwCheckPoint,
    waitHint: cStatus.dwWaitHint,
  });
  expect(declared.SP_DEVINFO_DATA).toEqual(c.SP_DEVINFO_DATA);
  expect(declared.SP_DEVINSTALL_PARAMS_W, 'drvcycle declares SP_DEVINSTALL_PARAMS_W').toEqual(
    c.SP_DEVINSTALL_PARAMS_W,
  );

  expect(decodeServiceStatusProcess(bytes('service_status_process'))).toMatchObject({
    type: 1,
    state: 4,
    stateName: 'RUNNING',
    win32ExitCode: 1450,
    checkPoint: 3,
    waitHint: 2000,
    processId: 1234,
  });
  expect(
    decodeQueryServiceConfig(bytes('query_service_config'), base('query_service_config')),
  ).toEqual({
    type: 1,
    startType: 3,
    errorControl: 1,
    binaryPath: 'C:\\drvcycle\\images\\ab\\x.sys',
    loadOrderGroup: 'Group A',
    tagId: 9,
    dependencies: ['dep1', 'dep2'],
    startName: 'LocalSystem',
    displayName: 'dc_x (drvcycle:run=r1)',
  });
  const services = decodeEnumServiceStatusProcess(
    bytes('enum_service_status_process'),
    base('enum_service_status_process'),
    2,
  );
  expect(services.map((s) => [s.name, s.displayName, s.status.stateName])).toEqual([
    ['dc_a', 'A (drvcycle:run=r1)', 'STOPPED'],
    ['dc_b', 'B', 'RUNNING'],
  ]);
  expect(decodePerformanceInformation(bytes('performance_information'))).toEqual({
    commitTotalBytes: 100 * 4096,
    commitLimitBytes: 200 * 4096,
    physicalTotalBytes: 300 * 4096,
    physicalAvailableBytes: 150 * 4096,
    kernelTotalBytes: 40 * 4096,
    kernelPagedBytes: 25 * 4096,
    kernelNonpagedBytes: 15 * 4096,
    pageSize: 4096,
    handleCount: 5000,
    processCount: 60,
    threadCount: 700,
  });
  expect(
    decodeProcessInformation(
      bytes('system_process_information'),
      base('system_process_information'),
    ),
  ).toEqual([
    {
      name: 'winedevice.exe',
      pid: 1234,
      handles: 77,
      workingSetBytes: 11 * 4096,
      privateBytes: 33 * 4096,
    },
    { name: 'WUDFHost.exe', pid: 5678, handles: 5, workingSetBytes: 4096, privateBytes: 8192 },
  ]);
  expect(decodePoolTagInformation(bytes('system_pooltag_information'))).toEqual([
    {
      tag: 'DcLs',
      pagedAllocs: 1,
      pagedFrees: 0,
      pagedUsed: 256,
      nonPagedAllocs: 12,
      nonPagedFrees: 10,
      nonPagedUsed: 512,
    },
    {
      tag: 'Abcd',
      pagedAllocs: 0,
      pagedFrees: 0,
      pagedUsed: 0,
      nonPagedAllocs: 0,
      nonPagedFrees: 0,
      nonPagedUsed: 4096,
    },
  ]);
});

test("the driver hosts come from Wine's own SystemProcessInformation, live", async ({
  install,
  target,
}) => {
  const driver = await install({ file: sampleDriver('clean') }, { name: 'dc_host_probe' });
  await target.start(driver);
  try {
    const sample = await target.sample({});
    const hosts = sample.hosts ?? [];
    expect(hosts.length, JSON.stringify(sample)).toBeGreaterThan(0);
    for (const host of hosts) {
      expect(host.name.toLowerCase()).toBe('winedevice.exe');
      expect(host.pid).toBeGreaterThan(0);
      expect(host.workingSetBytes).toBeGreaterThan(0);
    }
  } finally {
    await target.stop(driver);
  }
});
