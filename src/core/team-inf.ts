/**
 * A driver team's own INF: what drvcycle needs from it (the first model line's hardware id, its
 * service, the class, the one file it copies and where), checked before anything is installed,
 * and the copy drvcycle installs, whose service section carries drvcycle's ownership marker.
 */
import path from 'node:path';
import { DRIVERS_DIRID, firstRefusedLine, type ImageDirid } from './inf-policy.ts';
import {
  entries,
  firstModel,
  infSections,
  quoted,
  sectionTitles,
  stringResolver,
  unquote,
  type InfModel,
} from './inf.ts';
import { reservedDeviceName } from './windows-names.ts';

export interface TeamInf {
  readonly hardwareId: string;
  readonly service: string;
  readonly classGuid: string | undefined;
  readonly className: string | undefined;
  /** The section AddService names: the service's settings. */
  readonly serviceSection: string;
  /** The image file the INF copies (the driver under test). */
  readonly imageFile: string;
  /** ServiceBinary as written, e.g. `%12%\mydriver.sys`. */
  readonly serviceBinary: string;
  /**
   * Where the image goes: the drivers folder (12, drvcycle knows the path beforehand), or the
   * driver store (13: Windows picks `…\DriverStore\FileRepository\<inf>_amd64_<hash>` at install).
   */
  readonly imageDirid: ImageDirid;
  /** The catalog [Version] names for amd64 (CatalogFile.NTamd64, .NT or plain), if any. */
  readonly catalogFile?: string | undefined;
}

/** The destinations a team INF may copy its image to: the drivers folder, or the driver store. */

/** Why an INF cannot be installed by drvcycle: a sentence for the user, and what to do. */
export class TeamInfError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'TeamInfError';
    this.hint = hint;
  }
}

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What drvcycle takes from the INF, checked against the image it is given: a root-enumerated
 * hardware id (drvcycle creates the device), one AddService, and a CopyFiles of exactly that image.
 */
export function readTeamInf(text: string, imageFileName: string): TeamInf {
  const sections = infSections(text);
  const resolve = stringResolver(sections);
  assertImageName(imageFileName);
  let model: InfModel;
  try {
    model = withStrings(firstModel(text), resolve);
  } catch (error) {
    throw new TeamInfError(
      `it has no usable model line: ${(error as Error).message}`,
      'drvcycle reads [Manufacturer] → the models section (…NTamd64 when declared) → its first line "desc = install-section, hardware-id".',
    );
  }
  if (!/^root\\/i.test(model.hardwareId))
    throw new TeamInfError(
      `its first model line is for the hardware id ${model.hardwareId}, which a bus enumerates: drvcycle can only create root-enumerated devices (root\\…)`,
      'Put a root-enumerated model line first (e.g. "%Desc% = Install, Root\\MyDriver"), as a software driver or a test INF has, or cycle the driver as DRIVER_KIND=pnp without DRIVER_INF.',
    );
  if (!model.service)
    throw new TeamInfError(
      `[${model.installSection}.Services] has no AddService line`,
      'A PnP function driver installs its service with "AddService = name, 0x00000002, service-install-section".',
    );
  if (!SERVICE_NAME.test(model.service))
    throw new TeamInfError(
      `its service name ${JSON.stringify(model.service)} is not one drvcycle can own (1-64 letters, digits, "_" or "-")`,
      'Rename the service in the AddService line.',
    );
  const addService = (sections.get(`${model.installSection}.services`.toLowerCase()) ?? []).find(
    (line) => /^addservice\s*=/i.test(line),
  )!;
  const serviceSection = addService.split(',')[2]?.trim();
  if (!serviceSection || !sections.has(serviceSection.toLowerCase()))
    throw new TeamInfError(
      `the AddService line "${addService}" names no service-install section the INF has`,
      'Give AddService its third field: the section with ServiceType, StartType, ErrorControl and ServiceBinary.',
    );
  const serviceBinary = (sections.get(serviceSection.toLowerCase()) ?? [])
    .map((line) => /^ServiceBinary\s*=\s*(.+)$/i.exec(line)?.[1]?.trim())
    .find(Boolean);
  if (!serviceBinary)
    throw new TeamInfError(
      `[${serviceSection}] has no ServiceBinary`,
      'Add "ServiceBinary = %12%\\yourdriver.sys" to the service-install section.',
    );
  const copied = model.files.map((file) => file.toLowerCase());
  if (!copied.includes(imageFileName.toLowerCase()))
    throw new TeamInfError(
      `its install section copies ${model.files.length ? model.files.join(', ') : 'no file'}, not the driver image ${imageFileName}: the INF is for a file drvcycle was not given`,
      'Point DRIVER at the .sys the INF installs, or fix the CopyFiles of the INF.',
    );
  const others = model.files.filter((file) => file.toLowerCase() !== imageFileName.toLowerCase());
  if (others.length > 0)
    throw new TeamInfError(
      `it copies ${others.join(', ')} besides ${imageFileName}; drvcycle sends only the driver image to the machine`,
      'Give drvcycle an INF that copies only the driver image (a co-installer is not needed on Windows 10 and later).',
    );
  if (path.win32.basename(unquote(serviceBinary)).toLowerCase() !== imageFileName.toLowerCase())
    throw new TeamInfError(
      `its ServiceBinary ${serviceBinary} is not the image it copies (${imageFileName})`,
      'Make ServiceBinary name the copied image, e.g. "%12%\\' + imageFileName + '".',
    );
  const { dirid: imageDirid } = imageDestination(resolve(serviceBinary));
  const catalogFile = catalogOf(sections, resolve);
  const refused = firstRefusedLine(sections, {
    installSection: model.installSection,
    service: model.service,
    imageFile: imageFileName,
    imageDirid,
    resolve,
    titles: sectionTitles(text),
  });
  if (refused)
    throw new TeamInfError(
      `[${refused.section}] "${refused.line}" is refused: ${refused.why}`,
      refused.hint,
    );
  return {
    hardwareId: model.hardwareId,
    service: model.service,
    classGuid: model.classGuid && unquote(model.classGuid),
    className: model.className && unquote(model.className),
    serviceSection,
    imageFile: imageFileName,
    serviceBinary,
    imageDirid,
    ...(catalogFile ? { catalogFile } : {}),
  };
}

