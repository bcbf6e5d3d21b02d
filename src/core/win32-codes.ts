/**
 * Win32 error codes: every symbolic name (win32-names.ts, generated from winerror.h), the messages
 * of the codes drvcycle meets most, and the target's own message (FormatMessageW, registered by
 * the Windows layer where it runs) for everything else.
 */
import { WIN32_NAMES } from './win32-names.ts';

export interface Win32ErrorInfo {
  readonly name: string;
  readonly message: string;
}

const WIN32_ERRORS: ReadonlyMap<number, Win32ErrorInfo> = new Map([
  [0, { name: 'ERROR_SUCCESS', message: 'The operation completed successfully.' }],
  [2, { name: 'ERROR_FILE_NOT_FOUND', message: 'The system cannot find the file specified.' }],
  [3, { name: 'ERROR_PATH_NOT_FOUND', message: 'The system cannot find the path specified.' }],
  [5, { name: 'ERROR_ACCESS_DENIED', message: 'Access is denied.' }],
  [6, { name: 'ERROR_INVALID_HANDLE', message: 'The handle is invalid.' }],
  [
    8,
    {
      name: 'ERROR_NOT_ENOUGH_MEMORY',
      message: 'Not enough memory resources are available to process this command.',
    },
  ],
  [
    31,
    { name: 'ERROR_GEN_FAILURE', message: 'A device attached to the system is not functioning.' },
  ],
  [87, { name: 'ERROR_INVALID_PARAMETER', message: 'The parameter is incorrect.' }],
  [109, { name: 'ERROR_BROKEN_PIPE', message: 'The pipe has been ended.' }],
  [234, { name: 'ERROR_MORE_DATA', message: 'More data is available.' }],
  [
    122,
    {
      name: 'ERROR_INSUFFICIENT_BUFFER',
      message: 'The data area passed to a system call is too small.',
    },
  ],
  [
    123,
    {
      name: 'ERROR_INVALID_NAME',
      message: 'The filename, directory name, or volume label syntax is incorrect.',
    },
  ],
  [193, { name: 'ERROR_BAD_EXE_FORMAT', message: 'The image is not a valid Win32 application.' }],
  [
    216,
    { name: 'ERROR_EXE_MACHINE_TYPE_MISMATCH', message: 'The image is for another machine type.' },
  ],
  [
    577,
    {
      name: 'ERROR_INVALID_IMAGE_HASH',
      message: 'Windows cannot verify the digital signature for this file.',
    },
  ],
  [
    647,
    {
      name: 'ERROR_FAILED_DRIVER_ENTRY',
      message: 'The driver was not loaded because it failed its initialization call.',
    },
  ],
  [
    654,
    {
      name: 'ERROR_DRIVER_FAILED_PRIOR_UNLOAD',
      message:
        'The driver was not loaded because a previous instance of it is still referenced (driver object still referenced after unload).',
    },
  ],
  [
    183,
    {
      name: 'ERROR_ALREADY_EXISTS',
      message: 'Cannot create a file when that file already exists.',
    },
  ],
  [1359, { name: 'ERROR_INTERNAL_ERROR', message: 'An internal error occurred.' }],
  [
    1051,
    {
      name: 'ERROR_DEPENDENT_SERVICES_RUNNING',
      message:
        'A stop control has been sent to a service that other running services are dependent on.',
    },
  ],
  [
    1052,
    {
      name: 'ERROR_INVALID_SERVICE_CONTROL',
      message: 'The requested control is not valid for this service.',
    },
  ],
  [
    1053,
    {
      name: 'ERROR_SERVICE_REQUEST_TIMEOUT',
      message: 'The service did not respond to the start or control request in a timely fashion.',
    },
  ],
  [
    1054,
    { name: 'ERROR_SERVICE_NO_THREAD', message: 'A thread could not be created for the service.' },
  ],
  [1055, { name: 'ERROR_SERVICE_DATABASE_LOCKED', message: 'The service database is locked.' }],
  [
    1056,
    {
      name: 'ERROR_SERVICE_ALREADY_RUNNING',
      message: 'An instance of the service is already running.',
    },
  ],
  [
    1057,
    {
      name: 'ERROR_INVALID_SERVICE_ACCOUNT',
      message: 'The account name is invalid or does not exist.',
    },
  ],
  [
    1058,
    {
      name: 'ERROR_SERVICE_DISABLED',
      message: 'The service cannot be started because it is disabled.',
    },
  ],
  [
    1059,
    { name: 'ERROR_CIRCULAR_DEPENDENCY', message: 'Circular service dependency was specified.' },
  ],
  [
    1060,
    {
      name: 'ERROR_SERVICE_DOES_NOT_EXIST',
      message: 'The specified service does not exist as an installed service.',
    },
  ],
  [
    1061,
    {
      name: 'ERROR_SERVICE_CANNOT_ACCEPT_CTRL',
      message: 'The service cannot accept control messages at this time.',
    },
  ],
  [1062, { name: 'ERROR_SERVICE_NOT_ACTIVE', message: 'The service has not been started.' }],
  [
    1063,
    {
      name: 'ERROR_FAILED_SERVICE_CONTROLLER_CONNECT',
      message: 'The service process could not connect to the service controller.',
    },
  ],
  [
    1064,
    {
      name: 'ERROR_EXCEPTION_IN_SERVICE',
      message: 'An exception occurred in the service when handling the control request.',
    },
  ],
  [
    1066,
    {
      name: 'ERROR_SERVICE_SPECIFIC_ERROR',
      message: 'The service has returned a service-specific error code.',
    },
  ],
  [1067, { name: 'ERROR_PROCESS_ABORTED', message: 'The process terminated unexpectedly.' }],
  [
    1068,
    {
      name: 'ERROR_SERVICE_DEPENDENCY_FAIL',
      message: 'The dependency service or group failed to start.',
    },
  ],
  [
    1069,
    {
      name: 'ERROR_SERVICE_LOGON_FAILED',
      message: 'The service did not start due to a logon failure.',
    },
  ],
  [
    1070,
    {
      name: 'ERROR_SERVICE_START_HANG',
      message: 'After starting, the service hung in a start-pending state.',
    },
  ],
  [
    1072,
    {
      name: 'ERROR_SERVICE_MARKED_FOR_DELETE',
      message: 'The specified service has been marked for deletion.',
    },
  ],
  [1073, { name: 'ERROR_SERVICE_EXISTS', message: 'The specified service already exists.' }],
  [
    1075,
    {
      name: 'ERROR_SERVICE_DEPENDENCY_DELETED',
      message: 'The dependency service does not exist or has been marked for deletion.',
    },
  ],
  [
    1077,
    {
      name: 'ERROR_SERVICE_NEVER_STARTED',
      message: 'No attempts to start the service have been made since the last boot.',
    },
  ],
  [
    1078,
    {
      name: 'ERROR_DUPLICATE_SERVICE_NAME',
      message: 'The name is already in use as either a service name or a service display name.',
    },
  ],
  [
    1114,
    {
      name: 'ERROR_DLL_INIT_FAILED',
      message: 'A dynamic link library (DLL) initialization routine failed.',
    },
  ],
  [1275, { name: 'ERROR_DRIVER_BLOCKED', message: 'This driver has been blocked from loading.' }],
  [
    1450,
    {
      name: 'ERROR_NO_SYSTEM_RESOURCES',
      message: 'Insufficient system resources exist to complete the requested service.',
    },
  ],
  [1722, { name: 'RPC_S_SERVER_UNAVAILABLE', message: 'The RPC server is unavailable.' }],
  [
    0x800b0100,
    { name: 'TRUST_E_NOSIGNATURE', message: 'No signature was present in the subject.' },
  ],
  [
    0x800b0101,
    {
      name: 'CERT_E_EXPIRED',
      message: 'A required certificate is not within its validity period.',
    },
  ],
  [
    0x800b0109,
    {
      name: 'CERT_E_UNTRUSTEDROOT',
      message:
        'A certificate chain processed, but terminated in a root certificate which is not trusted.',
    },
  ],
  [
    0x800b010a,
    {
      name: 'CERT_E_CHAINING',
      message: 'A certificate chain could not be built to a trusted root authority.',
    },
  ],
  // SetupAPI's own codes (setupapi.h: APPLICATION_ERROR_MASK | ERROR_SEVERITY_ERROR | n), which
  // winerror.h does not list: what a PnP install fails with.
  [
    0xe0000203,
    {
      name: 'ERROR_NO_DRIVER_SELECTED',
      message: 'There is no driver selected for the device information set or element.',
    },
  ],
  [
    0xe000020b,
    {
      name: 'ERROR_NO_SUCH_DEVINST',
      message: 'The device instance does not exist in the hardware tree.',
    },
  ],
  [
    0xe000022f,
    {
      name: 'ERROR_NO_CATALOG_FOR_OEM_INF',
      message:
        'The third-party INF does not contain digital signature information (no catalog, or not signed).',
    },
  ],
  [
    0xe0000247,
    {
      name: 'ERROR_DRIVER_STORE_ADD_FAILED',
      message:
        'The driver package could not be added to the driver store (in practice: a publisher the machine does not trust).',
    },
  ],
]);

