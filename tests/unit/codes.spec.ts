/** Every Win32 code and NTSTATUS named; the exact DriverEntry status from the lab's log. */
import { expect, test } from '@playwright/test';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import { ScmError, toWire } from '../../src/core/errors.ts';
import { formatNtstatus, wineLoadStatus } from '../../src/core/ntstatus.ts';
import { describeWin32Error, useSystemMessages } from '../../src/core/win32-codes.ts';

test('codes met in driver testing have their names and what they mean for a driver', () => {
  expect(describeWin32Error(647)).toEqual({
    name: 'ERROR_FAILED_DRIVER_ENTRY',
    message: 'The driver was not loaded because it failed its initialization call.',
  });
  expect(describeWin32Error(654).name).toBe('ERROR_DRIVER_FAILED_PRIOR_UNLOAD');
  expect(describeWin32Error(654).message).toContain('driver object still referenced after unload');
  expect(describeWin32Error(183).name).toBe('ERROR_ALREADY_EXISTS');
  expect(describeWin32Error(1359).name).toBe('ERROR_INTERNAL_ERROR');
});

test('every code winerror.h defines has its name; the message comes from the machine when it can', () => {
  expect(describeWin32Error(1117).name).toBe('ERROR_IO_DEVICE');
  expect(describeWin32Error(1117).message).toBe('Win32 error 1117 (0x45D).');
  useSystemMessages((code) =>
    code === 1117
      ? 'The request could not be performed because of an I/O device error.'
      : undefined,
  );
  try {
    expect(describeWin32Error(1117).message).toBe(
      'The request could not be performed because of an I/O device error.',
    );
    // The machine's text travels with the error, so the runner says the same as the agent.
    const error = new ScmError({ operation: 'StartService', service: 'dc_x', win32Code: 1117 });
    expect(toWire(error)).toMatchObject({
      win32Message: 'The request could not be performed because of an I/O device error.',
    });
  } finally {
    useSystemMessages(() => undefined);
  }
  expect(describeWin32Error(65_000).name).toBe('WIN32_ERROR_65000');
});

test('NTSTATUS values are printed with their names', () => {
  expect(formatNtstatus(0xc000009a)).toBe('0xC000009A STATUS_INSUFFICIENT_RESOURCES');
  expect(formatNtstatus(-1073741438)).toBe('0xC0000182 STATUS_DEVICE_CONFIGURATION_ERROR');
  expect(formatNtstatus(0xe0001234)).toBe('0xE0001234');
});

// Exactly as Wine 8's ntoskrnl printed it in the lab for entry_fail_resources (2026-11-25).
const WINE_LOG =
  '0130:013c:err:ntoskrnl:ZwLoadDriver failed to create driver L"\\\\Registry\\\\Machine\\\\System\\\\CurrentControlSet\\\\Services\\\\dc_entry_fail_resources": c000009a\n';

test("the lab's ZwLoadDriver line gives the exact status DriverEntry returned, for that service only", () => {
  expect(wineLoadStatus(WINE_LOG, 'dc_entry_fail_resources')).toBe(0xc000009a);
  expect(wineLoadStatus(WINE_LOG, 'dc_entry_fail')).toBeUndefined();
  expect(wineLoadStatus('', 'dc_entry_fail_resources')).toBeUndefined();
});

test("a load failure's verdict carries the driver's NTSTATUS beside the lossy Win32 code", () => {
  const verdict = classifyCycleFailure({
    driver: 'dc_entry_fail_resources',
    scenario: 'cycles',
    debugOutput: WINE_LOG,
    record: {
      cycle: 1,
      outcome: 'start-failed',
      startMs: null,
      stopMs: null,
      state: 'STOPPED',
      error: toWire(
        new ScmError({
          operation: 'StartService',
          service: 'dc_entry_fail_resources',
          win32Code: 1450,
          cycle: 1,
        }),
      ),
    },
  });
  expect(verdict).toMatchObject({
    kind: 'load-failure',
    evidence: { win32Code: 1450, ntstatus: '0xC000009A STATUS_INSUFFICIENT_RESOURCES' },
  });
  expect(verdict.summary).toMatch(
    /1450 ERROR_NO_SYSTEM_RESOURCES: .* \(DriverEntry returned 0xC000009A STATUS_INSUFFICIENT_RESOURCES\)$/,
  );
});

test('bugcheck names: 0x44 is MULTIPLE_IRP_COMPLETE_REQUESTS, 0x62 OBJECT1_INITIALIZATION_FAILED', async () => {
  const { bugCheckName } = await import('../../src/windows/nt/crash-dump.ts');
  expect(bugCheckName(0x44)).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
  expect(bugCheckName(0x62)).toBe('OBJECT1_INITIALIZATION_FAILED');
  expect(bugCheckName(0xc4)).toBe('DRIVER_VERIFIER_DETECTED_VIOLATION');
});
