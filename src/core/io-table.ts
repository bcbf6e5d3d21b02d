/**
 * The I/O table: what drvcycle sends a driver's device between its load and its unload (IOCTLs,
 * reads, writes), and what each call should return. Written by the driver team as JSON (a file
 * named by DRIVER_IO, `driverUnderTest.io` in `use`, or `io` on a manifest line), checked here
 * into one plain-JSON shape that travels to the target as it is:
 *
 *   { "device": "\\\\.\\MyDevice", "everyCycles": 1,
 *     "operations": [ { "name": "get", "ioctl": "0x222000", "outputSize": 4 },
 *                     { "name": "alloc", "ioctl": "0x222004", "inputHex": "00ff" },
 *                     { "name": "read", "read": 16, "cancelAfterMs": 50 } ] }
 *
 * The operations are a plain list of named operations, run in order: any non-empty subset of
 * them, in the same order, is a valid table too (a run per operation tells which one leaks, and
 * a reproduction keeps the fewest that still fail). The checked shape is itself a table as
 * written (`parseIoTable(parseIoTable(x)) ≡ parseIoTable(x)`), so it can be saved and read back.
 */
import { ConfigError } from './errors.ts';
import { NTSTATUS_NAMES } from './ntstatus-names.ts';
import { formatNtstatus } from './ntstatus.ts';
import { WIN32_NAMES } from './win32-names.ts';

/** What a call must end with; several in a list: any of them. */
export type IoExpectation =
  'success' | 'any' | { readonly ntstatus: number } | { readonly win32: number };

interface IoOperationCommon {
  readonly kind: 'ioctl' | 'read' | 'write';
  /** Unique in its table; verdicts and records name the operation by it. */
  readonly name: string;
  readonly expect: readonly IoExpectation[];
  /** The call's bound: past it the operation is a hang (the driver never completed it). */
  readonly timeoutMs: number;
  /**
   * The call is expected to stay pending: drvcycle cancels it (CancelIoEx) this long after it is
   * made, and it must then end (with STATUS_CANCELLED unless `expect` says otherwise) within
   * `timeoutMs`.
   */
  readonly cancelAfterMs?: number;
  /** Times the call is made each time the table runs. */
  readonly repeat: number;
}

export interface IoctlOperation extends IoOperationCommon {
  readonly kind: 'ioctl';
  /** The control code, an unsigned 32-bit number. */
  readonly ioctl: number;
  /** The input buffer, as hex (zero-padded to `inputSize` when that is larger). */
  readonly inputHex: string;
  readonly inputSize: number;
  readonly outputSize: number;
}

export interface ReadOperation extends IoOperationCommon {
  readonly kind: 'read';
  /** The bytes asked for. */
  readonly read: number;
}

export interface WriteOperation extends IoOperationCommon {
  readonly kind: 'write';
  /** The bytes written, as hex. */
  readonly write: string;
}

export type IoOperation = IoctlOperation | ReadOperation | WriteOperation;

/** Device Path Exerciser's way: the table's operations with hostile buffers (see io-fuzz.ts). */
export interface IoFuzzSettings {
  /** The PRNG's seed (an unsigned 32-bit number); unset: one is drawn and named in the verdict. */
  readonly seed?: number;
  /** Random-bytes calls per operation each time the table runs. */
  readonly randomCalls: number;
}

export interface IoTable {
  /** The Win32 path opened with CreateFileW: `\\.\MyDevice`. */
  readonly device?: string;
  /** A device interface class GUID (a PnP driver): its first present interface is opened. */
  readonly deviceInterface?: string;
  /** The table runs on every k-th cycle (1: every cycle). */
  readonly everyCycles: number;
  /**
   * The bound for opening the device and for closing it (the driver's IRP_MJ_CREATE, and its
   * IRP_MJ_CLEANUP/CLOSE after the cancel): past it the open or close is a hang.
   */
  readonly openTimeoutMs: number;
  readonly operations: readonly IoOperation[];
  readonly fuzz?: IoFuzzSettings;
}

export const IO_LIMITS = {
  operations: 64,
  bufferBytes: 1024 * 1024,
  timeoutMs: 10 * 60_000,
  repeat: 10_000,
  everyCycles: 1_000_000,
  randomCalls: 1_000,
} as const;
export const DEFAULT_IO_TIMEOUT_MS = 5_000;