/**
 * The catalog file [Version] names for an amd64 install: SetupAPI takes the most specific
 * decoration there is (CatalogFile.NTamd64, then CatalogFile.NT, then CatalogFile). A catalog
 * lies beside its INF: a plain `<name>.cat`, no folder.
 */
function catalogOf(
  sections: ReturnType<typeof infSections>,
  resolve: (value: string) => string,
): string | undefined {
  const version = new Map(
    (sections.get('version') ?? []).map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim()] as const;
    }),
  );
  const written = ['catalogfile.ntamd64', 'catalogfile.nt', 'catalogfile']
    .map((key) => version.get(key))
    .find((value) => value !== undefined);
  if (written === undefined) return undefined;
  const name = unquote(resolve(written)).trim();
  const plain = /^[^\\/:*?"<>|%]+\.cat$/i.test(name) && !/[\p{Cc}]/u.test(name);
  if (!plain || reservedDeviceName(name))
    throw new TeamInfError(
      `its [Version] CatalogFile "${written}" is not a catalog file name beside the INF (<name>.cat, no folder)`,
      'Name the package’s catalog as SetupAPI expects it: "CatalogFile = mydriver.cat", the .cat file in the INF’s folder.',
    );
  return name;
}

/** `%key%` from [Strings] in the hardware id and service name (numeric ids are directories). */
function withStrings(model: InfModel, resolve: (value: string) => string): InfModel {
  return {
    ...model,
    hardwareId: resolve(model.hardwareId),
    ...(model.service ? { service: unquote(resolve(model.service)) } : {}),
  };
}

/**
 * Where ServiceBinary puts the image: a file directly in the drivers folder (%12%) or in the
 * driver store (%13%), the only destinations drvcycle lets a team INF copy to
 * (src/core/inf-policy.ts), with no subfolder.
 */
export function imageDestination(serviceBinary: string): { dirid: ImageDirid; file: string } {
  const match = /^%(12|13)%\\([^\\/:]+)$/.exec(unquote(serviceBinary).trim());
  if (!match || match[2] === '.' || match[2] === '..')
    throw new TeamInfError(
      `its ServiceBinary ${serviceBinary} is not a file in the drivers folder (%12%) or the driver store (%13%)`,
      'Use "ServiceBinary = %12%\\yourdriver.sys" (or %13%, with "DefaultDestDir = 13"): drvcycle installs a driver image into the drivers folder or the driver store only.',
    );
  return { dirid: match[1] as ImageDirid, file: match[2]! };
}

/**
 * Where ServiceBinary puts the image on the target when drvcycle can know it beforehand: the
 * drivers folder (%12%). A driver-store image (%13%) has no such path: Windows picks its folder
 * (`DriverStore\FileRepository\<inf name>_amd64_<hash>`) when it installs the package.
 */
export function deployedImagePath(serviceBinary: string, systemRoot = 'C:\\windows'): string {
  const { dirid, file } = imageDestination(serviceBinary);
  if (dirid !== DRIVERS_DIRID)
    throw new TeamInfError(
      `its ServiceBinary ${serviceBinary} is in the driver store, whose folder Windows picks at install time`,
      'drvcycle reads a driver-store image’s path from its service after the install.',
    );
  return path.win32.join(systemRoot, 'system32', 'drivers', file);
}

