/**
 * What a driver team's INF may touch when drvcycle installs it: its own image, copied to the
 * drivers folder (over no file that is already there) or into its package's own folder of the
 * driver store, and nowhere else; its own service (and its
 * event-log source); its own device, driver, service and interface keys (HKR). Every section
 * SetupAPI processes for the device drvcycle creates is walked, and the first line that reaches
 * anything else is refused with the section and the line, before any machine is touched.
 */
import { entries, list, unquote, type Sections } from './inf.ts';

/** The INF's own things: what it may touch. */
export interface InfScope {
  /** The install section of the first model line, as decorated (e.g. `Echo_Device.NT`). */
  readonly installSection: string;
  readonly service: string;
  /** The driver image drvcycle was given (its file name). */
  readonly imageFile: string;
  /** Where its ServiceBinary has it: the drivers folder (12, the default) or the driver store (13). */
  readonly imageDirid?: ImageDirid;
  /** `%key%` → its [Strings] value. */
  readonly resolve: (value: string) => string;
  /** Section names as written, by lower-case name: refusals quote the INF as written. */
  readonly titles?: ReadonlyMap<string, string>;
}

/** A line drvcycle will not install: where it is, what it would do, and what to write instead. */
export interface InfRefusal {
  readonly section: string;
  readonly line: string;
  readonly why: string;
  readonly hint: string;
}

/**
 * The destinations an INF's files may go to, no subfolder: the drivers folder (DIRID 12), or the
 * driver store (13, the package's own folder Windows creates at install), the one its ServiceBinary
 * names.
 */
export const DRIVERS_DIRID = '12';
export const DRIVER_STORE_DIRID = '13';
export type ImageDirid = typeof DRIVERS_DIRID | typeof DRIVER_STORE_DIRID;

/** Directives that write files, run code or pull in other INFs' sections: never installed. */
const REFUSED_DIRECTIVES = new Map<string, string>([
  ['delfiles', 'deletes files'],
  ['renfiles', 'renames files'],
  ['updateinis', 'edits INI files'],
  ['updateinifields', 'edits INI files'],
  ['ini2reg', 'moves INI entries into the registry'],
  ['registerdlls', 'registers and runs DLLs'],
  ['unregisterdlls', 'unregisters and runs DLLs'],
  ['profileitems', 'edits the Start menu'],
  ['include', 'pulls in sections of other INFs, which drvcycle cannot check'],
  ['needs', 'pulls in sections of other INFs, which drvcycle cannot check'],
  ['copyinf', 'installs other INFs'],
  ['addcomponent', 'installs another component'],
  ['addsoftware', 'installs software'],
  ['umdfservice', 'installs a user-mode (UMDF) service with its own files'],
  ['addpowersetting', 'changes the machine’s power settings'],
  ['delpowersetting', 'changes the machine’s power settings'],
]);

const HINT_OWN_KEYS =
  'drvcycle lets a team INF write only the driver’s own keys: HKR (its device, driver or service key) and HKLM\\System\\CurrentControlSet\\Services\\<its service>. Remove the line, or move the setting under HKR.';

/** A line's comma-separated fields, commas inside double quotes kept. */
export function infFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const char of line) {
    if (char === '"') inQuotes = !inQuotes;
    if (char === ',' && !inQuotes) {
      fields.push(current.trim());
      current = '';
    } else current += char;
  }
  fields.push(current.trim());
  return fields;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The first line of the INF that would touch what is not the driver's own, or none. */
export function firstRefusedLine(sections: Sections, scope: InfScope): InfRefusal | undefined {
  return new InfWalk(sections, scope).run();
}

class InfWalk {
  private readonly visited = new Set<string>();
  private readonly sections: Sections;
  private readonly scope: InfScope;
  constructor(sections: Sections, scope: InfScope) {
    this.sections = sections;
    this.scope = scope;
  }

  run(): InfRefusal | undefined {
    const install = this.scope.installSection.toLowerCase();
    // The install section and its decorated siblings (.Services, .HW, .CoInstallers,
    // .Interfaces, .Wdf, ...), then the class installer SetupAPI runs for a class not yet there.
    const processed = [...this.sections.keys()].filter(
      (name) =>
        name === install ||
        name.startsWith(`${install}.`) ||
        /^classinstall32(\.nt(amd64)?)?$/.test(name),
    );
    for (const name of processed) {
      const refusal = this.section(name);
      if (refusal) return refusal;
    }
    return undefined;
  }

  private title(name: string): string {
    return this.scope.titles?.get(name.toLowerCase()) ?? name;
  }

  private lines(name: string): [string, string][] {
    return entries(this.sections, name);
  }

  /** The section's name as the INF writes it is not kept: lower case is what SetupAPI matches. */
  private section(name: string): InfRefusal | undefined {
    const key = name.toLowerCase();
    if (this.visited.has(key)) return undefined;
    this.visited.add(key);
    for (const [directive, value] of this.lines(key)) {
      const refusal = this.directive(this.title(name), directive, value);
      if (refusal) return refusal;
    }
    return undefined;
  }

  private directive(section: string, directive: string, value: string): InfRefusal | undefined {
    const line = `${directive} = ${value}`;
    const at = (why: string, hint: string): InfRefusal => ({ section, line, why, hint });
    const kind = directive.toLowerCase();
    const refused = REFUSED_DIRECTIVES.get(kind);
    if (refused)
      return at(
        `${directive} ${refused}`,
        'Remove the line: drvcycle installs the driver image, its service and its own keys, nothing else.',
      );
    switch (kind) {
      case 'copyfiles':
        return this.copyFiles(section, line, value);
      case 'addreg':
      case 'delreg':
      case 'bitreg':
        for (const name of list(value).map(this.scope.resolve)) {
          const refusal = this.registry(name);
          if (refusal) return refusal;
        }
        return undefined;
      case 'addservice':
        return this.addService(at, value);
      case 'delservice':
      case 'kmdfservice': {
        const name = this.scope.resolve(list(value)[0] ?? '');
        return same(name, this.scope.service)
          ? undefined
          : at(
              `${directive} names the service "${name}", not the driver’s own "${this.scope.service}"`,
              'An INF drvcycle installs may name only its own service.',
            );
      }
      case 'addinterface': {
        const installSection = this.scope.resolve(infFields(value)[2] ?? '');
        return installSection ? this.section(installSection) : undefined;
      }
      default:
        return undefined;
    }
  }

