/**
 * What a driver image is, from its PE headers (the published PE/COFF layout): the machine it is
 * built for, whether it is a native-subsystem image (a kernel driver) or a DLL or application.
 * Checked before any machine boots, so a text file or an i386 build fails at once, saying so.
 */
export const IMAGE_FILE_MACHINE = { I386: 0x014c, AMD64: 0x8664, ARM64: 0xaa64 } as const;
const IMAGE_FILE_DLL = 0x2000;
const IMAGE_SUBSYSTEM_NATIVE = 1;
const PE32 = 0x10b;
const PE32_PLUS = 0x20b;

export interface PeFacts {
  readonly machine: number;
  readonly machineName: string;
  readonly subsystem: number;
  readonly dll: boolean;
  readonly pe32Plus: boolean;
}

const MACHINE_NAMES: Record<number, string> = {
  [IMAGE_FILE_MACHINE.I386]: 'i386 (x86)',
  [IMAGE_FILE_MACHINE.AMD64]: 'x64 (AMD64)',
  [IMAGE_FILE_MACHINE.ARM64]: 'ARM64',
};

/**
 * Where the PE signature ("PE\0\0") is, from e_lfanew in the DOS header, with the file header
 * and the optional header's fields read here (up to its Subsystem) inside the bytes; or why not.
 */
export function peSignatureOffset(bytes: Uint8Array): number | { notPe: string } {
  if (bytes.length < 64 || bytes[0] !== 0x4d || bytes[1] !== 0x5a)
    return { notPe: 'it does not start with the "MZ" of a Windows executable image' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pe = view.getUint32(0x3c, true);
  if (pe + 24 + 70 > bytes.length || view.getUint32(pe, true) !== 0x00004550)
    return { notPe: 'its DOS header points at no "PE" signature (a truncated or damaged image)' };
  return pe;
}

/** The PE facts, or why the bytes are not a PE image. */
export function readPeFacts(bytes: Uint8Array): PeFacts | { notPe: string } {
  const pe = peSignatureOffset(bytes);
  if (typeof pe !== 'number') return pe;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(pe + 4, true);
  const characteristics = view.getUint16(pe + 22, true);
  const optional = pe + 24;
  const magic = view.getUint16(optional, true);
  if (magic !== PE32 && magic !== PE32_PLUS)
    return {
      notPe: `its optional header has the magic 0x${magic.toString(16)}, neither PE32 nor PE32+`,
    };
  return {
    machine,
    machineName: MACHINE_NAMES[machine] ?? `machine 0x${machine.toString(16)}`,
    // Subsystem lies at offset 68 of the optional header in PE32 and PE32+ alike.
    subsystem: view.getUint16(optional + 68, true),
    dll: (characteristics & IMAGE_FILE_DLL) !== 0,
    pe32Plus: magic === PE32_PLUS,
  };
}

/** Why the image cannot be a kernel driver for `machine`, or undefined when it can. */
export function driverImageProblem(
  bytes: Uint8Array,
  machine: number = IMAGE_FILE_MACHINE.AMD64,
): string | undefined {
  const facts = readPeFacts(bytes);
  if ('notPe' in facts) return `it is not a driver image: ${facts.notPe}`;
  if (facts.machine !== machine)
    return `it is built for ${facts.machineName}, not ${MACHINE_NAMES[machine] ?? machine}`;
  // The subsystem decides: kernel export drivers (and mingw-w64's -shared builds) carry the DLL
  // flag too, and Windows loads them.
  if (facts.subsystem !== IMAGE_SUBSYSTEM_NATIVE)
    return `it is a user-mode ${facts.dll ? 'DLL' : 'program'} (subsystem ${facts.subsystem}), not a kernel driver (native subsystem, 1)`;
  return undefined;
}
