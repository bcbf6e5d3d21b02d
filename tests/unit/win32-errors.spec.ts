import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import { describeWin32Error, isTransientScmError } from '../../src/core/win32-codes.ts';

test('names the codes the SCM returns for drivers', () => {
  expect(describeWin32Error(1056).name).toBe('ERROR_SERVICE_ALREADY_RUNNING');
  expect(describeWin32Error(1062).name).toBe('ERROR_SERVICE_NOT_ACTIVE');
  expect(describeWin32Error(1073).name).toBe('ERROR_SERVICE_EXISTS');
  expect(describeWin32Error(1450).name).toBe('ERROR_NO_SYSTEM_RESOURCES');
  expect(describeWin32Error(577).name).toBe('ERROR_INVALID_IMAGE_HASH');
  expect(describeWin32Error(0x800b0109).name).toBe('CERT_E_UNTRUSTEDROOT');
});

test('an unknown code still gets a name and message with its hex value', () => {
  expect(describeWin32Error(4242)).toEqual({
    name: 'WIN32_ERROR_4242',
    message: 'Win32 error 4242 (0x1092).',
  });
});

test('negative values (an HRESULT read as int32) name the same code', () => {
  expect(describeWin32Error(0x800b0109 | 0).name).toBe('CERT_E_UNTRUSTEDROOT');
});

test('only locked database, pending state and marked-for-delete are transient', () => {
  expect([1055, 1061, 1072].every(isTransientScmError)).toBe(true);
  for (const permanent of [2, 5, 87, 193, 577, 1053, 1056, 1058, 1060, 1062, 1073, 1450]) {
    expect(isTransientScmError(permanent), `code ${permanent}`).toBe(false);
  }
});

test('ScmError carries code, name, operation, service and state in its message', () => {
  const error = new ScmError({
    operation: 'StartService',
    service: 'dc_x',
    win32Code: 1450,
    state: 'STOPPED',
    cycle: 7,
  });
  expect(error.win32Name).toBe('ERROR_NO_SYSTEM_RESOURCES');
  expect(error.transient).toBe(false);
  expect(error.message).toBe(
    'StartService on service "dc_x" failed at cycle 7: 1450 ERROR_NO_SYSTEM_RESOURCES: Insufficient system resources exist to complete the requested service. (state STOPPED)',
  );
});
