/**
 * INF files for PnP drivers: the one drvcycle writes for a root-enumerated device (a driver
 * given as a .sys and a hardware id), and what drvcycle reads from a driver team's own INF (its
 * first model line: the hardware id, the install section, its service, the class).
 */

/** GUID_DEVCLASS_SYSTEM, the class of a root-enumerated software device with no other class. */
export const GUID_DEVCLASS_SYSTEM = '{4d36e97d-e325-11ce-bfc1-08002be10318}';

export interface RootDeviceInf {
  /** The service name, which drvcycle owns: its marker goes into the service's display name. */
  readonly service: string;
  /** e.g. root\dc_pnp_clean */
  readonly hardwareId: string;
  /** The image's file name, copied by the INF next to itself into system32\drivers. */
  readonly imageFile: string;
  /** drvcycle's ownership marker for the service (`drvcycle:run=<id> …`). */
  readonly displayName: string;
  readonly description: string;
  /**
   * The service's load-order group. On the lab, the group of a host kept alive by drvcycle's
   * keeper: a PnP driver then loads into a long-lived winedevice.exe, as into one kernel on Windows.
   */
  readonly loadOrderGroup?: string;
}

/** An INF string value, quoted (a `"` inside doubled). */
export const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;
/** An INF value without its surrounding quotes. */
export const unquote = (text: string) => text.replace(/^"|"$/g, '');

export function rootDeviceInf(spec: RootDeviceInf): string {
  return [
    '; Written by drvcycle for a root-enumerated device of a PnP driver under test.',
    '[Version]',
    'Signature="$WINDOWS NT$"',
    'Class=System',
    `ClassGuid=${GUID_DEVCLASS_SYSTEM}`,
    'Provider=%Provider%',
    'DriverVer=01/01/2026,1.0.0.0',
    '',
    '[DestinationDirs]',
    'DefaultDestDir = 12',
    '',
    '[SourceDisksNames]',
    '1 = %Disk%',
    '',
    '[SourceDisksFiles]',
    `${spec.imageFile} = 1`,
    '',
    '[Manufacturer]',
    '%Provider% = Models,NTamd64',
    '',
    '[Models.NTamd64]',
    `%DeviceDesc% = DrvcycleInstall, ${spec.hardwareId}`,
    '',
    '[DrvcycleInstall.NT]',
    `CopyFiles = @${spec.imageFile}`,
    '',
    '[DrvcycleInstall.NT.Services]',
    `AddService = ${spec.service}, 0x00000002, DrvcycleService`,
    '',
    '[DrvcycleService]',
    `DisplayName = ${quoted(spec.displayName)}`,
    `Description = ${quoted(spec.description)}`,
    'ServiceType = 1',
    'StartType = 3',
    'ErrorControl = 1',
    `ServiceBinary = %12%\\${spec.imageFile}`,
    ...(spec.loadOrderGroup ? [`LoadOrderGroup = ${quoted(spec.loadOrderGroup)}`] : []),
    '',
    '[Strings]',
    'Provider = "drvcycle"',
    'Disk = "drvcycle PnP driver under test"',
    `DeviceDesc = ${quoted(`drvcycle device for ${spec.service}`)}`,
    '',
  ].join('\r\n');
}

export interface InfModel {
  readonly hardwareId: string;
  readonly installSection: string;
  readonly service: string | undefined;
  readonly classGuid: string | undefined;
  readonly className: string | undefined;
  /** Files its install section copies (CopyFiles=@file entries and file-list sections). */
  readonly files: string[];
}

export type Sections = Map<string, string[]>;

/** INF sections, lower-cased names, comments and continuation lines handled. */
export function infSections(text: string): Sections {
  const sections: Sections = new Map();
  let current: string[] | undefined;
  let pending = '';
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = stripComment(pending + raw).trimEnd();
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    pending = '';
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1]!.trim().toLowerCase(), current);
    } else if (current && line.trim() !== '') current.push(line.trim());
  }
  return sections;
}

