/** The bugcheck code and parameters from a crash dump's header (DUMP_HEADER64, "PAGE" "DU64"). */
export interface DumpHeader {
  readonly bugCheckCode: number;
  readonly bugCheckName: string;
  readonly parameters: readonly [bigint, bigint, bigint, bigint];
  readonly dumpType: number;
}

const BUGCHECK_NAMES: Readonly<Record<number, string>> = {
  0x0a: 'IRQL_NOT_LESS_OR_EQUAL',
  0x1e: 'KMODE_EXCEPTION_NOT_HANDLED',
  0x3b: 'SYSTEM_SERVICE_EXCEPTION',
  0x50: 'PAGE_FAULT_IN_NONPAGED_AREA',
  0x44: 'MULTIPLE_IRP_COMPLETE_REQUESTS',
  0x62: 'OBJECT1_INITIALIZATION_FAILED',
  0x7e: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED',
  0x9f: 'DRIVER_POWER_STATE_FAILURE',
  0xc4: 'DRIVER_VERIFIER_DETECTED_VIOLATION',
  0xc5: 'DRIVER_CORRUPTED_EXPOOL',
  0xc9: 'DRIVER_VERIFIER_IOMANAGER_VIOLATION',
  0xce: 'DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS',
  0xd1: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL',
  0xd5: 'DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL',
  0x133: 'DPC_WATCHDOG_VIOLATION',
  0x139: 'KERNEL_SECURITY_CHECK_FAILURE',
};

export function bugCheckName(code: number): string {
  return BUGCHECK_NAMES[code] ?? `BUGCHECK_0x${code.toString(16).toUpperCase()}`;
}

export function parseDumpHeader(bytes: Uint8Array): DumpHeader {
  const signature = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(8, bytes.byteLength),
  ).toString('latin1');
  if (signature !== 'PAGEDU64') {
    throw new TypeError(
      `Not a 64-bit Windows crash dump: the header starts with ${JSON.stringify(signature)}, not "PAGEDU64".`,
    );
  }
  if (bytes.byteLength < 0xf9c)
    throw new RangeError(`A DUMP_HEADER64 is 0x2000 bytes; got ${bytes.byteLength}.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = view.getUint32(0x38, true);
  return {
    bugCheckCode: code,
    bugCheckName: bugCheckName(code),
    parameters: [
      view.getBigUint64(0x40, true),
      view.getBigUint64(0x48, true),
      view.getBigUint64(0x50, true),
      view.getBigUint64(0x58, true),
    ],
    dumpType: view.getUint32(0xf98, true),
  };
}

export function describeBugCheck(header: DumpHeader): string {
  const hex = (v: bigint) => `0x${v.toString(16).toUpperCase()}`;
  return `bugcheck 0x${header.bugCheckCode.toString(16).toUpperCase()} ${header.bugCheckName} (${header.parameters.map(hex).join(', ')})`;
}
