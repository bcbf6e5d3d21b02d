/**
 * The driver package a PnP install leaves published. Installing a device from an INF
 * (UpdateDriverForPlugAndPlayDevices) first publishes the INF's package: on Windows into the
 * driver store (`%windir%\INF\oemNN.inf`, and for an image run from the store, DIRID 13, the
 * package's folder `DriverStore\FileRepository\<inf name>_amd64_<hash>` with the image in it); on
 * Wine 8 as a copy of the INF in `C:\windows\inf` (its SetupAPI has no driver store). Uninstalling
 * the driver removes that package too, or every run would leave one more behind.
 *
 * Its published name is what SetupCopyOEMInf answers for the same INF with SP_COPY_NOOVERWRITE:
 * ERROR_FILE_EXISTS and the name of the published copy (Windows and Wine both find it by its
 * content). If the INF was never published (no device was ever added), that call publishes it, and
 * it is removed again at once: nothing is left either way.
 */
import path from 'node:path';
import { ScmError } from '../../core/errors.ts';
import {
  driverStoreApi,
  ERROR_FILE_EXISTS,
  SP_COPY_NOOVERWRITE,
  SPOST_NONE,
  SUOI_FORCEDELETE,
  type DriverStoreApi,
} from './setupapi.ts';

export interface PackageRemovalOptions {
  /**
   * SUOI_FORCEDELETE: Wine 8's SetupUninstallOEMInf deletes nothing without it (a FIXME that
   * answers success). On Windows drvcycle passes 0: its devices are removed by then, and a package
   * a device still uses is not drvcycle's to pull (ERROR_INF_IN_USE_BY_DEVICES is reported).
   */
  readonly force: boolean;
}

/** The published name (oemNN.inf on Windows) of the package installed from `infPath`, removed. */
export function removeDriverPackage(
  infPath: string,
  service: string,
  options: PackageRemovalOptions,
  api: DriverStoreApi = driverStoreApi(),
): string | undefined {
  const published = publishedName(infPath, api);
  if (published === undefined) return undefined;
  if (!api.SetupUninstallOEMInfW(published, options.force ? SUOI_FORCEDELETE : 0, null))
    throw new ScmError({
      operation: 'SetupUninstallOEMInf',
      service,
      win32Code: api.GetLastError() as number,
    });
  return published;
}

/** The name SetupCopyOEMInf gives the INF's published copy, or none when it cannot publish it. */
function publishedName(infPath: string, api: DriverStoreApi): string | undefined {
  const buffer = new Uint16Array(260);
  const required = [0];
  const copied = api.SetupCopyOEMInfW(
    infPath,
    null,
    SPOST_NONE,
    SP_COPY_NOOVERWRITE,
    buffer,
    buffer.length,
    required,
    null,
  );
  // Not published, and it could not be now (an unsigned package where signatures are enforced,
  // say): there is nothing of it to remove.
  if (!copied && (api.GetLastError() as number) !== ERROR_FILE_EXISTS) return undefined;
  // Windows and Wine answer the full path of the copy in the INF folder: its name is what
  // SetupUninstallOEMInf takes.
  const written = Buffer.from(buffer.buffer).toString('utf16le').replace(/\0.*$/s, '');
  const name = path.win32.basename(written);
  return /^[^\\/:*?"<>|]+\.inf$/i.test(name) ? name : undefined;
}
