import { expect, test } from '@playwright/test';
import { hasPoolRelayInclude, POOL_RELAY_FUNCTIONS } from '../../src/lab/relay-include.ts';

// The section as Wine 8's `reg add` left it in a lab's base prefix (user.reg).
const section = (value: string | undefined) =>
  [
    'WINE REGISTRY Version 2',
    '',
    '[Software\\\\Wine\\\\Debug] 1796597050',
    '#time=1dd85d34f454228',
    '"RelayExclude"="ntdll.RtlEnterCriticalSection;kernel32.SetLastError"',
    '"RelayFromExclude"="winex11.drv;winemac.drv;user32;gdi32;advapi32;kernel32"',
    ...(value !== undefined ? [`"RelayInclude"="${value}"`] : []),
    '',
    '[Software\\\\Wine\\\\DllOverrides] 1796586379',
    '#time=1dd85ba769fd888',
    '"RelayInclude"="elsewhere"',
    '',
  ].join('\n');

test('a prefix holds the pool calls in RelayInclude only when its Debug key says exactly that', () => {
  expect(hasPoolRelayInclude(section(POOL_RELAY_FUNCTIONS))).toBe(true);
  // A lab provisioned before the value existed: the step adds it.
  expect(hasPoolRelayInclude(section(undefined))).toBe(false);
  // Another list (set by hand, or an older one): replaced.
  expect(hasPoolRelayInclude(section('ntoskrnl.exe.ExAllocatePoolWithTag'))).toBe(false);
  expect(hasPoolRelayInclude('WINE REGISTRY Version 2\n')).toBe(false);
});
