import { expect, test } from '@playwright/test';
import { binaryPathOnDisk } from '../../src/windows/scm/binary-path.ts';

test('a service image path in every form Windows stores becomes the file on disk', () => {
  // CreateService with an NT path, SetupAPI from an INF, the kernel's relative form, REG_EXPAND_SZ.
  expect(binaryPathOnDisk('\\??\\C:\\drvcycle\\images\\ab\\x.sys')).toBe(
    'C:\\drvcycle\\images\\ab\\x.sys',
  );
  expect(binaryPathOnDisk('\\SystemRoot\\System32\\drivers\\echo.sys')).toBe(
    'C:\\Windows\\System32\\drivers\\echo.sys',
  );
  expect(binaryPathOnDisk('System32\\DRIVERS\\echo.sys', 'D:\\Win')).toBe(
    'D:\\Win\\System32\\DRIVERS\\echo.sys',
  );
  expect(binaryPathOnDisk('%SystemRoot%\\system32\\drivers\\echo.sys')).toBe(
    'C:\\Windows\\system32\\drivers\\echo.sys',
  );
  // Wine (and CreateService with a drive path) keep the full path; quotes go.
  expect(binaryPathOnDisk('C:\\windows\\system32\\drivers\\dc_x.sys')).toBe(
    'C:\\windows\\system32\\drivers\\dc_x.sys',
  );
  expect(binaryPathOnDisk('"C:\\Program Files\\x\\x.sys"')).toBe('C:\\Program Files\\x\\x.sys');
});
