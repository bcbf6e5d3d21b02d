/**
 * How a PnP driver is installed and removed on the target. Its image is staged beside an INF in
 * `pnp\<first 16 hex digits of the image's SHA-256>\<service>.inf`:
 * - drvcycle's own INF for a root-enumerated device (hardware id `root\<service>`), which copies
 *   the image to system32\drivers\<service>.sys, a name only this service uses;
 * - or the driver team's INF (DRIVER_INF), byte for byte when its service section leaves the
 *   service's DisplayName and Description alone (its catalog signature then still holds), else
 *   rewritten so that section carries drvcycle's ownership marker (src/core/team-inf.ts), with the
 *   catalog its [Version] names staged beside it under that name.
 * Either way the service is created with the marker before any driver code runs, and the staged
 * INF is found again from the deployed image (nothing to remember across agent restarts). A team
 * image the INF runs from the driver store (DIRID 13) is never copied by drvcycle: Windows picks
 * its folder when the first device is installed, and the service's image path then names it.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import type { DeviceSpec } from '../windows/pnp/devices.ts';
import { firstModel, GUID_DEVCLASS_SYSTEM, rootDeviceInf, unquote } from '../core/inf.ts';
import { DRIVER_STORE_DIRID, DRIVERS_DIRID } from '../core/inf-policy.ts';
import {
  decodeInf,
  deployedImagePath,
  encodeInf,
  MAX_CATALOG_BYTES,
  ownedTeamInf,
  readTeamInf,
  TeamInfError,
  teamInfNeedsRewrite,
  type TeamInf,
} from '../core/team-inf.ts';
import { reservedDeviceName } from '../core/windows-names.ts';
import { systemRoot } from '../windows/scm/binary-path.ts';
import { ownedDescription, ownedDisplayName } from '../windows/scm/ownership.ts';
import { imageDigest, stagedFile, stageImage, unstageImage } from './staging.ts';

export const pnpHardwareId = (service: string) => `root\\${service}`;

/** Where drvcycle's own INF puts the image: a file name only this service uses. */
export function pnpDeployedImage(service: string): string {
  return path.win32.join(systemRoot(), 'system32', 'drivers', `${service}.sys`);
}

export interface StagedPnpDriver {
  readonly spec: DeviceSpec;
  /**
   * Where the INF deploys the image, and the service's image path. For a driver-store image
   * (DIRID 13), the staged image until the first device install sets the path Windows chose.
   */
  readonly deployed: string;
  /** The image runs from the driver store (DIRID 13): drvcycle put no copy of it anywhere. */
  readonly driverStore: boolean;
}

