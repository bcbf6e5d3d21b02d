/**
 * drvcycle's decoders against data its own code did not produce: tests/e2e/layouts/layouts.c,
 * compiled here with mingw-w64 (its headers follow Microsoft's), fills each structure drvcycle
 * reads with known values and writes the raw bytes in the lab, exactly as Windows would return
 * them (pointers into the same buffer included). Sizes and offsets come from the compiler.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import { toWinePath } from '../../src/lab/paths.ts';
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
} from '../../src/windows/nt/layouts.ts';
import {
  decodeEnumServiceStatusProcess,
  decodeQueryServiceConfig,
  decodeServiceStatusProcess,
  ENUM_SERVICE_STATUS_PROCESS_SIZE,
  QUERY_SERVICE_CONFIG_SIZE,
  SERVICE_STATUS_PROCESS_SIZE,
} from '../../src/windows/scm/layouts.ts';
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
  const layout = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  const bytes = (name: string) => new Uint8Array(readFileSync(path.join(out, `${name}.bin`)));
  const base = (name: string) => BigInt(readFileSync(path.join(out, `${name}.base`), 'utf8'));

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
    VERIFIER_OLD: verifierEntrySize(17763),
    OLD_DriverName: 8,
    OLD_Loads: 68,
  });
  expect(
    decodeVerifierInformation(bytes('verifier_19h1'), base('verifier_19h1'), { build: 19045 }),
  ).toEqual([
    {
      driver: 'leak_small.sys',
      loads: 12,
      unloads: 11,
      currentPagedAllocations: 0,
      currentNonPagedAllocations: 12,
      pagedBytes: 0,
      nonPagedBytes: 3072,
      peakPagedBytes: 0,
      peakNonPagedBytes: 3072,
    },
  ]);
  expect(
    decodeVerifierInformation(bytes('verifier_old'), base('verifier_old'), { build: 17763 }),
  ).toEqual([
    {
      driver: 'old.sys',
      loads: 5,
      unloads: 4,
      currentPagedAllocations: 2,
      currentNonPagedAllocations: 3,
      pagedBytes: 512,
      nonPagedBytes: 768,
      peakPagedBytes: 0,
      peakNonPagedBytes: 0,
    },
  ]);

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
