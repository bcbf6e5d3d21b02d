/**
 * Broken driver images for the error-path catalog, derived from a good one. The PE headers are
 * read by the one PE parser, core/pe-image.ts.
 */
import { peSignatureOffset } from '../core/pe-image.ts';

/** The same image claiming another machine (i386: what loading a 32-bit driver on x64 looks like). */
export function withMachineType(image: Uint8Array, machine: number): Uint8Array {
  const pe = peSignatureOffset(image);
  if (typeof pe !== 'number') throw new TypeError(`Not a PE image: ${pe.notPe}.`);
  const copy = new Uint8Array(image);
  new DataView(copy.buffer).setUint16(pe + 4, machine, true);
  return copy;
}

/** The first `bytes` of the image: headers intact, sections cut off. */
export function truncated(image: Uint8Array, bytes = 1024): Uint8Array {
  return image.slice(0, Math.min(bytes, image.length));
}

export function notAnImage(): Uint8Array {
  return new TextEncoder().encode(
    'This file is not a driver: drvcycle error-path test.\n'.repeat(40),
  );
}
