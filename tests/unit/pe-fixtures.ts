/**
 * PE headers built from the published PE/COFF layout (DOS header with e_lfanew at 0x3C, "PE\0\0",
 * the COFF header, the optional header's magic and Subsystem at offset 68): what a linker writes
 * for a driver, a DLL, a program, for each machine. Test data only.
 */
export function peImage(
  options: { machine?: number; pe32Plus?: boolean; subsystem?: number; dll?: boolean } = {},
): Uint8Array {
  const bytes = new Uint8Array(1024);
  const view = new DataView(bytes.buffer);
  bytes.set([0x4d, 0x5a], 0); // "MZ"
  view.setUint32(0x3c, 0x80, true); // e_lfanew
  view.setUint32(0x80, 0x00004550, true); // "PE\0\0"
  view.setUint16(0x84, options.machine ?? 0x8664, true); // Machine
  view.setUint16(0x86, 1, true); // NumberOfSections
  view.setUint16(0x94, (options.pe32Plus ?? true) ? 0xf0 : 0xe0, true); // SizeOfOptionalHeader
  view.setUint16(0x96, 0x0022 | (options.dll ? 0x2000 : 0), true); // Characteristics
  view.setUint16(0x98, (options.pe32Plus ?? true) ? 0x20b : 0x10b, true); // Magic
  view.setUint16(0x98 + 68, options.subsystem ?? 1, true); // Subsystem (1: native)
  return bytes;
}
