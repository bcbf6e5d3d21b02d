/**
 * koffi bindings for the SetupAPI and newdev functions that install, find and remove a device,
 * loaded once and lazily. On Wine 8 only these are used: the ones that change a device's state
 * (SetupDiChangeState, CM_Disable_DevNode, CM_Enable_DevNode, DIF_PROPERTYCHANGE …) are stubs
 * there that abort the caller or do nothing (src/windows/pnp/strategies.ts never calls them).
 */
import koffi from 'koffi';
import { windowsLibrary, type WindowsLibrary } from '../native/library.ts';

type Fn = (...args: unknown[]) => unknown;

export const DICD_GENERATE_ID = 0x1;
export const DIGCF_PRESENT = 0x2;
export const DIGCF_ALLCLASSES = 0x4;
export const SPDRP_HARDWAREID = 0x1;
export const DIF_REMOVE = 0x5;
export const DIF_REGISTERDEVICE = 0x19;
export const INSTALLFLAG_FORCE = 0x1;
/** A caller that cannot show UI (a service, the agent) must say so, or the install may wait on a dialog. */
export const INSTALLFLAG_NONINTERACTIVE = 0x4;
/** SP_DEVINSTALL_PARAMS.Flags after a class installer call: the change takes effect only after a reboot. */
export const DI_NEEDRESTART = 0x80;
export const DI_NEEDREBOOT = 0x100;
/** The Win32 codes drvcycle reports a pending reboot or restart with (winerror.h). */
export const ERROR_SUCCESS_REBOOT_REQUIRED = 3010;
export const ERROR_SUCCESS_RESTART_REQUIRED = 3011;
/** sizeof(SP_DEVINSTALL_PARAMS_W) on x64: 60 bytes of fields, DriverPath[260], padded to 8. */
export const SP_DEVINSTALL_PARAMS_W_SIZE = 584;
export const ERROR_NO_MORE_ITEMS = 259;
export const INVALID_HANDLE_VALUE = -1n;

let bindings: ReturnType<typeof bind> | undefined;

