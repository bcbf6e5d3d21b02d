/** Windows naming rules shared by every layer that names a file or a service. */

/** Names Windows reserves for devices, with or without an extension (`NUL`, `aux.sys`, `COM1`). */
const RESERVED_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

export function reservedDeviceName(name: string): boolean {
  return RESERVED_DEVICE_NAME.test(name.trim());
}