/** The image a team INF installs is a driver file: `<name>.sys`, not a name Windows reserves. */
function assertImageName(imageFileName: string): void {
  const plain = /^[^\\/:*?"<>|]+\.sys$/i.test(imageFileName) && !/[\p{Cc}]/u.test(imageFileName);
  if (!plain || reservedDeviceName(imageFileName))
    throw new TeamInfError(
      `the driver image ${JSON.stringify(imageFileName)} is not a driver file name drvcycle installs (<name>.sys, not a name Windows reserves for a device such as con or nul)`,
      'Give drvcycle the .sys file the INF installs, under its own name.',
    );
}

export interface OwnedServiceSettings {
  readonly displayName: string;
  readonly description: string;
  readonly loadOrderGroup?: string | undefined;
}

/**
 * Whether drvcycle must rewrite the team's INF to own its service: when its service-install
 * section sets DisplayName or Description (SetupAPI's AddService would put them over the marker
 * drvcycle created the service with), or a LoadOrderGroup where the lab needs its own. Otherwise
 * the INF is installed byte for byte, its catalog signature intact: AddService on the service
 * drvcycle created changes only the values the section gives (SetupAPI passes the others to
 * ChangeServiceConfig as "no change"), so the marker stays from creation, before any driver code.
 */
export function teamInfNeedsRewrite(
  text: string,
  inf: TeamInf,
  owned: Pick<OwnedServiceSettings, 'loadOrderGroup'>,
): boolean {
  const keys = entries(infSections(text), inf.serviceSection).map(([key]) => key.toLowerCase());
  return (
    keys.includes('displayname') ||
    keys.includes('description') ||
    (owned.loadOrderGroup !== undefined && keys.includes('loadordergroup'))
  );
}

/**
 * The INF drvcycle installs: the team's, line for line, except that its service-install section
 * carries drvcycle's ownership marker (DisplayName, Description) and, on the lab, the kept host's
 * LoadOrderGroup. Without the marker drvcycle would not own, and so never remove, the service.
 */
export function ownedTeamInf(text: string, inf: TeamInf, owned: OwnedServiceSettings): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const replaced = /^\s*(DisplayName|Description|LoadOrderGroup)\s*=/i;
  const out: string[] = [];
  let inService = false;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) {
      inService = header[1]!.trim().toLowerCase() === inf.serviceSection.toLowerCase();
      out.push(line);
      if (inService) {
        out.push(`DisplayName = ${quoted(owned.displayName)}`);
        out.push(`Description = ${quoted(owned.description)}`);
        if (owned.loadOrderGroup) out.push(`LoadOrderGroup = ${quoted(owned.loadOrderGroup)}`);
      }
      continue;
    }
    if (inService && replaced.test(line)) continue;
    out.push(line);
  }
  return out.join(eol);
}

/** The largest INF drvcycle reads (real INFs are kilobytes; a larger one is not an INF). */
export const MAX_INF_BYTES = 1024 * 1024;

/**
 * The largest catalog drvcycle carries with an INF: a catalog signs the package's files, and a
 * package drvcycle installs has one image (a few kilobytes of catalog); 4 MiB leaves room for a
 * team's catalog that also signs files drvcycle does not install.
 */
export const MAX_CATALOG_BYTES = 4 * 1024 * 1024;

/**
 * An INF file's text, in the encoding it was written in: UTF-16 (LE or BE, with a byte-order
 * mark or without one, as SetupAPI also recognises), UTF-8, or else the ANSI code page of a
 * Western Windows (1252), which is how SetupAPI reads a non-Unicode INF there.
 */
export function decodeInf(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength > MAX_INF_BYTES)
    throw new TeamInfError(
      `it is ${buffer.byteLength} bytes long, over the ${MAX_INF_BYTES} bytes drvcycle reads from an INF`,
      'Point DRIVER_INF at the driver’s .inf file (an INF is a few kilobytes of text).',
    );
  const utf16 = utf16Order(buffer);
  if (utf16 === 'le') return stripBom(new TextDecoder('utf-16le').decode(buffer));
  if (utf16 === 'be') return stripBom(new TextDecoder('utf-16be').decode(buffer));
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: true }).decode(buffer));
  } catch {
    return new TextDecoder('windows-1252').decode(buffer);
  }
}

const stripBom = (text: string) => (text.startsWith('\uFEFF') ? text.slice(1) : text);

/**
 * UTF-16 by its byte-order mark, or, without one, by its zero bytes: INF text is mostly ASCII, so
 * in UTF-16 every other byte is zero (the high bytes: odd offsets in LE, even in BE).
 */
function utf16Order(buffer: Buffer): 'le' | 'be' | undefined {
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return 'le';
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return 'be';
  if (buffer.byteLength < 2 || buffer.byteLength % 2 !== 0) return undefined;
  const sample = buffer.subarray(0, Math.min(buffer.byteLength, 4096));
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.byteLength; i++)
    if (sample[i] === 0) {
      if (i % 2 === 0) evenZeros++;
      else oddZeros++;
    }
  const pairs = sample.byteLength / 2;
  if (oddZeros > pairs * 0.6 && evenZeros < pairs * 0.05) return 'le';
  if (evenZeros > pairs * 0.6 && oddZeros < pairs * 0.05) return 'be';
  return undefined;
}

/** The bytes SetupAPI reads back as written: ASCII as is, anything else as UTF-16LE with a BOM. */
export function encodeInf(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}