const TABLE_FIELDS = [
  'device',
  'deviceInterface',
  'everyCycles',
  'openTimeoutMs',
  'operations',
  'fuzz',
];
const COMMON_FIELDS = ['kind', 'name', 'expect', 'timeoutMs', 'cancelAfterMs', 'repeat'];
const KIND_FIELDS = {
  ioctl: ['ioctl', 'inputHex', 'inputSize', 'outputSize'],
  read: ['read'],
  write: ['write'],
} as const;
const OPERATION_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const DEVICE_PATH = /^\\\\[.?]\\[^\\/:*?"<>|\0]+(\\[^\0]*)?$/;
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;
const HEX = /^(?:[0-9a-f]{2})*$/i;
const EXAMPLE =
  '{"device": "\\\\\\\\.\\\\MyDevice", "operations": [{"name": "get", "ioctl": "0x222000", "outputSize": 4}]}';

const NTSTATUS_BY_NAME = new Map([...NTSTATUS_NAMES].map(([code, name]) => [name, code]));
const WIN32_BY_NAME = new Map([...WIN32_NAMES].map(([code, name]) => [name, code]));

/**
 * Checks an I/O table as the team wrote it (parsed JSON) and returns its one shape, defaults
 * filled in. `source` says where it came from (`DRIVER_IO=io.json`, `drivers.jsonl:3`), for the
 * messages; every problem is a ConfigError naming the field and what it takes.
 */
export function parseIoTable(input: unknown, source: string): IoTable {
  const table = objectAt(input, source, `Write the table as a JSON object, e.g. ${EXAMPLE}.`);
  refuseUnknown(table, TABLE_FIELDS, source);
  const device = optionalString(table, 'device', source);
  const deviceInterface = optionalString(table, 'deviceInterface', source);
  if ((device === undefined) === (deviceInterface === undefined))
    throw new ConfigError(
      `${source}: the table names ${device === undefined ? 'no device' : 'both a device and a deviceInterface'}.`,
      'Give one: "device": "\\\\\\\\.\\\\MyDevice" (the name your driver gives IoCreateSymbolicLink, as \\\\.\\Name) or, for a PnP driver, "deviceInterface": "{GUID}" (the class it registers with IoRegisterDeviceInterface).',
    );
  if (device !== undefined && !DEVICE_PATH.test(device))
    throw new ConfigError(
      `${source}: "device" ${JSON.stringify(device)} is not a Win32 device path.`,
      'Write it as CreateFileW takes it: \\\\.\\MyDevice (in JSON "\\\\\\\\.\\\\MyDevice"), the name after \\DosDevices\\ or \\??\\ in your driver.',
    );
  if (deviceInterface !== undefined && !GUID.test(deviceInterface))
    throw new ConfigError(
      `${source}: "deviceInterface" ${JSON.stringify(deviceInterface)} is not a GUID.`,
      'Write the interface class GUID as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}.',
    );
  const everyCycles =
    wholeNumber(table, 'everyCycles', source, 1, IO_LIMITS.everyCycles, 'cycles') ?? 1;
  const openTimeoutMs =
    wholeNumber(table, 'openTimeoutMs', source, 1, IO_LIMITS.timeoutMs, 'milliseconds') ??
    DEFAULT_IO_TIMEOUT_MS;

  const list = table.operations;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(
      `${source}: "operations" must be a non-empty list.`,
      `List the calls to make on each run of the table, e.g. ${EXAMPLE}.`,
    );
  if (list.length > IO_LIMITS.operations)
    throw new ConfigError(
      `${source}: "operations" has ${list.length} entries; a table takes at most ${IO_LIMITS.operations}.`,
      'Split the table: run the specs once per table (DRIVER_IO).',
    );
  const operations = list.map((entry, index) =>
    parseOperation(entry, `${source} operations[${index}]`),
  );
  const seen = new Set<string>();
  for (const operation of operations) {
    if (seen.has(operation.name))
      throw new ConfigError(
        `${source}: two operations are named ${JSON.stringify(operation.name)}.`,
        'Give each operation its own name: verdicts name the operation by it.',
      );
    seen.add(operation.name);
  }
  const fuzz = table.fuzz === undefined ? undefined : parseFuzz(table.fuzz, `${source} fuzz`);
  return {
    ...(device !== undefined ? { device } : {}),
    ...(deviceInterface !== undefined ? { deviceInterface: braced(deviceInterface) } : {}),
    everyCycles,
    openTimeoutMs,
    operations,
    ...(fuzz ? { fuzz } : {}),
  };
}

/** The table with only the named operations, in the table's order (a valid table itself). */
export function withOperations(table: IoTable, names: readonly string[]): IoTable {
  const unknown = names.filter((name) => !table.operations.some((op) => op.name === name));
  if (unknown.length > 0)
    throw new ConfigError(
      `The I/O table has no operation ${unknown.map((name) => JSON.stringify(name)).join(', ')}.`,
      `Its operations: ${table.operations.map((op) => op.name).join(', ')}.`,
    );
  const operations = table.operations.filter((op) => names.includes(op.name));
  if (operations.length === 0)
    throw new ConfigError('An I/O table needs at least one operation.', 'Name one or more.');
  return { ...table, operations };
}

function parseOperation(input: unknown, at: string): IoOperation {
  const entry = objectAt(
    input,
    at,
    'Write each operation as an object: {"name": "get", "ioctl": "0x222000"}.',
  );
  const name = entry.name;
  if (typeof name !== 'string' || !OPERATION_NAME.test(name))
    throw new ConfigError(
      `${at}: "name" ${name === undefined ? 'is missing' : `${JSON.stringify(name)} is not allowed`}.`,
      'Name each operation with 1-64 letters, digits, "_", "." or "-": verdicts name it.',
    );
  const where = `${at} (${name})`;
  const kinds = (Object.keys(KIND_FIELDS) as (keyof typeof KIND_FIELDS)[]).filter(
    (kind) => entry[kind] !== undefined,
  );
  if (kinds.length !== 1)
    throw new ConfigError(
      `${where} ${kinds.length === 0 ? 'says no call' : `says ${kinds.join(' and ')}`}: an operation is one "ioctl", "read" or "write".`,
      'e.g. {"name": "get", "ioctl": "0x222000", "outputSize": 4}, {"name": "r", "read": 16} or {"name": "w", "write": "00ff"}.',
    );
  const kind = kinds[0]!;
  if (entry.kind !== undefined && entry.kind !== kind)
    throw new ConfigError(
      `${where}: "kind" ${JSON.stringify(entry.kind)} is not its call (${kind}).`,
      'Drop "kind": the call\'s own field ("ioctl", "read" or "write") says it.',
    );
  refuseUnknown(entry, [...COMMON_FIELDS, ...KIND_FIELDS[kind]], where);
  const timeoutMs =
    wholeNumber(entry, 'timeoutMs', where, 1, IO_LIMITS.timeoutMs, 'milliseconds') ??
    DEFAULT_IO_TIMEOUT_MS;
  const cancelAfterMs = wholeNumber(
    entry,
    'cancelAfterMs',
    where,
    0,
    IO_LIMITS.timeoutMs,
    'milliseconds',
  );
  if (cancelAfterMs !== undefined && cancelAfterMs >= timeoutMs)
    throw new ConfigError(
      `${where}: "cancelAfterMs" (${cancelAfterMs}) is not below its "timeoutMs" (${timeoutMs}).`,
      'The cancel comes first and the bound after it: the bound is how long the driver has to complete the cancelled call.',
    );
  const common = {
    name,
    expect: parseExpect(entry.expect, where, cancelAfterMs !== undefined),
    timeoutMs,
    ...(cancelAfterMs !== undefined ? { cancelAfterMs } : {}),
    repeat: wholeNumber(entry, 'repeat', where, 1, IO_LIMITS.repeat, 'calls') ?? 1,
  };
  if (kind === 'read')
    return {
      kind,
      ...common,
      read: wholeNumber(entry, 'read', where, 0, IO_LIMITS.bufferBytes, 'bytes')!,
    };
  if (kind === 'write') return { kind, ...common, write: hexField(entry, 'write', where) };
  const code = controlCode(entry.ioctl, where);
  const inputHex = entry.inputHex === undefined ? '' : hexField(entry, 'inputHex', where);
  const inputSize =
    wholeNumber(entry, 'inputSize', where, 0, IO_LIMITS.bufferBytes, 'bytes') ??
    inputHex.length / 2;
  if (inputSize < inputHex.length / 2)
    throw new ConfigError(
      `${where}: "inputSize" (${inputSize}) is shorter than "inputHex" (${inputHex.length / 2} bytes).`,
      'Drop inputSize (it defaults to the hex bytes) or make it at least as long; the bytes past the hex are zero.',
    );
  return {
    kind,
    ...common,
    ioctl: code,
    inputHex: inputHex.toLowerCase(),
    inputSize,
    outputSize: wholeNumber(entry, 'outputSize', where, 0, IO_LIMITS.bufferBytes, 'bytes') ?? 0,
  };
}

function parseFuzz(input: unknown, at: string): IoFuzzSettings {
  const fuzz = objectAt(
    input,
    at,
    'Write it as {"seed": 1234, "randomCalls": 8}, or {} for a drawn seed.',
  );
  refuseUnknown(fuzz, ['seed', 'randomCalls'], at);
  const seed = wholeNumber(fuzz, 'seed', at, 0, 0xffff_ffff, '(an unsigned 32-bit seed)');
  return {
    ...(seed !== undefined ? { seed } : {}),
    randomCalls: wholeNumber(fuzz, 'randomCalls', at, 0, IO_LIMITS.randomCalls, 'calls') ?? 4,
  };
}

/** `"0x222000"`, `"2236416"` or 2236416 → 0x222000; anything else is refused with the form to use. */
function controlCode(value: unknown, at: string): number {
  const code =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^(0x[0-9a-f]{1,8}|[0-9]{1,10})$/i.test(value.trim())
        ? Number(value.trim())
        : NaN;
  if (!Number.isInteger(code) || code < 0 || code > 0xffff_ffff)
    throw new ConfigError(
      `${at}: "ioctl" ${JSON.stringify(value)} is not a control code.`,
      'Give the IOCTL as CTL_CODE computes it, in hex: "ioctl": "0x222000" (CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)).',
    );
  return code;
}

const METHODS = ['METHOD_BUFFERED', 'METHOD_IN_DIRECT', 'METHOD_OUT_DIRECT', 'METHOD_NEITHER'];
const ACCESS = [
  'FILE_ANY_ACCESS',
  'FILE_READ_ACCESS',
  'FILE_WRITE_ACCESS',
  'FILE_READ_ACCESS|FILE_WRITE_ACCESS',
];

/** CTL_CODE's four parts: `0x00222003 (device 0x22, function 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)`. */
export function describeIoctl(code: number): string {
  const c = code >>> 0;
  const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;
  return `0x${c.toString(16).toUpperCase().padStart(8, '0')} (device ${hex(c >>> 16)}, function ${hex((c >>> 2) & 0xfff)}, ${METHODS[c & 3]}, ${ACCESS[(c >>> 14) & 3]})`;
}

/** The table's device as a verdict names it before it is opened: its path, or its interface class. */
export function tableDeviceName(table: IoTable): string {
  return table.device ?? `the first present interface of ${table.deviceInterface}`;
}

/** The table as a verdict's evidence describes it (`evidence.io`): its device, operations, cadence, seed. */
export function ioTableEvidence(table: IoTable) {
  return {
    device: table.device ?? table.deviceInterface,
    operations: table.operations.map((op) => op.name),
    everyCycles: table.everyCycles,
    ...(table.fuzz ? { fuzzSeed: table.fuzz.seed } : {}),
  };
}

/** One operation as a verdict names it: `alloc (IOCTL 0x00222004 …)`, `read (ReadFile 16 bytes)`. */
export function describeOperation(op: IoOperation): string {
  if (op.kind === 'ioctl') return `${op.name} (IOCTL ${describeIoctl(op.ioctl)})`;
  if (op.kind === 'read') return `${op.name} (ReadFile ${op.read} bytes)`;
  return `${op.name} (WriteFile ${op.write.length / 2} bytes)`;
}

function parseExpect(value: unknown, at: string, cancelled: boolean): IoExpectation[] {
  if (value === undefined) return cancelled ? [{ ntstatus: STATUS_CANCELLED }] : ['success'];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0)
    throw new ConfigError(
      `${at}: "expect" is an empty list.`,
      'Give one status or more, e.g. "success" or ["STATUS_SUCCESS", "STATUS_BUFFER_TOO_SMALL"].',
    );
  return list.map((one) => expectation(one, at));
}