/** The system's own text for a code (FormatMessageW on Windows or in the lab), when known. */
type MessageSource = (code: number) => string | undefined;
let systemMessages: MessageSource | undefined;

export function useSystemMessages(source: MessageSource): void {
  systemMessages = source;
}

export function describeWin32Error(code: number): Win32ErrorInfo {
  const unsigned = code >>> 0;
  const known = WIN32_ERRORS.get(unsigned);
  const name = known?.name ?? WIN32_NAMES.get(unsigned) ?? `WIN32_ERROR_${unsigned}`;
  const message =
    known?.message ??
    systemMessages?.(unsigned) ??
    `Win32 error ${unsigned} (0x${unsigned.toString(16).toUpperCase()}).`;
  return { name, message };
}

/** Errors the SCM returns while a service passes through a state that ends by itself. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([1055, 1061, 1072]);

export function isTransientScmError(code: number): boolean {
  return TRANSIENT_CODES.has(code);
}

export const Win32 = {
  FILE_NOT_FOUND: 2,
  ACCESS_DENIED: 5,
  INVALID_PARAMETER: 87,
  INSUFFICIENT_BUFFER: 122,
  MORE_DATA: 234,
  INVALID_SERVICE_CONTROL: 1052,
  SERVICE_REQUEST_TIMEOUT: 1053,
  SERVICE_DATABASE_LOCKED: 1055,
  SERVICE_ALREADY_RUNNING: 1056,
  SERVICE_DOES_NOT_EXIST: 1060,
  SERVICE_CANNOT_ACCEPT_CTRL: 1061,
  SERVICE_NOT_ACTIVE: 1062,
  SERVICE_MARKED_FOR_DELETE: 1072,
  SERVICE_EXISTS: 1073,
} as const;
