/**
 * A PnP driver's device, found by its device interface class (IoRegisterDeviceInterface): the
 * path of the first present interface of the class, for CreateFileW. SetupAPI's
 * SetupDiGetClassDevsW(DIGCF_PRESENT | DIGCF_DEVICEINTERFACE), SetupDiEnumDeviceInterfaces and
 * SetupDiGetDeviceInterfaceDetailW. Verified on Windows: not yet (docs/verified-where.md).
 */
import { windowsLibrary } from '../native/library.ts';

type Fn = (...args: unknown[]) => unknown;

const DIGCF_PRESENT = 0x2;
const DIGCF_DEVICEINTERFACE = 0x10;
const ERROR_INSUFFICIENT_BUFFER = 122;
/** SP_DEVICE_INTERFACE_DATA on x64: cbSize, InterfaceClassGuid, Flags, Reserved (ULONG_PTR). */
const SP_DEVICE_INTERFACE_DATA_SIZE = 32;
/** SP_DEVICE_INTERFACE_DETAIL_DATA_W's cbSize on x64: the DWORD and one WCHAR, padded to 8. */
const DETAIL_CB_SIZE = 8;

let bindings: ReturnType<typeof bind> | undefined;

function bind() {
  const setupapi = windowsLibrary('setupapi.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const fn = (lib: typeof setupapi, proto: string) => lib.func(proto) as Fn;
  return {
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetclassdevsw */
    SetupDiGetClassDevsW: fn(
      setupapi,
      'intptr __stdcall SetupDiGetClassDevsW(void* classGuid, str16 enumerator, void* hwnd, uint32 flags)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdienumdeviceinterfaces */
    SetupDiEnumDeviceInterfaces: fn(
      setupapi,
      'int __stdcall SetupDiEnumDeviceInterfaces(intptr set, void* deviceInfo, void* classGuid, uint32 index, void* interfaceData)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdigetdeviceinterfacedetailw */
    SetupDiGetDeviceInterfaceDetailW: fn(
      setupapi,
      'int __stdcall SetupDiGetDeviceInterfaceDetailW(intptr set, void* interfaceData, void* detail, uint32 size, _Out_ uint32* required, void* deviceInfo)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/setupapi/nf-setupapi-setupdidestroydeviceinfolist */
    SetupDiDestroyDeviceInfoList: fn(
      setupapi,
      'int __stdcall SetupDiDestroyDeviceInfoList(intptr set)',
    ),
  };
}

/** `{6A0F1E2D-0000-4C3B-9A1D-00AA00BB00CC}` as the 16 bytes of a GUID structure. */
export function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/[{}-]/g, '');
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(parseInt(hex.slice(0, 8), 16), 0);
  bytes.writeUInt16LE(parseInt(hex.slice(8, 12), 16), 4);
  bytes.writeUInt16LE(parseInt(hex.slice(12, 16), 16), 6);
  Buffer.from(hex.slice(16), 'hex').copy(bytes, 8);
  return bytes;
}

/** The path of the first present interface of the class, or the Win32 code of why there is none. */
export function deviceInterfacePath(guid: string): { path: string } | { win32: number } {
  const a = (bindings ??= bind());
  const classGuid = guidBytes(guid);
  const set = BigInt(
    a.SetupDiGetClassDevsW(classGuid, null, null, DIGCF_PRESENT | DIGCF_DEVICEINTERFACE) as bigint,
  );
  if (set === -1n) return { win32: a.GetLastError() as number };
  try {
    const data = Buffer.alloc(SP_DEVICE_INTERFACE_DATA_SIZE);
    data.writeUInt32LE(SP_DEVICE_INTERFACE_DATA_SIZE, 0);
    if (!a.SetupDiEnumDeviceInterfaces(set, null, classGuid, 0, data))
      return { win32: a.GetLastError() as number };
    const required = [0];
    a.SetupDiGetDeviceInterfaceDetailW(set, data, null, 0, required, null);
    const sizeError = a.GetLastError() as number;
    if (required[0]! < DETAIL_CB_SIZE) return { win32: sizeError || ERROR_INSUFFICIENT_BUFFER };
    const detail = Buffer.alloc(required[0]!);
    detail.writeUInt32LE(DETAIL_CB_SIZE, 0);
    if (!a.SetupDiGetDeviceInterfaceDetailW(set, data, detail, detail.length, required, null))
      return { win32: a.GetLastError() as number };
    return { path: detail.toString('utf16le', 4).split('\0')[0]! };
  } finally {
    a.SetupDiDestroyDeviceInfoList(set);
  }
}