function bind() {
  const setupapi = windowsLibrary('setupapi.dll');
  const newdev = windowsLibrary('newdev.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const GUID = koffi.struct('DC_GUID', {
    Data1: 'uint32',
    Data2: 'uint16',
    Data3: 'uint16',
    Data4: koffi.array('uint8', 8),
  });
  const SP_DEVINFO_DATA = koffi.struct('DC_SP_DEVINFO_DATA', {
    cbSize: 'uint32',
    ClassGuid: GUID,
    DevInst: 'uint32',
    Reserved: 'uintptr',
  });
  const SP_DEVINSTALL_PARAMS_W = koffi.struct('DC_SP_DEVINSTALL_PARAMS_W', {
    cbSize: 'uint32',
    Flags: 'uint32',
    FlagsEx: 'uint32',
    hwndParent: 'void*',
    InstallMsgHandler: 'void*',
    InstallMsgHandlerContext: 'void*',
    FileQueue: 'void*',
    ClassInstallReserved: 'uintptr',
    Reserved: 'uint32',
    DriverPath: koffi.array('uint16', 260),
  });
  const fn = (lib: WindowsLibrary, proto: string) => lib.func(proto) as Fn;
  return {
    SP_DEVINFO_DATA_SIZE: koffi.sizeof(SP_DEVINFO_DATA),
    SP_DEVINSTALL_PARAMS_W_SIZE: koffi.sizeof(SP_DEVINSTALL_PARAMS_W),
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdicreatedeviceinfolist */
    SetupDiCreateDeviceInfoList: fn(
      setupapi,
      'intptr __stdcall SetupDiCreateDeviceInfoList(const DC_GUID* classGuid, void* hwnd)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdicreatedeviceinfow */
    SetupDiCreateDeviceInfoW: fn(
      setupapi,
      'int __stdcall SetupDiCreateDeviceInfoW(intptr set, str16 name, const DC_GUID* classGuid, str16 description, void* hwnd, uint32 flags, _Inout_ DC_SP_DEVINFO_DATA* data)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdisetdeviceregistrypropertyw */
    SetupDiSetDeviceRegistryPropertyW: fn(
      setupapi,
      'int __stdcall SetupDiSetDeviceRegistryPropertyW(intptr set, _Inout_ DC_SP_DEVINFO_DATA* data, uint32 property, const uint8_t* buffer, uint32 size)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdicallclassinstaller */
    SetupDiCallClassInstaller: fn(
      setupapi,
      'int __stdcall SetupDiCallClassInstaller(uint32 function, intptr set, _Inout_ DC_SP_DEVINFO_DATA* data)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetclassdevsw */
    SetupDiGetClassDevsW: fn(
      setupapi,
      'intptr __stdcall SetupDiGetClassDevsW(const DC_GUID* classGuid, str16 enumerator, void* hwnd, uint32 flags)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetdeviceinstallparamsw */
    SetupDiGetDeviceInstallParamsW: fn(
      setupapi,
      'int __stdcall SetupDiGetDeviceInstallParamsW(intptr set, _Inout_ DC_SP_DEVINFO_DATA* data, _Inout_ DC_SP_DEVINSTALL_PARAMS_W* params)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdienumdeviceinfo */
    SetupDiEnumDeviceInfo: fn(
      setupapi,
      'int __stdcall SetupDiEnumDeviceInfo(intptr set, uint32 index, _Inout_ DC_SP_DEVINFO_DATA* data)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetdeviceregistrypropertyw */
    SetupDiGetDeviceRegistryPropertyW: fn(
      setupapi,
      'int __stdcall SetupDiGetDeviceRegistryPropertyW(intptr set, _Inout_ DC_SP_DEVINFO_DATA* data, uint32 property, _Out_ uint32* type, _Out_ uint8_t* buffer, uint32 size, _Out_ uint32* required)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetdeviceinstanceidw */
    SetupDiGetDeviceInstanceIdW: fn(
      setupapi,
      'int __stdcall SetupDiGetDeviceInstanceIdW(intptr set, _Inout_ DC_SP_DEVINFO_DATA* data, _Out_ uint16_t* buffer, uint32 size, _Out_ uint32* required)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdidestroydeviceinfolist */
    SetupDiDestroyDeviceInfoList: fn(
      setupapi,
      'int __stdcall SetupDiDestroyDeviceInfoList(intptr set)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/newdev/nf-newdev-updatedriverforplugandplaydevicesw */
    UpdateDriverForPlugAndPlayDevicesW: fn(
      newdev,
      'int __stdcall UpdateDriverForPlugAndPlayDevicesW(void* hwnd, str16 hardwareId, str16 infPath, uint32 flags, _Out_ int* rebootRequired)',
    ),
  };
}

/** The SetupAPI and newdev calls drvcycle makes (a unit test passes a fake of them). */
export type SetupApi = ReturnType<typeof bind>;

export function setupapi(): SetupApi {
  bindings ??= bind();
  return bindings;
}

/** SetupCopyOEMInf's copy style: fail with ERROR_FILE_EXISTS (and name it) if the INF is there. */
export const SP_COPY_NOOVERWRITE = 0x8;
export const SPOST_NONE = 0;
/** SetupUninstallOEMInf: remove the package even if a device still uses it. */
export const SUOI_FORCEDELETE = 0x1;
export const ERROR_FILE_EXISTS = 80;

let storeBindings: ReturnType<typeof bindDriverStore> | undefined;

function bindDriverStore() {
  const setupapi = windowsLibrary('setupapi.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const fn = (lib: WindowsLibrary, proto: string) => lib.func(proto) as Fn;
  return {
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupcopyoeminfw */
    SetupCopyOEMInfW: fn(
      setupapi,
      'int __stdcall SetupCopyOEMInfW(str16 source, str16 location, uint32 mediaType, uint32 copyStyle, _Out_ uint16_t* destination, uint32 size, _Out_ uint32* required, void* filePart)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupuninstalloeminfw */
    SetupUninstallOEMInfW: fn(
      setupapi,
      'int __stdcall SetupUninstallOEMInfW(str16 infFileName, uint32 flags, void* reserved)',
    ),
  };
}

/** The SetupAPI calls that find and remove a published driver package (a unit test fakes them). */
export type DriverStoreApi = ReturnType<typeof bindDriverStore>;

export function driverStoreApi(): DriverStoreApi {
  storeBindings ??= bindDriverStore();
  return storeBindings;
}

/** `{4d36e97d-e325-11ce-bfc1-08002be10318}` as the GUID struct koffi passes. */
export function guidStruct(text: string): {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: number[];
} {
  const m = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(
    text.trim(),
  );
  if (!m)
    throw new TypeError(
      `Expected a GUID such as {4d36e97d-e325-11ce-bfc1-08002be10318}, got ${text}.`,
    );
  const tail = `${m[4]}${m[5]}`;
  return {
    Data1: parseInt(m[1]!, 16),
    Data2: parseInt(m[2]!, 16),
    Data3: parseInt(m[3]!, 16),
    Data4: Array.from({ length: 8 }, (_, i) => parseInt(tail.slice(i * 2, i * 2 + 2), 16)),
  };
}

/** A REG_MULTI_SZ value as UTF-16LE bytes: each string NUL-terminated, then one more NUL. */
export function multiSz(values: readonly string[]): Uint8Array {
  return new Uint8Array(Buffer.from(`${values.map((v) => `${v}\0`).join('')}\0`, 'utf16le'));
}

/** The strings of a REG_MULTI_SZ value read back (UTF-16LE). */
export function parseMultiSz(bytes: Uint8Array): string[] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('utf16le')
    .split('\0')
    .filter(Boolean);
}
