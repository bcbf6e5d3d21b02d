/**
 * NTSTATUS codes: their names (ntstatus-names.ts, generated from ntstatus.h), and the exact status
 * a driver's DriverEntry returned, where the lab shows it (Win32 codes from StartService are a
 * lossy translation of it).
 */
import { NTSTATUS_NAMES } from './ntstatus-names.ts';

export function formatNtstatus(status: number): string {
  const code = status >>> 0;
  const name = NTSTATUS_NAMES.get(code);
  return `0x${code.toString(16).toUpperCase().padStart(8, '0')}${name ? ` ${name}` : ''}`;
}

/**
 * Wine's ntoskrnl logs the status of a driver that failed to load:
 * `err:ntoskrnl:ZwLoadDriver failed to create driver L"\\Registry\\…\\Services\\dc_x": c000009a`.
 * The last such status for the service in the output, if any.
 */
export function wineLoadStatus(debugOutput: string, service: string): number | undefined {
  const escaped = service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = new RegExp(
    String.raw`ZwLoadDriver failed to create driver L"[^"]*\\+Services\\+${escaped}": ([0-9a-f]{8})`,
    'gi',
  );
  let status: number | undefined;
  for (const match of debugOutput.matchAll(line)) status = parseInt(match[1]!, 16);
  return status;
}
