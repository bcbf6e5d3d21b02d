/** What the report says about the driver file: its SHA-256 and the version from its resources. */
import { createHash } from 'node:crypto';

/** VS_FIXEDFILEINFO starts with the signature 0xFEEF04BD; file version MS/LS follow at +8/+12. */
export function fileVersion(image: Uint8Array): string | null {
  const signature = Buffer.from([0xbd, 0x04, 0xef, 0xfe]);
  const at = Buffer.from(image.buffer, image.byteOffset, image.byteLength).indexOf(signature);
  if (at < 0 || at + 16 > image.byteLength) return null;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const ms = view.getUint32(at + 8, true);
  const ls = view.getUint32(at + 12, true);
  return `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
}

export function driverFileFacts(image: Uint8Array): {
  sha256: string;
  version: string | null;
  bytes: number;
} {
  return {
    sha256: createHash('sha256').update(image).digest('hex'),
    version: fileVersion(image),
    bytes: image.byteLength,
  };
}