export const STATUS_CANCELLED = 0xc0000120;

function expectation(value: unknown, at: string): IoExpectation {
  const refuse = () =>
    new ConfigError(
      `${at}: "expect" ${JSON.stringify(value)} is not a status drvcycle knows.`,
      'Use "success", "any", an NTSTATUS by name or in hex ("STATUS_INVALID_PARAMETER", "0xC000000D"), or a Win32 code by name or number ("ERROR_INVALID_PARAMETER", 87).',
    );
  const whole = (n: unknown, max: number): n is number =>
    typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;
  if (typeof value === 'number') {
    if (!whole(value, 0xffff)) throw refuse();
    return { win32: value };
  }
  // The checked form, read back: {"ntstatus": 3221225485} or {"win32": 87}.
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 1) {
    const { ntstatus, win32 } = value as { ntstatus?: unknown; win32?: unknown };
    if (whole(ntstatus, 0xffff_ffff)) return { ntstatus };
    if (whole(win32, 0xffff)) return { win32 };
  }
  if (typeof value !== 'string') throw refuse();
  const text = value.trim();
  if (text === 'success' || text === 'any') return text;
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return { ntstatus: Number(text) >>> 0 };
  if (/^[0-9]{1,5}$/.test(text) && Number(text) <= 0xffff) return { win32: Number(text) };
  const ntstatus = NTSTATUS_BY_NAME.get(text.toUpperCase());
  if (ntstatus !== undefined) return { ntstatus };
  const win32 = WIN32_BY_NAME.get(text.toUpperCase());
  if (win32 !== undefined) return { win32 };
  throw refuse();
}

