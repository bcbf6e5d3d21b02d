/**
 * Function names in a PE image, for naming the call site of a leaked allocation: the COFF symbol
 * table mingw-w64 leaves in an image it did not strip (file header PointerToSymbolTable and
 * NumberOfSymbols; 18-byte records, long names in the string table that follows), and the export
 * table every image that exports has. A name is the nearest function at or below an RVA in the
 * same code section; a stripped image with no exports names nothing (the offset alone is shown).
 */
import { peSignatureOffset } from './pe-image.ts';

const IMAGE_SCN_CNT_CODE = 0x20;
const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const IMAGE_SYM_CLASS_EXTERNAL = 2;
const IMAGE_SYM_CLASS_STATIC = 3;
const IMAGE_SYM_DTYPE_FUNCTION = 2;
const SYMBOL_SIZE = 18;

interface Section {
  readonly name: string;
  readonly rva: number;
  readonly size: number;
  readonly rawOffset: number;
  readonly rawSize: number;
  readonly code: boolean;
}

export interface ImageSymbol {
  readonly name: string;
  readonly rva: number;
  readonly source: 'coff' | 'export';
}

export interface ImageSymbols {
  readonly symbols: readonly ImageSymbol[];
  /** The function holding `rva` (`DriverEntry`), or undefined when no symbol covers it. */
  functionAt(rva: number): string | undefined;
}

function cString(bytes: Uint8Array, start: number, end = bytes.length): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  return new TextDecoder().decode(bytes.subarray(start, stop));
}

function sectionsOf(bytes: Uint8Array, view: DataView, pe: number): Section[] {
  const count = view.getUint16(pe + 6, true);
  const optionalSize = view.getUint16(pe + 20, true);
  const table = pe + 24 + optionalSize;
  const sections: Section[] = [];
  for (let i = 0; i < count && table + (i + 1) * 40 <= bytes.length; i++) {
    const at = table + i * 40;
    const characteristics = view.getUint32(at + 36, true);
    sections.push({
      name: cString(bytes, at, at + 8),
      size: view.getUint32(at + 8, true),
      rva: view.getUint32(at + 12, true),
      rawSize: view.getUint32(at + 16, true),
      rawOffset: view.getUint32(at + 20, true),
      code: (characteristics & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE)) !== 0,
    });
  }
  return sections;
}

function coffSymbols(
  bytes: Uint8Array,
  view: DataView,
  pe: number,
  sections: Section[],
): ImageSymbol[] {
  const pointer = view.getUint32(pe + 12, true);
  const count = view.getUint32(pe + 16, true);
  if (pointer === 0 || count === 0 || pointer + count * SYMBOL_SIZE > bytes.length) return [];
  const strings = pointer + count * SYMBOL_SIZE;
  const symbols: ImageSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = pointer + i * SYMBOL_SIZE;
    const value = view.getUint32(at + 8, true);
    const section = view.getInt16(at + 12, true);
    const type = view.getUint16(at + 14, true);
    const storage = bytes[at + 16]!;
    const aux = bytes[at + 17]!;
    i += aux;
    const owner = sections[section - 1];
    if (section < 1 || !owner?.code) continue;
    if (storage !== IMAGE_SYM_CLASS_EXTERNAL && storage !== IMAGE_SYM_CLASS_STATIC) continue;
    // Section names, import thunks and linker labels (___crt_xt_end__) are not typed as functions.
    if (type >> 4 !== IMAGE_SYM_DTYPE_FUNCTION) continue;
    const name =
      view.getUint32(at, true) === 0
        ? cString(bytes, strings + view.getUint32(at + 4, true))
        : cString(bytes, at, at + 8);
    if (name === '' || name.startsWith('.')) continue;
    symbols.push({ name, rva: owner.rva + value, source: 'coff' });
  }
  return symbols;
}

function fileOffsetOf(sections: Section[], rva: number): number | undefined {
  const section = sections.find((s) => rva >= s.rva && rva < s.rva + Math.max(s.size, s.rawSize));
  return section ? section.rawOffset + (rva - section.rva) : undefined;
}

function exportSymbols(
  bytes: Uint8Array,
  view: DataView,
  pe: number,
  sections: Section[],
): ImageSymbol[] {
  const optional = pe + 24;
  const pe32Plus = view.getUint16(optional, true) === 0x20b;
  const directories = optional + (pe32Plus ? 112 : 96);
  if (directories + 8 > bytes.length) return [];
  const exportRva = view.getUint32(directories, true);
  if (exportRva === 0) return [];
  const dir = fileOffsetOf(sections, exportRva);
  if (dir === undefined || dir + 40 > bytes.length) return [];
  const names = view.getUint32(dir + 24, true);
  const functions = fileOffsetOf(sections, view.getUint32(dir + 28, true));
  const nameTable = fileOffsetOf(sections, view.getUint32(dir + 32, true));
  const ordinals = fileOffsetOf(sections, view.getUint32(dir + 36, true));
  if (functions === undefined || nameTable === undefined || ordinals === undefined) return [];
  const symbols: ImageSymbol[] = [];
  for (let i = 0; i < names && nameTable + i * 4 + 4 <= bytes.length; i++) {
    const nameAt = fileOffsetOf(sections, view.getUint32(nameTable + i * 4, true));
    const ordinal = view.getUint16(ordinals + i * 2, true);
    if (nameAt === undefined || functions + ordinal * 4 + 4 > bytes.length) continue;
    const rva = view.getUint32(functions + ordinal * 4, true);
    const owner = sections.find((s) => rva >= s.rva && rva < s.rva + s.size);
    if (owner?.code) symbols.push({ name: cString(bytes, nameAt), rva, source: 'export' });
  }
  return symbols;
}

/** The image's function symbols (COFF symbols and exports), or none for bytes that are no PE. */
export function readImageSymbols(bytes: Uint8Array): ImageSymbols {
  const pe = peSignatureOffset(bytes);
  if (typeof pe !== 'number') return symbolsOf([], []);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections = sectionsOf(bytes, view, pe);
  const byRva = new Map<number, ImageSymbol>();
  // An export and a COFF symbol at one address: the COFF name is the function's own.
  for (const symbol of exportSymbols(bytes, view, pe, sections)) byRva.set(symbol.rva, symbol);
  for (const symbol of coffSymbols(bytes, view, pe, sections)) byRva.set(symbol.rva, symbol);
  return symbolsOf(
    [...byRva.values()].sort((a, b) => a.rva - b.rva),
    sections,
  );
}

function symbolsOf(symbols: ImageSymbol[], sections: Section[]): ImageSymbols {
  return {
    symbols,
    functionAt(rva: number) {
      const section = sections.find((s) => s.code && rva >= s.rva && rva < s.rva + s.size);
      if (!section) return undefined;
      let found: ImageSymbol | undefined;
      for (const symbol of symbols) {
        if (symbol.rva > rva) break;
        if (symbol.rva >= section.rva) found = symbol;
      }
      return found?.name;
    },
  };
}