export interface PnpStageOptions {
  readonly runId: string;
  /** The load-order group the service section gets (the lab's kept host). */
  readonly loadOrderGroup?: string | undefined;
  /**
   * The driver team's INF: its bytes as the team wrote them (its text is taken as written too);
   * without it drvcycle writes one for `root\<service>`.
   */
  readonly teamInf?: string | Uint8Array | undefined;
  /** The package's catalog: the file the team INF's [Version] CatalogFile names. */
  readonly catalog?: Uint8Array | undefined;
  /** The machine is Wine (the lab), whose SetupAPI has no driver store. */
  readonly onWine?: boolean | undefined;
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
 * Why the lab refuses a driver-store image: Wine 8's SetupAPI has no driver store. It resolves
 * DIRID 13 through its fallback for ids it does not know, `C:\windows\system32\unknown`, and
 * its SetupUninstallOEMInf removes only the INF's copy: the image would run from a shared folder
 * that is no driver store, and stay there after the uninstall.
 */
export const WINE_DRIVER_STORE_REFUSAL = new TeamInfError(
  'it runs its image from the driver store (DIRID 13), which Wine 8 does not have: its SetupAPI puts a DIRID 13 file in C:\\windows\\system32\\unknown, its stand-in for directory ids it does not know, and no package removal deletes it from there',
  'Cycle this INF on a Windows machine (Windows 10 1709 or later), or give the lab a variant of it with "DefaultDestDir = 12" and "ServiceBinary = %12%\\<image>".',
);

/**
 * What drvcycle installs from a team INF, checked against the image and the service: the INF as
 * written (its bytes, which its catalog signs) unless its service section must carry the marker.
 */
export function teamInfPackage(
  service: string,
  imageFile: string,
  options: PnpStageOptions,
  owned: { displayName: string; description: string; loadOrderGroup?: string | undefined },
): { inf: TeamInf; text: string; bytes: Buffer } {
  const given = options.teamInf!;
  const text = typeof given === 'string' ? given : decodeInf(given);
  const inf = readTeamInf(text, imageFile);
  if (inf.service.toLowerCase() !== service.toLowerCase())
    throw new TeamInfError(
      `its AddService installs the service "${inf.service}", not "${service}"`,
      'Install it under the service name its INF gives (the runner does this from DRIVER_INF).',
    );
  if (inf.catalogFile && !options.catalog)
    throw new TeamInfError(
      `its [Version] names the catalog ${inf.catalogFile}, and none came with it`,
      `Put ${inf.catalogFile} beside the INF: the runner sends the catalog the INF names with it.`,
    );
  if (!inf.catalogFile && options.catalog)
    throw new TeamInfError(
      'a catalog came with it, but its [Version] names no CatalogFile',
      'Send a catalog only with the INF that names it (CatalogFile = <name>.cat).',
    );
  if (options.catalog && options.catalog.byteLength > MAX_CATALOG_BYTES)
    throw new TeamInfError(
      `its catalog ${inf.catalogFile} is ${options.catalog.byteLength} bytes long, over the ${MAX_CATALOG_BYTES} bytes drvcycle carries`,
      'A catalog for one driver image is kilobytes: point CatalogFile at the package’s own .cat.',
    );
  if (inf.imageDirid === DRIVER_STORE_DIRID && options.onWine) throw WINE_DRIVER_STORE_REFUSAL;
  if (teamInfNeedsRewrite(text, inf, owned)) {
    const ownedText = ownedTeamInf(text, inf, owned);
    return { inf, text: ownedText, bytes: encodeInf(ownedText) };
  }
  // As written: the bytes its catalog signs.
  return { inf, text, bytes: typeof given === 'string' ? encodeInf(given) : Buffer.from(given) };
}

/**
 * Stages the image, writes the INF (and its catalog) beside it and puts the image where the INF
 * deploys it, so the service can be created before the first device exists. A driver-store image
 * stays staged: the service points at it until the first device install.
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
  let infBytes: Buffer;
  let imageFile: string;
  let deployed: string | undefined;
  let catalogFile: string | undefined;
  if (options.teamInf !== undefined) {
    imageFile = path.win32.basename(stagedImage);
    try {
      const pkg = teamInfPackage(service, imageFile, options, owned);
      deployed =
        pkg.inf.imageDirid === DRIVERS_DIRID
          ? deployedImagePath(pkg.inf.serviceBinary, systemRoot())
          : undefined;
      infText = pkg.text;
      infBytes = pkg.bytes;
      catalogFile = pkg.inf.catalogFile;
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
    if (options.catalog)
      throw new DrvcycleError(
        ErrorCodes.PNP,
        `The PnP driver "${service}" came with a catalog but no INF: the INF drvcycle writes has none.`,
        { hint: 'Send a catalog only with the team INF that names it.' },
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
    infBytes = encodeInf(infText);
  }
  if (deployed !== undefined && existsSync(deployed))
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
  const folder = path.win32.dirname(image);
  const infPath = path.win32.join(folder, `${service}.inf`);
  if (catalogFile) stageCatalog(folder, catalogFile, options.catalog!, service);
  if (deployed !== undefined) copyFileSync(image, deployed);
  writeFileSync(infPath, infBytes);
  return {
    spec: pnpDeviceSpec(service, infPath, infText),
    deployed: deployed ?? image,
    driverStore: deployed === undefined,
  };
}

/**
 * The catalog beside the staged INF, under the name the INF gives it (SetupAPI looks for it
 * there). Another package of the same image may have staged one of that name: the same bytes are
 * shared, other bytes refused.
 */
function stageCatalog(folder: string, name: string, bytes: Uint8Array, service: string): void {
  const file = path.win32.join(folder, name);
  if (existsSync(file)) {
    if (readFileSync(file).equals(bytes)) return;
    throw new DrvcycleError(
      ErrorCodes.PNP,
      `The catalog ${name} of "${service}" differs from the ${name} already staged for another driver of the same image (${file}).`,
      { hint: 'Uninstall that driver first, or give this package’s catalog another name.' },
    );
  }
  writeFileSync(file, bytes);
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

/** A staged INF read as a team INF (of the image it copies), or undefined when it is not one. */
function stagedTeamInf(infPath: string): TeamInf | undefined {
  try {
    const text = decodeInf(readFileSync(infPath));
    return readTeamInf(text, firstModel(text).files[0] ?? '');
  } catch {
    return undefined;
  }
}

/** The catalog a staged INF names, if any (drvcycle's own INF names none). */
export function stagedCatalogOf(infPath: string): string | undefined {
  return stagedTeamInf(infPath)?.catalogFile;
}

/** Whether a staged INF runs its image from the driver store (DIRID 13). */
export function stagedInDriverStore(infPath: string): boolean {
  return stagedTeamInf(infPath)?.imageDirid === DRIVER_STORE_DIRID;
}

/**
 * The staged image, INF and catalog go once the driver is uninstalled (a catalog another staged
 * INF of the same image still names stays for it).
 */
export async function unstagePnpDriver(
  stagingDir: string,
  spec: DeviceSpec,
  deployed: string,
): Promise<void> {
  const catalog = existsSync(spec.infPath) ? stagedCatalogOf(spec.infPath) : undefined;
  rmSync(spec.infPath, { force: true });
  if (catalog) {
    const folder = path.win32.dirname(spec.infPath);
    const others = readdirSync(folder)
      .filter((file) => /\.inf$/i.test(file))
      .map((file) => stagedCatalogOf(path.win32.join(folder, file))?.toLowerCase());
    if (!others.includes(catalog.toLowerCase()))
      rmSync(path.win32.join(folder, catalog), { force: true });
  }
  await unstageImage(
    path.win32.join(stagingDir, 'pnp'),
    path.win32.join(path.win32.dirname(spec.infPath), path.win32.basename(deployed)),
  );
}