/** Section names as the INF writes them, by their lower-case name (for messages). */
export function sectionTitles(text: string): Map<string, string> {
  const titles = new Map<string, string>();
  for (const match of text.matchAll(/^\s*\[([^\]]+)\]/gm)) {
    const title = match[1]!.trim();
    if (!titles.has(title.toLowerCase())) titles.set(title.toLowerCase(), title);
  }
  return titles;
}

/** A `;` outside double quotes starts a comment. */
function stripComment(line: string): string {
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') inQuotes = !inQuotes;
    else if (line[i] === ';' && !inQuotes) return line.slice(0, i);
  }
  return line;
}

export function entries(sections: Sections, name: string): [string, string][] {
  return (sections.get(name.toLowerCase()) ?? []).map((line) => {
    const eq = line.indexOf('=');
    return eq < 0 ? [line, ''] : [line.slice(0, eq).trim(), line.slice(eq + 1).trim()];
  });
}

const value = (sections: Sections, section: string, key: string) =>
  entries(sections, section).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

export const list = (text: string) =>
  text
    .split(',')
    .map((item) => unquote(item.trim()))
    .filter(Boolean);

/**
 * The first model line for amd64: Manufacturer → models section (with its .NTamd64 decoration
 * when the INF declares one) → `desc = install-section, hardware-id[, compatible…]`.
 */
export function firstModel(text: string): InfModel {
  const sections = infSections(text);
  const manufacturer = entries(sections, 'Manufacturer')[0];
  if (!manufacturer) throw new Error('the INF has no [Manufacturer] section');
  const [modelsName, ...decorations] = list(manufacturer[1]);
  if (!modelsName) throw new Error('[Manufacturer] names no models section');
  const decoration = decorations.find((d) => /^ntamd64/i.test(d));
  const modelsSection =
    (decoration && sections.has(`${modelsName}.${decoration}`.toLowerCase())
      ? `${modelsName}.${decoration}`
      : undefined) ?? modelsName;
  const model = entries(sections, modelsSection)[0];
  if (!model) throw new Error(`[${modelsSection}] lists no device`);
  const [installSection, hardwareId] = list(model[1]);
  if (!installSection || !hardwareId)
    throw new Error(
      `[${modelsSection}] "${model.join(' = ')}" names no install section and hardware id`,
    );
  const decorated = [`${installSection}.NTamd64`, `${installSection}.NT`, installSection].find(
    (name) => sections.has(name.toLowerCase()),
  );
  const installName = decorated ?? installSection;
  const servicesSection = `${installName}.Services`;
  const addService = entries(sections, servicesSection).find(
    ([key]) => key.toLowerCase() === 'addservice',
  );
  const files: string[] = [];
  for (const copy of entries(sections, installName).filter(
    ([key]) => key.toLowerCase() === 'copyfiles',
  ))
    for (const item of list(copy[1]))
      if (item.startsWith('@')) files.push(item.slice(1));
      else
        files.push(
          ...entries(sections, item)
            .map(([file]) => list(file)[0]!)
            .filter(Boolean),
        );
  return {
    hardwareId,
    installSection: installName,
    service: addService ? list(addService[1])[0] : undefined,
    classGuid: value(sections, 'Version', 'ClassGuid'),
    className: value(sections, 'Version', 'Class'),
    files,
  };
}

/**
 * Replaces `%key%` with its [Strings] value (`%%` is a literal `%`); numeric keys are directory
 * ids and stay as written, as do keys the INF does not define.
 */
export function stringResolver(sections: Sections): (value: string) => string {
  const strings = new Map(
    (sections.get('strings') ?? []).map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq).trim().toLowerCase(), unquote(line.slice(eq + 1).trim())] as const;
    }),
  );
  return (value) =>
    value.replace(/%([^%]*)%/g, (whole, key: string) =>
      key === '' ? '%' : /^\d+$/.test(key) ? whole : (strings.get(key.toLowerCase()) ?? whole),
    );
}