/** How one call ended: its NTSTATUS where the target read it, and the Win32 code GetLastError gave (0: success). */
export interface IoStatus {
  readonly ntstatus: number | null;
  readonly win32: number;
}

/** Whether a call's status is one its operation expects. */
export function statusExpected(status: IoStatus, expect: readonly IoExpectation[]): boolean {
  return expect.some((one) => {
    if (one === 'any') return true;
    if (one === 'success')
      return status.ntstatus !== null ? ntSuccess(status.ntstatus) : status.win32 === 0;
    if ('ntstatus' in one) return status.ntstatus === one.ntstatus >>> 0;
    return status.win32 === one.win32;
  });
}

/** NT_SUCCESS: severity success or informational (STATUS_PENDING is not an end). */
function ntSuccess(status: number): boolean {
  const s = status >>> 0;
  return s < 0x8000_0000 && s !== 0x103;
}

/** `STATUS_SUCCESS or 0xC0000023 STATUS_BUFFER_TOO_SMALL`: an operation's expectations, for a verdict. */
export function describeExpect(expect: readonly IoExpectation[]): string {
  return expect
    .map((one) => {
      if (typeof one === 'string') return one;
      if ('ntstatus' in one) return formatNtstatus(one.ntstatus);
      return `Win32 ${one.win32}${WIN32_NAMES.has(one.win32) ? ` ${WIN32_NAMES.get(one.win32)}` : ''}`;
    })
    .join(' or ');
}

