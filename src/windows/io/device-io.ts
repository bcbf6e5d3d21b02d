/**
 * A driver's device, opened from user mode for the I/O table: CreateFileW (overlapped), then
 * IOCTLs, reads and writes through ntdll's NtDeviceIoControlFile, NtReadFile and NtWriteFile,
 * each with an event of its own, so a call never blocks its thread: the caller waits on the event
 * with its own bound and cancels (CancelIoEx) what is still pending. ntdll's calls return the exact
 * NTSTATUS the driver completed with: kernel32's DeviceIoControl loses it for a call the driver
 * fails at once (OVERLAPPED.Internal stays STATUS_PENDING under Wine 8, drivers/BUILD-NOTES.md).
 * The buffers (Node Buffers, passed to koffi by address) stay referenced until the call ends.
 */
import { windowsLibrary } from '../native/library.ts';

type Fn = (...args: unknown[]) => unknown;

const GENERIC_READ_WRITE = 0xc000_0000;
const FILE_SHARE_READ_WRITE = 0x3;
const OPEN_EXISTING = 3;
const FILE_FLAG_OVERLAPPED = 0x4000_0000;
const INVALID_HANDLE_VALUE = -1n;
const STATUS_PENDING = 0x103;
const WAIT_OBJECT_0 = 0;
const WAIT_TIMEOUT = 258;

let bindings: ReturnType<typeof bind> | undefined;

/**
 * The buffers of calls released while still pending (a hang, cancelled in vain): the driver may
 * yet complete into them, so they are never let go of. A few bytes per hung call.
 */
const stillPending: unknown[] = [];

