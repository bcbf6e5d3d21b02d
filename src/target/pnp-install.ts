/**
 * How a PnP driver is installed and removed on the target: its image staged as `<service>.sys`
 * beside the INF drvcycle writes for a root-enumerated device (hardware id `root\<service>`),
 * whose service carries drvcycle's ownership marker (the INF's DisplayName and Description).
 * The INF copies the image to system32\drivers\<service>.sys, a name only this service uses.
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import type { DeviceSpec } from '../windows/pnp/devices.ts';
import { GUID_DEVCLASS_SYSTEM, rootDeviceInf } from '../windows/pnp/inf.ts';
import { ownedDescription, ownedDisplayName } from '../windows/scm/ownership.ts';
import { imageDigest, stageImage, unstageImage } from './staging.ts';

export const pnpHardwareId = (service: string) => `root\\${service}`;

/** Where the INF puts the image: a file name only this service uses. */
export function pnpDeployedImage(service: string): string {
  const system = process.env.SystemRoot ?? 'C:\\windows';
  return path.win32.join(system, 'system32', 'drivers', `${service}.sys`);
}

/**
 * Stages the image, writes the INF beside it and puts the image where the INF deploys it; the
 * device spec to add it with.
 */
export async function stagePnpDriver(
  stagingDir: string,
  service: string,
  stagedImage: string,
  runId: string,
  loadOrderGroup?: string,
): Promise<DeviceSpec> {
  const deployed = pnpDeployedImage(service);
  if (existsSync(deployed))
    throw new DrvcycleError(
      ErrorCodes.FOREIGN_SERVICE,
      `${deployed} already exists: installing the PnP driver "${service}" would overwrite it.`,
      {
        hint: 'drvcycle never replaces a driver file it did not put there: remove that file (or the driver that uses it), or give the driver under test another service name.',
      },
    );
  const image = await stageImage(
    path.win32.join(stagingDir, 'pnp'),
    `${service}.sys`,
    readFileSync(stagedImage),
  );
  const infPath = path.win32.join(path.win32.dirname(image), `${service}.inf`);
  // Where the INF copies it, so the service can be created before the first device exists.
  copyFileSync(image, deployed);
  writeFileSync(
    infPath,
    rootDeviceInf({
      service,
      hardwareId: pnpHardwareId(service),
      imageFile: `${service}.sys`,
      displayName: ownedDisplayName(service, runId),
      description: ownedDescription(runId, new Date()),
      ...(loadOrderGroup ? { loadOrderGroup } : {}),
    }),
  );
  return pnpDeviceSpec(service, infPath);
}

export function pnpDeviceSpec(service: string, infPath: string): DeviceSpec {
  return {
    deviceName: service.toUpperCase(),
    hardwareId: pnpHardwareId(service),
    classGuid: GUID_DEVCLASS_SYSTEM,
    infPath,
    service,
  };
}

/**
 * The device spec of an installed PnP driver, found again from its deployed image: the INF sits
 * in the staging folder named by that image's content (nothing to remember across agent restarts).
 */
export function installedPnpSpec(stagingDir: string, service: string): DeviceSpec {
  const deployed = pnpDeployedImage(service);
  if (!existsSync(deployed))
    throw new DrvcycleError(
      ErrorCodes.PNP,
      `The PnP driver "${service}" has no image at ${deployed} any more: something removed it.`,
      { hint: 'Install the driver again (uninstall removes what is left of it).' },
    );
  const digest = imageDigest(readFileSync(deployed));
  return pnpDeviceSpec(
    service,
    path.win32.join(stagingDir, 'pnp', digest.slice(0, 16), `${service}.inf`),
  );
}

/** After the owned service is gone: its deployed image goes too (only this service used it). */
export function removeDeployedImage(service: string): void {
  rmSync(pnpDeployedImage(service), { force: true });
}

/** The staged image and INF go once the driver is uninstalled. */
export async function unstagePnpDriver(stagingDir: string, spec: DeviceSpec): Promise<void> {
  rmSync(spec.infPath, { force: true });
  await unstageImage(
    path.win32.join(stagingDir, 'pnp'),
    path.win32.join(path.win32.dirname(spec.infPath), `${spec.service}.sys`),
  );
}
