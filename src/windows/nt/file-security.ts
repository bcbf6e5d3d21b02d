/**
 * A file's owner and DACL, read with GetNamedSecurityInfoW and copied out as the self-relative
 * security descriptor Windows returns; decoded by src/core/token-file.ts.
 * https://learn.microsoft.com/windows/win32/api/aclapi/nf-aclapi-getnamedsecurityinfow
 */
import koffi from 'koffi';
import { windowsLibrary } from '../native/library.ts';
import { decodeSecurityDescriptor, type FileSecurity } from '../../core/token-file.ts';

const SE_FILE_OBJECT = 1;
const OWNER_SECURITY_INFORMATION = 0x1;
const DACL_SECURITY_INFORMATION = 0x4;

type Fn = (...args: unknown[]) => unknown;

export function readFileSecurity(file: string): FileSecurity {
  const advapi32 = windowsLibrary('advapi32.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  const GetNamedSecurityInfoW = advapi32.func(
    'uint32 __stdcall GetNamedSecurityInfoW(str16 name, int type, uint32 info, _Out_ void** owner, _Out_ void** group, _Out_ void** dacl, _Out_ void** sacl, _Out_ void** sd)',
  ) as Fn;
  const GetSecurityDescriptorLength = advapi32.func(
    'uint32 __stdcall GetSecurityDescriptorLength(void* sd)',
  ) as Fn;
  const LocalFree = kernel32.func('void* __stdcall LocalFree(void* memory)') as Fn;
  const owner = [null];
  const group = [null];
  const dacl = [null];
  const sacl = [null];
  const sd: unknown[] = [null];
  const status = GetNamedSecurityInfoW(
    file,
    SE_FILE_OBJECT,
    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
    owner,
    group,
    dacl,
    sacl,
    sd,
  ) as number;
  if (status !== 0)
    throw new Error(`GetNamedSecurityInfoW(${file}) failed with Win32 error ${status}.`);
  try {
    const size = GetSecurityDescriptorLength(sd[0]) as number;
    return decodeSecurityDescriptor(new Uint8Array(koffi.view(sd[0] as never, size)).slice());
  } finally {
    LocalFree(sd[0]);
  }
}