/** `0xC000000D STATUS_INVALID_PARAMETER (Win32 87 ERROR_INVALID_PARAMETER)`. */
export function describeStatus(status: IoStatus): string {
  const win32 = `Win32 ${status.win32}${WIN32_NAMES.has(status.win32) ? ` ${WIN32_NAMES.get(status.win32)}` : ''}`;
  return status.ntstatus === null
    ? `${win32} (NTSTATUS not read)`
    : `${formatNtstatus(status.ntstatus)} (${win32})`;
}

/** The bytes of an operation's hex, `size` long (zero-padded). */
export function hexBytes(hex: string, size = hex.length / 2): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < hex.length / 2 && i < size; i++)
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function braced(guid: string): string {
  const bare = guid.replace(/^\{|\}$/g, '').toUpperCase();
  return `{${bare}}`;
}

function objectAt(input: unknown, at: string, hint: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConfigError(`${at} is not a JSON object.`, hint);
  return input as Record<string, unknown>;
}

function refuseUnknown(
  record: Record<string, unknown>,
  allowed: readonly string[],
  at: string,
): void {
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    throw new ConfigError(
      `${at} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`,
      `It takes: ${allowed.join(', ')}.`,
    );
}

function optionalString(
  record: Record<string, unknown>,
  key: string,
  at: string,
): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new ConfigError(
      `${at}: "${key}" must be a non-empty string.`,
      `Give ${key} as a JSON string.`,
    );
  return value;
}

function wholeNumber(
  record: Record<string, unknown>,
  key: string,
  at: string,
  min: number,
  max: number,
  unit: string,
): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(
      `${at}: "${key}" ${JSON.stringify(value)} is not allowed.`,
      `Give a whole number of ${unit} from ${min} to ${max}.`,
    );
  return value;
}

function hexField(record: Record<string, unknown>, key: string, at: string): string {
  const value = record[key];
  const text = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
  if (text === undefined || !HEX.test(text))
    throw new ConfigError(
      `${at}: "${key}" ${JSON.stringify(value)} is not bytes in hex.`,
      'Write the bytes as pairs of hex digits, e.g. "00ff10" (spaces allowed).',
    );
  if (text.length / 2 > IO_LIMITS.bufferBytes)
    throw new ConfigError(
      `${at}: "${key}" is ${text.length / 2} bytes; a buffer takes at most ${IO_LIMITS.bufferBytes}.`,
      'Use a smaller buffer.',
    );
  return text.toLowerCase();
}