function bind() {
  const kernel32 = windowsLibrary('kernel32.dll');
  const ntdll = windowsLibrary('ntdll.dll');
  const fn = (lib: typeof kernel32, proto: string) => lib.func(proto) as Fn;
  return {
    GetLastError: fn(kernel32, 'uint32 __stdcall GetLastError()'),
    /** https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew */
    CreateFileW: fn(
      kernel32,
      'intptr __stdcall CreateFileW(str16 name, uint32 access, uint32 share, void* security, uint32 disposition, uint32 flags, intptr template)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/handleapi/nf-handleapi-closehandle */
    CloseHandle: fn(kernel32, 'int __stdcall CloseHandle(intptr handle)'),
    /** https://learn.microsoft.com/windows/win32/fileio/cancelioex-func (the IO_STATUS_BLOCK is the OVERLAPPED's head) */
    CancelIoEx: fn(kernel32, 'int __stdcall CancelIoEx(intptr handle, void* overlapped)'),
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-createeventw */
    CreateEventW: fn(
      kernel32,
      'intptr __stdcall CreateEventW(void* security, int manualReset, int initialState, str16 name)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-waitforsingleobject */
    WaitForSingleObject: fn(
      kernel32,
      'uint32 __stdcall WaitForSingleObject(intptr handle, uint32 milliseconds)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntdeviceiocontrolfile */
    NtDeviceIoControlFile: fn(
      ntdll,
      'uint32 __stdcall NtDeviceIoControlFile(intptr file, intptr event, void* apc, void* apcContext, void* ioStatus, uint32 code, void* input, uint32 inputLength, void* output, uint32 outputLength)',
    ),
    /** https://learn.microsoft.com/windows/win32/devnotes/ntreadfile */
    NtReadFile: fn(
      ntdll,
      'uint32 __stdcall NtReadFile(intptr file, intptr event, void* apc, void* apcContext, void* ioStatus, void* buffer, uint32 length, void* byteOffset, void* key)',
    ),
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntwritefile */
    NtWriteFile: fn(
      ntdll,
      'uint32 __stdcall NtWriteFile(intptr file, intptr event, void* apc, void* apcContext, void* ioStatus, void* buffer, uint32 length, void* byteOffset, void* key)',
    ),
    /** https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-rtlntstatustodoserror */
    RtlNtStatusToDosError: fn(ntdll, 'uint32 __stdcall RtlNtStatusToDosError(uint32 status)'),
  };
}

function api() {
  bindings ??= bind();
  return bindings;
}

/** How a call ended: the driver's NTSTATUS, its Win32 translation, the bytes it reported. */
export interface IoCallEnd {
  readonly ntstatus: number;
  readonly win32: number;
  readonly bytes: number;
}

/**
 * One call as made: its buffers by length, or `null` for a NULL pointer (given with a length, the
 * call passes NULL and that length), and `misaligned` to pass each buffer one byte past an
 * 8-byte boundary.
 */
export interface IoRequest {
  readonly kind: 'ioctl' | 'read' | 'write';
  readonly code?: number;
  readonly input: Uint8Array | null;
  readonly inputLength: number;
  readonly outputLength: number;
  readonly nullOutput?: boolean;
  readonly misaligned?: boolean;
}

/** A call under way. `wait` returns undefined while it is still pending after `ms`. */
export interface IoCall {
  wait(ms: number): IoCallEnd | undefined;
  cancel(): void;
  /** Closes its event; the buffers go with the last reference to this object. */
  release(): void;
}

/** An open device: the I/O table's calls go through it. */
export interface IoDevice {
  call(request: IoRequest): IoCall;
  close(): void;
}

/** CreateFileW refused the device: its Win32 code (2: no such device, 5: access denied, …). */
export class DeviceOpenFailed extends Error {
  readonly win32: number;
  readonly path: string;
  constructor(path: string, win32: number) {
    super(`CreateFileW(${path}) failed with Win32 ${win32}`);
    this.name = 'DeviceOpenFailed';
    this.path = path;
    this.win32 = win32;
  }
}

/** Opens `path` (`\\.\Name`, or a device interface's path) for overlapped I/O. */
export function openDevice(path: string): IoDevice {
  const a = api();
  const handle = BigInt(
    a.CreateFileW(
      path,
      GENERIC_READ_WRITE,
      FILE_SHARE_READ_WRITE,
      null,
      OPEN_EXISTING,
      FILE_FLAG_OVERLAPPED,
      0n,
    ) as bigint | number,
  );
  if (handle === INVALID_HANDLE_VALUE || handle === 0n)
    throw new DeviceOpenFailed(path, a.GetLastError() as number);
  return new OpenDevice(handle);
}

/** A Buffer of `length` bytes, one byte past an 8-byte boundary when `misaligned`. */
function buffer(length: number, misaligned: boolean, fill?: Uint8Array | null): Buffer {
  const whole = Buffer.alloc(length + (misaligned ? 9 : 0));
  const start = misaligned ? 8 - (whole.byteOffset % 8) + 1 : 0;
  const view = whole.subarray(start, start + length);
  if (fill) view.set(fill.subarray(0, length));
  return view;
}

class OpenDevice implements IoDevice {
  private readonly handle: bigint;
  private closed = false;

  constructor(handle: bigint) {
    this.handle = handle;
  }

  call(request: IoRequest): IoCall {
    const a = api();
    const ioStatus = Buffer.alloc(16);
    const event = BigInt(a.CreateEventW(null, 1, 0, null) as bigint | number);
    const misaligned = request.misaligned === true;
    const input =
      request.input === null ? null : buffer(request.inputLength, misaligned, request.input);
    const output = request.nullOutput ? null : buffer(request.outputLength, misaligned);
    const offset = Buffer.alloc(8);
    let status: number;
    if (request.kind === 'ioctl')
      status = a.NtDeviceIoControlFile(
        this.handle,
        event,
        null,
        null,
        ioStatus,
        request.code ?? 0,
        input,
        request.inputLength,
        output,
        request.outputLength,
      ) as number;
    else if (request.kind === 'read')
      status = a.NtReadFile(
        this.handle,
        event,
        null,
        null,
        ioStatus,
        output,
        request.outputLength,
        offset,
        null,
      ) as number;
    else
      status = a.NtWriteFile(
        this.handle,
        event,
        null,
        null,
        ioStatus,
        input,
        request.inputLength,
        offset,
        null,
      ) as number;
    status >>>= 0;
    const handle = this.handle;
    const ended = (ntstatus: number): IoCallEnd => ({
      ntstatus,
      win32: a.RtlNtStatusToDosError(ntstatus) as number,
      // The I/O manager writes the IO_STATUS_BLOCK only for a call that succeeded or pended.
      bytes: ntstatus < 0x8000_0000 ? Number(ioStatus.readBigUInt64LE(8)) : 0,
    });
    let end: IoCallEnd | undefined = status === STATUS_PENDING ? undefined : ended(status);
    let released = false;
    return {
      wait(ms: number) {
        if (end) return end;
        const waited = a.WaitForSingleObject(event, Math.max(0, Math.round(ms))) as number;
        if (waited === WAIT_TIMEOUT) return undefined;
        if (waited !== WAIT_OBJECT_0) return undefined;
        end = ended(ioStatus.readUInt32LE(0));
        return end;
      },
      cancel() {
        if (!end) a.CancelIoEx(handle, ioStatus);
      },
      release() {
        if (released) return;
        released = true;
        if (end) a.CloseHandle(event);
        else stillPending.push([ioStatus, input, output, offset, event]);
      },
    };
  }

  /** Cancels whatever is still pending (closing does not end a pending IRP under Wine), then closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const a = api();
    a.CancelIoEx(this.handle, null);
    a.CloseHandle(this.handle);
  }
}
