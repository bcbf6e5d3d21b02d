/**
 * How a PnP driver is installed and removed on the target. Its image is staged beside an INF in
 * `pnp\<first 16 hex digits of the image's SHA-256>\<service>.inf`:
 * - drvcycle's own INF for a root-enumerated device (hardware id `root\<service>`), which copies
 *   the image to system32\drivers\<service>.sys, a name only this service uses;
 * - or the driver team's INF (DRIVER_INF), as written except for its service section, which
 *   carries drvcycle's ownership marker (src/core/team-inf.ts).
 * Either way the service's DisplayName and Description carry the marker, and the staged INF is
 * found again from the deployed image (nothing to remember across agent restarts).
 */
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import type { DeviceSpec } from '../windows/pnp/devices.ts';
import { firstModel, GUID_DEVCLASS_SYSTEM, rootDeviceInf, unquote } from '../core/inf.ts';
import {
  decodeInf,
  deployedImagePath,
  encodeInf,
  ownedTeamInf,
  readTeamInf,
  TeamInfError,
} from '../core/team-inf.ts';
import { reservedDeviceName } from '../core/windows-names.ts';
import { systemRoot } from '../windows/scm/image-path.ts';
import { ownedDescription, ownedDisplayName } from '../windows/scm/ownership.ts';
import { imageDigest, stagedFile, stageImage, unstageImage } from './staging.ts';

export const pnpHardwareId = (service: string) => `root\\${service}`;

/** Where drvcycle's own INF puts the image: a file name only this service uses. */
export function pnpDeployedImage(service: string): string {
  return path.win32.join(systemRoot(), 'system32', 'drivers', `${service}.sys`);
}

export interface StagedPnpDriver {
  readonly spec: DeviceSpec;
  /** Where the INF deploys the image, and the service's image path. */
  readonly deployed: string;
}

export interface PnpStageOptions {
  readonly runId: string;
  /** The load-order group the service section gets (the lab's kept host). */
  readonly loadOrderGroup?: string | undefined;
  /** The driver team's INF; without it drvcycle writes one for `root\<service>`. */
  readonly teamInf?: string | undefined;
}

/** A team INF drvcycle cannot install: the driver team's input, refused before anything runs. */
function refuseInf(error: unknown): never {
  if (error instanceof TeamInfError)
    throw new DrvcycleError(ErrorCodes.PNP, `The INF cannot be installed: ${error.message}.`, {
      hint: error.hint,
    });
  throw error;
}

/**
 * Stages the image, writes the INF beside it and puts the image where the INF deploys it, so
 * the service can be created before the first device exists.
 */
export async function stagePnpDriver(
  stagingDir: string,
  service: string,
  stagedImage: string,
  options: PnpStageOptions,
): Promise<StagedPnpDriver> {
  const owned = {
    displayName: ownedDisplayName(service, options.runId),
    description: ownedDescription(options.runId, new Date()),
    loadOrderGroup: options.loadOrderGroup,
  };
  let infText: string;
  let imageFile: string;
  let deployed: string;
  if (options.teamInf !== undefined) {
    imageFile = path.win32.basename(stagedImage);
    try {
      const inf = readTeamInf(options.teamInf, imageFile);
      if (inf.service.toLowerCase() !== service.toLowerCase())
        throw new TeamInfError(
          `its AddService installs the service "${inf.service}", not "${service}"`,
          'Install it under the service name its INF gives (the runner does this from DRIVER_INF).',
        );
      deployed = deployedImagePath(inf.serviceBinary, systemRoot());
      infText = ownedTeamInf(options.teamInf, inf, owned);
    } catch (error) {
      refuseInf(error);
    }
  } else {
    if (reservedDeviceName(service))
      throw new DrvcycleError(
        ErrorCodes.PNP,
        `The PnP driver "${service}" cannot be installed: its image would be ${service}.sys, a name Windows reserves for a device.`,
        { hint: 'Give the driver another service name.' },
      );
    imageFile = `${service}.sys`;
    deployed = pnpDeployedImage(service);
    infText = rootDeviceInf({
      service,
      hardwareId: pnpHardwareId(service),
      imageFile,
      displayName: owned.displayName,
      description: owned.description,
      ...(owned.loadOrderGroup ? { loadOrderGroup: owned.loadOrderGroup } : {}),
    });
  }
  if (existsSync(deployed))
    throw new DrvcycleError(
      ErrorCodes.PNP,
      `${deployed} already exists: installing the PnP driver "${service}" would overwrite it.`,
      {
        hint: 'drvcycle never replaces a driver file it did not put there: remove that file (or the driver that uses it), or give the driver under test another service name.',
      },
    );
  const image = await stageImage(
    path.win32.join(stagingDir, 'pnp'),
    imageFile,
    readFileSync(stagedImage),
  );
  const infPath = path.win32.join(path.win32.dirname(image), `${service}.inf`);
  copyFileSync(image, deployed);
  writeFileSync(infPath, encodeInf(infText));
  return { spec: pnpDeviceSpec(service, infPath, infText), deployed };
}

/** The device spec an INF gives: its first model line's hardware id and its class. */
export function pnpDeviceSpec(service: string, infPath: string, infText: string): DeviceSpec {
  const model = firstModel(infText);
  const classGuid = model.classGuid && unquote(model.classGuid);
  return {
    deviceName: service.toUpperCase(),
    hardwareId: model.hardwareId,
    classGuid:
      classGuid && /^\{[0-9a-f-]{36}\}$/i.test(classGuid) ? classGuid : GUID_DEVCLASS_SYSTEM,
    infPath,
    service,
  };
}

/** The staged INF of a PnP driver drvcycle installed, found from its deployed image; or none. */
export function stagedInfOf(
  stagingDir: string,
  service: string,
  deployed: string,
): string | undefined {
  if (!existsSync(deployed)) return undefined;
  const infPath = stagedFile(
    path.win32.join(stagingDir, 'pnp'),
    imageDigest(readFileSync(deployed)),
    `${service}.inf`,
  );
  return existsSync(infPath) ? infPath : undefined;
}

/** The device spec of an installed PnP driver, from the INF staged for its deployed image. */
export function installedPnpSpec(
  stagingDir: string,
  service: string,
  deployed: string,
): DeviceSpec {
  const infPath = stagedInfOf(stagingDir, service, deployed);
  if (!infPath)
    throw new DrvcycleError(
      ErrorCodes.PNP,
      `The PnP driver "${service}" has no staged INF for its image ${deployed} any more: something removed or replaced it.`,
      { hint: 'Install the driver again (uninstall removes what is left of it).' },
    );
  return stagedPnpSpec(service, infPath);
}

/** The device spec a staged INF gives. */
export function stagedPnpSpec(service: string, infPath: string): DeviceSpec {
  return pnpDeviceSpec(service, infPath, decodeInf(readFileSync(infPath)));
}

/** After the owned service is gone: its deployed image goes too (only this service used it). */
export function removeDeployedImage(deployed: string): void {
  rmSync(deployed, { force: true });
}

/** The staged image and INF go once the driver is uninstalled. */
export async function unstagePnpDriver(
  stagingDir: string,
  spec: DeviceSpec,
  deployed: string,
): Promise<void> {
  rmSync(spec.infPath, { force: true });
  await unstageImage(
    path.win32.join(stagingDir, 'pnp'),
    path.win32.join(path.win32.dirname(spec.infPath), path.win32.basename(deployed)),
  );
}
