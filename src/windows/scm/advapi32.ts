/**
 * koffi bindings for the SCM functions of advapi32.dll, loaded once and lazily (so importing this
 * module on Linux is harmless). Each binding names its Microsoft Learn page.
 */
import koffi from 'koffi';
import { windowsLibrary } from '../native/library.ts';

export type ScHandle = bigint & { readonly __brand: 'SC_HANDLE' };

type Fn = (...args: unknown[]) => unknown;

let bindings: ReturnType<typeof bind> | undefined;

function bind() {
  const advapi32 = windowsLibrary('advapi32.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const SERVICE_DESCRIPTIONW = koffi.struct('SERVICE_DESCRIPTIONW', { lpDescription: 'str16' });
  const SERVICE_STATUS = koffi.struct('SERVICE_STATUS', {
    type: 'uint32',
    state: 'uint32',
    controlsAccepted: 'uint32',
    win32ExitCode: 'uint32',
    serviceSpecificExitCode: 'uint32',
    checkPoint: 'uint32',
    waitHint: 'uint32',
  });
  const fn = (lib: typeof advapi32, proto: string) => lib.func(proto) as Fn;
  return {
    /** https://learn.microsoft.com/windows/win32/api/errhandlingapi/nf-errhandlingapi-getlasterror */
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-openscmanagerw */
    OpenSCManagerW: fn(
      advapi32,
      'void* __stdcall OpenSCManagerW(str16 machine, str16 database, uint32 access)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-createservicew */
    CreateServiceW: fn(
      advapi32,
      'void* __stdcall CreateServiceW(void* scm, str16 name, str16 display, uint32 access, uint32 type, uint32 start, uint32 errorControl, str16 path, str16 group, _Out_ uint32* tagId, str16 deps, str16 account, str16 password)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-openservicew */
    OpenServiceW: fn(
      advapi32,
      'void* __stdcall OpenServiceW(void* scm, str16 name, uint32 access)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-queryservicestatusex */
    QueryServiceStatusEx: fn(
      advapi32,
      'int __stdcall QueryServiceStatusEx(void* service, int level, void* buffer, uint32 size, _Out_ uint32* needed)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-queryserviceconfigw */
    QueryServiceConfigW: fn(
      advapi32,
      'int __stdcall QueryServiceConfigW(void* service, void* buffer, uint32 size, _Out_ uint32* needed)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-queryserviceconfig2w */
    QueryServiceConfig2W: fn(
      advapi32,
      'int __stdcall QueryServiceConfig2W(void* service, uint32 level, void* buffer, uint32 size, _Out_ uint32* needed)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-changeserviceconfig2w (SERVICE_CONFIG_DESCRIPTION) */
    ChangeServiceConfig2W_Description: advapi32.func('__stdcall', 'ChangeServiceConfig2W', 'int', [
      'void*',
      'uint32',
      koffi.pointer(SERVICE_DESCRIPTIONW),
    ]) as Fn,
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-startservicew (blocks until DriverEntry returns) */
    StartServiceW: fn(
      advapi32,
      'int __stdcall StartServiceW(void* service, uint32 argc, void* argv)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-controlservice (STOP blocks until DriverUnload returns) */
    ControlService: advapi32.func('__stdcall', 'ControlService', 'int', [
      'void*',
      'uint32',
      koffi.out(koffi.pointer(SERVICE_STATUS)),
    ]) as Fn,
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-deleteservice */
    DeleteService: fn(advapi32, 'int __stdcall DeleteService(void* service)'),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-enumservicesstatusexw */
    EnumServicesStatusExW: fn(
      advapi32,
      'int __stdcall EnumServicesStatusExW(void* scm, int level, uint32 type, uint32 state, void* buffer, uint32 size, _Out_ uint32* needed, _Out_ uint32* returned, _Inout_ uint32* resume, str16 group)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-closeservicehandle */
    CloseServiceHandle: fn(advapi32, 'int __stdcall CloseServiceHandle(void* handle)'),
  };
}

export function advapi32(): ReturnType<typeof bind> {
  bindings ??= bind();
  return bindings;
}

/** Runs `use` with `size` bytes of stable native memory; returns what it returns, then frees. */
export function withNativeBuffer<T>(size: number, use: (address: bigint) => T): T {
  const address = koffi.alloc('uint8_t', Math.max(size, 1)) as unknown as bigint;
  try {
    return use(address);
  } finally {
    koffi.free(address as never);
  }
}

/** A copy of `size` bytes at `address` (the native memory may be freed afterwards). */
export function copyNativeBytes(address: bigint, size: number): Uint8Array {
  return new Uint8Array(koffi.view(address as never, size)).slice();
}
