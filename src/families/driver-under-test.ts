/**
 * The driver under test, installed and stopped: a PnP driver on its root-enumerated device (from
 * the team's INF or the one drvcycle writes) in the host the machine keeps for it, a legacy one
 * in its load-order group's host. The driver fixture, a cycle run on a fresh machine and
 * `drvcycle repro`'s attempts use it.
 */
import type { DriverImage, InstalledDriver, InstallOptions } from '../target/types.ts';
import { driverHostOptions, type Machine } from '../machines/machine.ts';

export type Install = (image: DriverImage, options: InstallOptions) => Promise<InstalledDriver>;

/** The resolved driver settings an install needs (Settings['driver'] of src/config). */
export interface DriverToInstall {
  readonly imagePath: string;
  readonly serviceName: string;
  readonly type: NonNullable<InstallOptions['type']>;
  readonly group: string | undefined;
  readonly kind: 'legacy' | 'pnp';
  readonly pnpStrategy?: 'remove-readd' | 'disable-enable' | undefined;
}

export async function installDriverUnderTest(
  install: Install,
  machine: Machine,
  driver: DriverToInstall,
  /** The team's INF and catalog, as their bytes (read by the caller). */
  teamFiles: { inf?: Uint8Array; catalog?: Uint8Array } = {},
): Promise<InstalledDriver> {
  const { imagePath, serviceName, type, kind, pnpStrategy } = driver;
  if (kind === 'pnp') {
    const installed = await install(
      { file: imagePath },
      { name: serviceName, type, pnp: true, ...(await driverHostOptions(machine)), ...teamFiles },
    );
    return pnpStrategy && installed.pnp
      ? { ...installed, pnp: { ...installed.pnp, strategy: pnpStrategy } }
      : installed;
  }
  const group = (await machine.driverHost?.(driver.group)) ?? driver.group;
  return install({ file: imagePath }, { name: serviceName, type, group });
}