  private addService(
    at: (why: string, hint: string) => InfRefusal,
    value: string,
  ): InfRefusal | undefined {
    const [name = '', , serviceSection, eventLogSection, , eventName] = infFields(value).map(
      (field) => unquote(this.scope.resolve(field)),
    );
    if (!same(name, this.scope.service))
      return at(
        `it installs the service "${name}" besides the driver’s own "${this.scope.service}"`,
        'An INF drvcycle installs adds one service, the driver’s: remove the other AddService line.',
      );
    if (eventName && !same(eventName, this.scope.service))
      return at(
        `it registers the event-log source "${eventName}", which is not the driver’s service name`,
        'Leave the event name out (it defaults to the service name).',
      );
    for (const section of [serviceSection, eventLogSection]) {
      const refusal = section ? this.section(section) : undefined;
      if (refusal) return refusal;
    }
    return undefined;
  }

  /** An AddReg/DelReg/BitReg section: every line's key is the driver's own. */
  private registry(name: string): InfRefusal | undefined {
    for (const [key, value] of this.lines(name)) {
      const line = value === '' ? key : `${key} = ${value}`;
      const [root = '', subkey = ''] = infFields(line).map((field) =>
        unquote(this.scope.resolve(field)),
      );
      if (this.ownKey(root, subkey)) continue;
      return {
        section: this.title(name),
        line,
        why: `it writes ${root}${subkey ? `\\${subkey}` : ''}, which is not the driver’s own key`,
        hint: HINT_OWN_KEYS,
      };
    }
    return undefined;
  }

  private ownKey(root: string, subkey: string): boolean {
    if (same(root, 'HKR')) return true;
    if (!same(root, 'HKLM')) return false;
    const parts = subkey.split('\\').filter(Boolean);
    const own = ['System', 'CurrentControlSet', 'Services', this.scope.service];
    return parts.length >= own.length && own.every((part, i) => same(part, parts[i]!));
  }

  private copyFiles(section: string, line: string, value: string): InfRefusal | undefined {
    for (const item of list(value).map(this.scope.resolve)) {
      if (item.startsWith('@')) {
        const refusal =
          this.copiedName(section, line, item.slice(1)) ??
          this.destination(section, line, 'DefaultDestDir');
        if (refusal) return refusal;
        continue;
      }
      for (const [file, rest] of this.lines(item)) {
        const copyLine = rest === '' ? file : `${file} = ${rest}`;
        const [destination = '', source = ''] = infFields(copyLine).map((field) =>
          unquote(this.scope.resolve(field)),
        );
        const refusal =
          this.copiedName(this.title(item), copyLine, destination) ??
          (source ? this.copiedName(this.title(item), copyLine, source) : undefined);
        if (refusal) return refusal;
      }
      const refusal = this.destination(section, line, item);
      if (refusal) return refusal;
    }
    return undefined;
  }

  private copiedName(section: string, line: string, file: string): InfRefusal | undefined {
    if (same(file, this.scope.imageFile)) return undefined;
    return {
      section,
      line,
      why: `it copies ${file}, not the driver image ${this.scope.imageFile}`,
      hint: 'drvcycle sends only the driver image to the machine: copy it under its own name, and nothing else.',
    };
  }

  /**
   * Where a file list (or `@file`, with DefaultDestDir) goes: the folder its ServiceBinary runs
   * the image from, the drivers folder (12) or the driver store (13), itself.
   */
  private destination(section: string, line: string, fileList: string): InfRefusal | undefined {
    const dirs = this.lines('DestinationDirs');
    const entry =
      dirs.find(([key]) => same(key, fileList)) ??
      dirs.find(([key]) => same(key, 'DefaultDestDir'));
    const expected = this.scope.imageDirid ?? DRIVERS_DIRID;
    const hint = `Send the image where its ServiceBinary (%${expected}%) runs it: "[DestinationDirs] ${fileList === 'DefaultDestDir' ? 'DefaultDestDir' : fileList} = ${expected}".`;
    if (!entry)
      return {
        section,
        line,
        why: `[DestinationDirs] names no folder for ${fileList}: an INF that copies a file must name its folder`,
        hint,
      };
    const [dirid = '', ...subdir] = infFields(entry[1]).map((field) =>
      unquote(this.scope.resolve(field)),
    );
    const folder = subdir.some(Boolean) ? `${dirid},${subdir.join(',')}` : `DIRID ${dirid}`;
    const at = { section: 'DestinationDirs', line: `${entry[0]} = ${entry[1]}`, hint };
    if (
      (dirid !== DRIVERS_DIRID && dirid !== DRIVER_STORE_DIRID) ||
      subdir.some((part) => part !== '')
    )
      return {
        ...at,
        why: `it copies the image to ${folder}: drvcycle installs a driver image into the drivers folder (12) or the driver store (13) only, never over a file it does not own`,
      };
    if (dirid !== expected)
      return {
        ...at,
        why: `it copies the image to DIRID ${dirid}, but its ServiceBinary runs it from %${expected}%: the service would start a file the INF did not install`,
      };
    return undefined;
  }
}
