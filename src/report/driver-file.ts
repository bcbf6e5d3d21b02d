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

/**
 * Whether the image carries an embedded Authenticode signature (a certificate table in its PE
 * data directories). Present is not valid: only Windows (WinVerifyTrust, signtool verify /kp)
 * can say whether it chains to a trusted root; the certification says so.
 */
export function embeddedSignature(image: Uint8Array): 'present' | 'absent' | 'not a PE image' {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image.byteLength < 0x40 || view.getUint16(0, true) !== 0x5a4d) return 'not a PE image';
  const pe = view.getUint32(0x3c, true);
  if (pe + 24 > image.byteLength || view.getUint32(pe, true) !== 0x00004550)
    return 'not a PE image';
  const optional = pe + 24;
  const magic = view.getUint16(optional, true);
  // Data directories: at +96 (PE32) or +112 (PE32+); entry 4 is the certificate table.
  const directories = optional + (magic === 0x20b ? 112 : 96);
  const security = directories + 4 * 8;
  if (security + 8 > image.byteLength) return 'absent';
  return view.getUint32(security + 4, true) > 0 ? 'present' : 'absent';
}
