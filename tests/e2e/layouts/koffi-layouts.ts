/**
 * Run by the lab's Windows node.exe under Wine (tests/e2e/layouts.spec.ts): binds drvcycle's own
 * advapi32 and SetupAPI bindings, then prints the sizes and field offsets koffi gives the structures
 * they declare, for the spec to compare with what the C compiler lays out from the headers.
 */
import koffi from 'koffi';
import { advapi32 } from '../../../src/windows/scm/advapi32.ts';
import { setupapi } from '../../../src/windows/pnp/setupapi.ts';

advapi32();
setupapi();
const layout = (type: string, fields: string[]) => ({
  size: koffi.sizeof(type),
  ...Object.fromEntries(fields.map((f) => [f, koffi.offsetof(type, f)])),
});
const declared = (type: string) => {
  try {
    koffi.sizeof(type);
    return true;
  } catch {
    return false;
  }
};
console.log(
  JSON.stringify({
    SERVICE_STATUS: layout('SERVICE_STATUS', [
      'type',
      'state',
      'controlsAccepted',
      'win32ExitCode',
      'serviceSpecificExitCode',
      'checkPoint',
      'waitHint',
    ]),
    SP_DEVINFO_DATA: layout('DC_SP_DEVINFO_DATA', ['cbSize', 'ClassGuid', 'DevInst', 'Reserved']),
    SP_DEVINSTALL_PARAMS_W: declared('DC_SP_DEVINSTALL_PARAMS_W')
      ? layout('DC_SP_DEVINSTALL_PARAMS_W', [
          'cbSize',
          'Flags',
          'FlagsEx',
          'hwndParent',
          'InstallMsgHandler',
          'InstallMsgHandlerContext',
          'FileQueue',
          'ClassInstallReserved',
          'Reserved',
          'DriverPath',
        ])
      : null,
  }),
);
