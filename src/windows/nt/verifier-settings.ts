/**
 * `verifier /querysettings`: Driver Verifier's configured options and verified drivers, as the
 * documented output prints them:
 *
 *   Special pool: Enabled
 *   Pool tracking: Enabled
 *   Force IRQL checking: Enabled
 *   …
 *   Verified drivers:
 *
 *   mydriver.sys
 *
 * With no driver selected the list reads "None" (or "No drivers are currently verified."); with
 * `/all` it reads "All Drivers". The settings are the registry's: they are active after a reboot,
 * which drvcycle confirms separately from the live counters (SystemVerifierInformation).
 */

export interface VerifierSettings {
  /** Option name (as printed, lower case) → enabled. */
  readonly options: Readonly<Record<string, boolean>>;
  /** Image names, lower case; 'all' for `/all`. */
  readonly drivers: readonly string[] | 'all';
}

const OPTION = /^([A-Za-z][^:]*):\s*(Enabled|Disabled)\s*$/i;
const NO_DRIVERS = /^(none|no drivers are currently verified\.?)$/i;

export function parseVerifierQuerySettings(text: string): VerifierSettings {
  const options: Record<string, boolean> = {};
  const drivers: string[] = [];
  let all = false;
  let inDrivers = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^verified drivers:$/i.test(line)) {
      inDrivers = true;
      continue;
    }
    if (inDrivers) {
      if (NO_DRIVERS.test(line)) continue;
      if (/^all drivers\.?$/i.test(line)) all = true;
      else drivers.push(...line.split(/\s+/).map((name) => name.toLowerCase()));
      continue;
    }
    const option = OPTION.exec(line);
    if (option) options[option[1]!.trim().toLowerCase()] = option[2]!.toLowerCase() === 'enabled';
  }
  return { options, drivers: all ? 'all' : drivers };
}

/**
 * Why these settings do not verify the driver for a certification (its leaks are caught by
 * Verifier's pool tracking, bugcheck 0xC4/0x62 at unload), or undefined when they do.
 */
export function verifierProblem(
  settings: VerifierSettings,
  driverFile: string,
): string | undefined {
  const file = driverFile.toLowerCase();
  const verified = settings.drivers === 'all' || settings.drivers.includes(file);
  if (!verified)
    return settings.drivers.length === 0
      ? `Driver Verifier verifies no driver, so not ${driverFile}`
      : `Driver Verifier verifies ${settings.drivers.join(', ')}, not ${driverFile}`;
  if (settings.options['pool tracking'] !== true)
    return `Driver Verifier verifies ${driverFile} without pool tracking, so leaks at unload go unseen`;
  return undefined;
}

export function verifierFix(driverFile: string): string {
  return `On the target, as Administrator: verifier /standard /driver ${driverFile} (standard flags include pool tracking), then reboot and take the VM checkpoint again.`;
}

/** `verifier /querysettings` as the target ran it, or why it could not. */
export type VerifierSettingsRead =
  | { readonly available: true; readonly text: string }
  | { readonly available: false; readonly reason: string };
