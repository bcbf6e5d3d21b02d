import { expect, test } from '@playwright/test';
import { imagePathOnDisk } from '../../src/windows/scm/image-path.ts';

test('a service image path in every form Windows stores becomes the file on disk', () => {
  // CreateService with an NT path, SetupAPI from an INF, the kernel's relative form, REG_EXPAND_SZ.
  expect(imagePathOnDisk('\\??\\C:\\drvcycle\\images\\ab\\x.sys')).toBe(
    'C:\\drvcycle\\images\\ab\\x.sys',
  );
  expect(imagePathOnDisk('\\SystemRoot\\System32\\drivers\\echo.sys')).toBe(
    'C:\\Windows\\System32\\drivers\\echo.sys',
  );
  expect(imagePathOnDisk('System32\\DRIVERS\\echo.sys', 'D:\\Win')).toBe(
    'D:\\Win\\System32\\DRIVERS\\echo.sys',
  );
  expect(imagePathOnDisk('%SystemRoot%\\system32\\drivers\\echo.sys')).toBe(
    'C:\\Windows\\system32\\drivers\\echo.sys',
  );
  // Wine (and CreateService with a drive path) keep the full path; quotes go.
  expect(imagePathOnDisk('C:\\windows\\system32\\drivers\\dc_x.sys')).toBe(
    'C:\\windows\\system32\\drivers\\dc_x.sys',
  );
  expect(imagePathOnDisk('"C:\\Program Files\\x\\x.sys"')).toBe('C:\\Program Files\\x\\x.sys');
});
