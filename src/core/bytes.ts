/** A DataView over exactly the bytes of a Uint8Array (which may be a window on a larger buffer). */
export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
