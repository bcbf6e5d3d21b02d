/**
 * The name tables drvcycle puts in its messages, against the public headers: CONFIGRET
 * (cfgmgr32.h), CM_PROB (cfg.h) and the Win32 error names (winerror.h; Debian's mingw-w64 10 header
 * lacked 537–634 and 636–729, the ones a driver load fails with among them).
 */
import { expect, test } from '@playwright/test';
import { PROBLEM_NAMES, problemName } from '../../src/core/cm-problems.ts';
import { describeWin32Error } from '../../src/core/win32-codes.ts';
import { WIN32_NAMES } from '../../src/core/win32-names.ts';
import { CONFIGRET_NAMES, configretName } from '../../src/windows/pnp/cfgmgr.ts';

test('CONFIGRET values are named as cfgmgr32.h defines them', () => {
  expect(configretName(0x1e)).toBe('CR_INVALID_DEVICE_ID');
  expect(configretName(0x1f)).toBe('CR_INVALID_DATA');
  expect(configretName(0x21)).toBe('CR_DEVLOADER_NOT_READY');
  expect(configretName(0x28)).toBe('CR_NOT_DISABLEABLE');
  expect(configretName(0x17)).toBe('CR_REMOVE_VETOED');
  expect(configretName(0x33)).toBe('CR_ACCESS_DENIED');
  // The whole table: 0x00 to 0x3B (NUM_CR_RESULTS is 0x3C), each named once.
  expect(Object.keys(CONFIGRET_NAMES).map(Number)).toEqual([...Array(0x3c).keys()]);
  expect(new Set(Object.values(CONFIGRET_NAMES)).size).toBe(0x3c);
  expect(configretName(0x3c)).toBe('CONFIGRET 0x3c');
});

test('CM_PROB codes are named as cfg.h defines them, 1 to 57', () => {
  expect(problemName(37)).toBe('CM_PROB_FAILED_DRIVER_ENTRY');
  expect(problemName(52)).toBe('CM_PROB_UNSIGNED_DRIVER');
  expect(problemName(10)).toBe('CM_PROB_FAILED_START');
  expect(problemName(38)).toBe('CM_PROB_DRIVER_FAILED_PRIOR_UNLOAD');
  expect(problemName(57)).toBe('CM_PROB_GUEST_ASSIGNMENT_FAILED');
  expect(Object.keys(PROBLEM_NAMES).map(Number)).toEqual([...Array(57).keys()].map((i) => i + 1));
  expect(problemName(58)).toBe('CM_PROB 58');
});

test('the Win32 name table holds 537–729, the driver-load codes among them', () => {
  expect(WIN32_NAMES.get(577)).toBe('ERROR_INVALID_IMAGE_HASH');
  expect(WIN32_NAMES.get(647)).toBe('ERROR_FAILED_DRIVER_ENTRY');
  expect(WIN32_NAMES.get(654)).toBe('ERROR_DRIVER_FAILED_PRIOR_UNLOAD');
  expect(WIN32_NAMES.get(537)).toBe('ERROR_VERIFIER_STOP');
  expect(WIN32_NAMES.get(729)).toBe('ERROR_DRIVERS_LEAKING_LOCKED_PAGES');
  expect(WIN32_NAMES.get(1300)).toBe('ERROR_NOT_ALL_ASSIGNED');
  // Every code the Windows SDK's winerror.h defines in 537–729 (it defines no 562, 645, 658–664,
  // 666 or 667).
  const undefinedInSdk = new Set([562, 645, 658, 659, 660, 661, 662, 663, 664, 666, 667]);
  const missing: number[] = [];
  for (let code = 537; code <= 729; code++)
    if (!undefinedInSdk.has(code) && !WIN32_NAMES.has(code)) missing.push(code);
  expect(missing).toEqual([]);
  // A code outside drvcycle's own table gets its name from the generated one.
  expect(describeWin32Error(648).name).toBe('ERROR_DEVICE_ENUMERATION_ERROR');
});

test('SetupAPI’s own codes, which winerror.h does not list, are named as setupapi.h names them', () => {
  expect(describeWin32Error(0xe000022f).name).toBe('ERROR_NO_CATALOG_FOR_OEM_INF');
  expect(describeWin32Error(0xe000020b).name).toBe('ERROR_NO_SUCH_DEVINST');
  expect(describeWin32Error(0xe0000247).name).toBe('ERROR_DRIVER_STORE_ADD_FAILED');
  // As a signed 32-bit value, as GetLastError read into an int gives it.
  expect(describeWin32Error(0xe000022f | 0).name).toBe('ERROR_NO_CATALOG_FOR_OEM_INF');
});
