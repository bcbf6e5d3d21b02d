/** Broken driver images for the error-path catalog, derived from a good one. */
export const IMAGE_FILE_MACHINE_I386 = 0x014c;
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;

/** Offset of the PE signature ("PE\0\0"), from e_lfanew in the DOS header. */
export function peHeaderOffset(image: Uint8Array): number {
  if (image.length < 64 || image[0] !== 0x4d || image[1] !== 0x5a)
    throw new TypeError('Not a PE image: no MZ header.');
  const offset = new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(
    0x3c,
    true,
  );
  if (
    offset + 6 > image.length ||
    image[offset] !== 0x50 ||
    image[offset + 1] !== 0x45 ||
    image[offset + 2] !== 0 ||
    image[offset + 3] !== 0
  ) {
    throw new TypeError('Not a PE image: no PE signature at e_lfanew.');
  }
  return offset;
}

export function machineType(image: Uint8Array): number {
  const at = peHeaderOffset(image) + 4;
  return new DataView(image.buffer, image.byteOffset, image.byteLength).getUint16(at, true);
}

/** The same image claiming to be for i386: what loading a 32-bit driver on x64 looks like. */
export function withMachineType(image: Uint8Array, machine: number): Uint8Array {
  const copy = new Uint8Array(image);
  new DataView(copy.buffer).setUint16(peHeaderOffset(copy) + 4, machine, true);
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
