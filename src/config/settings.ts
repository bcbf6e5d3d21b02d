/**
 * drvcycle's settings, resolved in one place: the defaults, then the options a project sets in
 * playwright.config.ts `use`, then the environment variables a developer sets at the command line
 * (env wins). Every value is checked here; a bad one is a ConfigError that names the option and
 * what it accepts. globalSetup resolves every project's settings before any machine boots.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import {
  compareSettingsProblem,
  DEFAULT_COMPARE_SETTINGS,
  type CompareSettings,
  type CompareThresholds,
} from '../core/build-compare.ts';
import {
  DEFAULT_BYTE_THRESHOLDS,
  validateThresholds,
  type LeakThresholds,
} from '../core/leak-decision.ts';
import { packagePaths, sampleDriver } from '../core/paths.ts';
import { driverImageProblem, IMAGE_FILE_MACHINE } from '../core/pe-image.ts';
import {
  decodeInf,
  MAX_CATALOG_BYTES,
  MAX_INF_BYTES,
  readTeamInf,
  TeamInfError,
} from '../core/team-inf.ts';
import { reservedDeviceName } from '../core/windows-names.ts';
import type { IoTable } from '../core/io-table.ts';
import type { DriverType } from '../windows/scm/status.ts';
import { DRIVER_IO_ENV, resolveIoTable, type IoTableOption } from './io-settings.ts';
import {
  checkProfile,
  CERTIFY_THRESHOLDS,
  loosenedForCertify,
  PROFILE_DEFAULTS,
  refuseLockedEnv,
  type Profile,
} from './profiles.ts';

export interface DriverUnderTest {
  /** The .sys file on the runner's machine (relative paths: from the current directory). */
  readonly imagePath: string;
  /** The service name; derived from the file name when not given. */
  readonly serviceName?: string | undefined;
  readonly type?: DriverType | undefined;
  /** The load-order group. */
  readonly group?: string | undefined;
  /** The driver's pool tags, sampled after each unload where the target offers pool-tag counters. */
  readonly poolTags?: readonly string[] | undefined;
  /**
   * `pnp` for a Plug and Play function driver: drvcycle installs it on a root-enumerated device
   * (hardware id `root\<service>`) from an INF it writes, and cycles it by removing the device,
   * stopping the service and adding the device again. Default `legacy` (StartService/ControlService).
   */
  readonly kind?: DriverKind | undefined;
  /**
   * A PnP driver's cycle: `remove-readd` or `disable-enable` (Windows only, HLK's way). Unset:
   * disable-enable on Windows, remove-readd on the lab.
   */
  readonly pnpStrategy?: 'remove-readd' | 'disable-enable' | undefined;
  /**
   * The driver team's INF for the image (relative paths: from the current directory). It makes
   * the driver a PnP driver: its first model line gives the root-enumerated hardware id, its
   * AddService the service name, its [Version] the class. Copies only the driver image.
   */
  readonly infPath?: string | undefined;
  /**
   * The I/O table run between each load and unload (see src/core/io-table.ts): the path of a
   * JSON file (relative paths: from the current directory), or the table itself.
   */
  readonly io?: IoTableOption | undefined;
  /** Where a drivers manifest declared it (`drivers.jsonl:3`): what a problem with it names. */
  readonly declaredAt?: string | undefined;
}

export type DriverKind = 'legacy' | 'pnp';

/** What a project may set in `use` (every option is optional; unset takes the default). */
export interface DrvcycleOptions {
  /** dev, nightly or certify (see src/config/profiles.ts); unset: the plain defaults. */
  readonly profile?: Profile | undefined;
  readonly driverUnderTest?: DriverUnderTest | undefined;
  readonly cycles?: number | undefined;
  readonly startTimeoutMs?: number | undefined;
  readonly stopTimeoutMs?: number | undefined;
  readonly leakCycles?: number | undefined;
  readonly leakThresholds?: LeakThresholds | undefined;
  readonly soakSeconds?: number | undefined;
  readonly errorPathStopTimeoutMs?: number | undefined;
  readonly sampleEvery?: number | undefined;
  /**
   * The last good build of the driver, for the compare spec: the driver under test (the
   * candidate) is judged against it. Unset: the compare spec skips.
   */
  readonly baselineDriver?: { readonly imagePath: string } | undefined;
  /** How the compare spec runs and judges (defaults: DEFAULT_COMPARE_SETTINGS in src/core/build-compare.ts). */
  readonly compare?: CompareOptions | undefined;
}

export type CompareOptions = Partial<Omit<CompareSettings, 'thresholds'>> & {
  readonly thresholds?: Partial<CompareThresholds> | undefined;
};

export interface Settings {
  readonly profile: Profile | undefined;
  readonly driver: Required<
    Omit<DriverUnderTest, 'group' | 'pnpStrategy' | 'infPath' | 'io' | 'declaredAt'>
  > & {
    readonly group: string | undefined;
    readonly pnpStrategy?: 'remove-readd' | 'disable-enable' | undefined;
    readonly infPath?: string | undefined;
    /** The catalog the INF names ([Version] CatalogFile), found beside it. */
    readonly catalogPath?: string | undefined;
    /** The I/O table, checked. */
    readonly io?: IoTable | undefined;
  };
  readonly cycles: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly leakCycles: number;
  readonly leakThresholds: LeakThresholds;
  readonly soakSeconds: number;
  readonly errorPathStopTimeoutMs: number;
  readonly sampleEvery: number;
  /** The baseline build for the compare spec, installed as its own service; undefined: none. */
  readonly baseline: { readonly imagePath: string; readonly serviceName: string } | undefined;
  readonly compare: CompareSettings;
}

interface NumberOption {
  readonly key: Exclude<
    keyof DrvcycleOptions & keyof Settings,
    'driverUnderTest' | 'leakThresholds' | 'profile'
  >;
  readonly env: string;
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}

/** The numeric options, their environment variables, defaults and ranges. */
export const NUMBER_OPTIONS: readonly NumberOption[] = [
  { key: 'cycles', env: 'CYCLES', fallback: 50, min: 1, max: 10_000_000 },
  { key: 'leakCycles', env: 'LEAK_CYCLES', fallback: 200, min: 1, max: 10_000_000 },
  { key: 'soakSeconds', env: 'SOAK_SECONDS', fallback: 0, min: 0, max: 7 * 24 * 3600 },
  { key: 'sampleEvery', env: 'SAMPLE_EVERY', fallback: 10, min: 0, max: 1_000_000 },
  { key: 'startTimeoutMs', env: 'START_TIMEOUT_MS', fallback: 30_000, min: 1, max: 15 * 60_000 },
  { key: 'stopTimeoutMs', env: 'STOP_TIMEOUT_MS', fallback: 30_000, min: 1, max: 15 * 60_000 },
  {
    key: 'errorPathStopTimeoutMs',
    env: 'ERROR_PATH_STOP_TIMEOUT_MS',
    fallback: 5_000,
    min: 1,
    max: 15 * 60_000,
  },
];

/** The driver's environment variables; DRIVER replaces the whole driverUnderTest of `use`. */
export const DRIVER_ENV = {
  imagePath: 'DRIVER',
  serviceName: 'DRIVER_SERVICE',
  type: 'DRIVER_TYPE',
  group: 'DRIVER_GROUP',
  poolTags: 'DRIVER_POOL_TAGS',
  kind: 'DRIVER_KIND',
  pnpStrategy: 'DRIVER_PNP_STRATEGY',
  infPath: 'DRIVER_INF',
  io: DRIVER_IO_ENV,
} as const;
export const LEAK_THRESHOLD_ENV = 'LEAK_THRESHOLD_BYTES';
/** The compare spec's baseline build, and its cycles per build. */
export const BASELINE_DRIVER_ENV = 'BASELINE_DRIVER';
export const COMPARE_CYCLES_ENV = 'COMPARE_CYCLES';

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const GROUP_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;
const POOL_TAG = /^[\x20-\x7e]{1,4}$/;

/** `source` names where the value came from, as the user wrote it: `CYCLES=many`, `use.cycles (1.5)`. */
function wholeNumber(option: NumberOption, value: unknown, source: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < option.min ||
    value > option.max
  )
    throw new ConfigError(
      `${source} is not allowed: ${option.key} must be a whole number from ${option.min} to ${option.max}.`,
      `Set ${option.env} (or \`use: { ${option.key} }\` in playwright.config.ts) to a number such as ${option.fallback}, or leave it unset for the default (${option.fallback}).`,
    );
  return value;
}

function fromEnv(raw: string): number {
  return raw.trim() === '' ? NaN : Number(raw);
}

/** `C:\x\My Driver.sys` → `dc_My_Driver`: a valid, recognisable service name. */
export function serviceNameFor(imagePath: string): string {
  const stem = path.basename(imagePath).replace(/\.[^.]*$/, '');
  const safe = stem
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  return `dc_${safe || 'driver'}`;
}

/** The agent's limit on an image (src/agent/server.ts, DEFAULT_MAX_IMAGE_BYTES). */
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** The first 64 KiB: the PE headers lie well inside. */
function readHead(file: string): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The image exists and is a loadable driver, or a ConfigError saying `fix`. A sample driver the
 * lab set-up has yet to build passes (it is checked once built).
 */
function checkImageFile(
  imagePath: string,
  source: string,
  fix: string,
  options: Pick<ResolveOptions, 'samplesNotBuiltYet'>,
): void {
  const stat = (() => {
    try {
      return statSync(imagePath);
    } catch {
      return undefined;
    }
  })();
  const sampleToBuild =
    options.samplesNotBuiltYet && !stat && path.dirname(imagePath) === packagePaths.driverBuild();
  if (!stat?.isFile() && !sampleToBuild)
    throw new ConfigError(
      `${source}: ${imagePath} ${stat ? 'is not a file' : 'does not exist'}.`,
      fix,
    );
  if (stat?.isFile()) checkDriverImage(imagePath, stat.size, source, fix);
}

/** A driver image the agent takes and Windows can load as a kernel driver, or a ConfigError. */
function checkDriverImage(imagePath: string, size: number, source: string, fix: string): void {
  if (size > MAX_IMAGE_BYTES)
    throw new ConfigError(
      `${source}: ${imagePath} is ${size} bytes; the agent takes images of up to ${MAX_IMAGE_BYTES} bytes (64 MiB).`,
      `A kernel driver is rarely past a few MiB: it must be the .sys, not an archive or a debug symbol file. ${fix}`,
    );
  const problem = driverImageProblem(readHead(imagePath), IMAGE_FILE_MACHINE.AMD64);
  if (problem)
    throw new ConfigError(
      `${source}: ${imagePath} cannot be loaded as a kernel driver: ${problem}.`,
      `${fix} It must be an x64 kernel driver (linked with /SUBSYSTEM:NATIVE).`,
    );
}

/**
 * The compare spec's baseline: BASELINE_DRIVER or use.baselineDriver, checked as the driver under
 * test is, installed beside it under its own service name (dc_base_<file>) with the same settings.
 */
function resolveBaseline(
  use: DrvcycleOptions['baselineDriver'],
  env: NodeJS.ProcessEnv,
  driver: Settings['driver'],
  options: ResolveOptions,
): Settings['baseline'] {
  const given = env[BASELINE_DRIVER_ENV] || use?.imagePath;
  if (!given) return undefined;
  const source = env[BASELINE_DRIVER_ENV]
    ? `${BASELINE_DRIVER_ENV}=${given}`
    : 'baselineDriver.imagePath';
  const imagePath = path.resolve(given);
  checkImageFile(
    imagePath,
    source,
    'Point BASELINE_DRIVER (or baselineDriver.imagePath) at the last good build of your driver (a .sys).',
    options,
  );
  if (driver.kind === 'pnp')
    throw new ConfigError(
      `${source}: the compare spec cycles legacy drivers (StartService/ControlService); the driver under test is a PnP driver.`,
      'Compare a PnP driver’s builds with two nightly runs for now, or drop BASELINE_DRIVER.',
    );
  const stem = serviceNameFor(imagePath).slice('dc_'.length);
  const serviceName = `dc_base_${stem}`.slice(0, 64);
  if (serviceName.toLowerCase() === driver.serviceName.toLowerCase())
    throw new ConfigError(
      `The baseline's service name ${serviceName} is the driver under test's (DRIVER_SERVICE).`,
      'Give the driver under test another service name: both builds are installed side by side.',
    );
  return { imagePath, serviceName };
}

function resolveCompare(use: CompareOptions | undefined, env: NodeJS.ProcessEnv): CompareSettings {
  const d = DEFAULT_COMPARE_SETTINGS;
  const rawCycles = env[COMPARE_CYCLES_ENV];
  const cycles =
    rawCycles !== undefined && rawCycles !== '' ? fromEnv(rawCycles) : (use?.cycles ?? d.cycles);
  const settings: CompareSettings = {
    ...d,
    ...use,
    cycles,
    thresholds: { ...d.thresholds, ...use?.thresholds },
  };
  const problem = compareSettingsProblem(settings);
  if (problem)
    throw new ConfigError(
      `compare: ${problem}${rawCycles ? ` (${COMPARE_CYCLES_ENV}=${rawCycles})` : ''}.`,
      `Fix \`use: { compare }\` in playwright.config.ts (or ${COMPARE_CYCLES_ENV}, the cycles per build); the defaults are in docs/usage.md.`,
    );
  return settings;
}

export interface ResolveOptions {
  /** A missing image among drvcycle's sample drivers is fine: the lab set-up builds them. */
  readonly samplesNotBuiltYet?: boolean;
  /**
   * Whether this project runs now. Global set-up checks every project of the config, selected or
   * not (Playwright does not tell it which are), so the environment is held against a certify
   * project only where it runs: in its worker.
   */
  readonly selected?: boolean;
}

function resolveDriver(
  use: DriverUnderTest | undefined,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
): Settings['driver'] {
  const fromUse = env[DRIVER_ENV.imagePath] ? undefined : use;
  const imagePath = path.resolve(
    env[DRIVER_ENV.imagePath] || fromUse?.imagePath || sampleDriver('clean'),
  );
  const declaredAt = fromUse?.declaredAt;
  const source = env[DRIVER_ENV.imagePath]
    ? `DRIVER=${env.DRIVER}`
    : declaredAt
      ? `${declaredAt} ("image")`
      : 'driverUnderTest.imagePath';
  checkImageFile(
    imagePath,
    source,
    // fromUse, and so declaredAt, is unset when DRIVER names the driver.
    declaredAt
      ? `Fix the "image" of ${declaredAt} (the .sys of that driver's build), or remove the line.`
      : "Point DRIVER (or driverUnderTest.imagePath in playwright.config.ts) at your driver's .sys file.",
    options,
  );

  const inf = resolveInf(env[DRIVER_ENV.infPath] || fromUse?.infPath, imagePath);
  const givenService = env[DRIVER_ENV.serviceName] || fromUse?.serviceName;
  if (inf && givenService && givenService.toLowerCase() !== inf.service.toLowerCase())
    throw new ConfigError(
      `The service name ${givenService} (DRIVER_SERVICE, driverUnderTest.serviceName) is not the one ${inf.path} installs (${inf.service}).`,
      'Drop DRIVER_SERVICE: with an INF, the service is the one its AddService line names.',
    );
  const serviceName = inf?.service ?? givenService ?? serviceNameFor(imagePath);
  if (!SERVICE_NAME.test(serviceName))
    throw new ConfigError(
      `The service name ${JSON.stringify(serviceName)} (DRIVER_SERVICE, driverUnderTest.serviceName) is not allowed.`,
      'Use 1-64 letters, digits, "_" or "-".',
    );
  const type = env[DRIVER_ENV.type] || fromUse?.type || 'kernel';
  if (type !== 'kernel' && type !== 'filesystem')
    throw new ConfigError(
      `The driver type ${JSON.stringify(type)} (DRIVER_TYPE, driverUnderTest.type) is not a driver type.`,
      'Use kernel (the default) or filesystem.',
    );
  const group = env[DRIVER_ENV.group] || fromUse?.group || undefined;
  if (group !== undefined && !GROUP_NAME.test(group))
    throw new ConfigError(
      `The load-order group ${JSON.stringify(group)} (DRIVER_GROUP, driverUnderTest.group) is not allowed.`,
      'Use 1-64 letters, digits, spaces, "_", "." or "-".',
    );
  const poolTags = env[DRIVER_ENV.poolTags]
    ? env[DRIVER_ENV.poolTags]!.split(',').map((t) => t.trim())
    : [...(fromUse?.poolTags ?? [])];
  for (const tag of poolTags)
    if (!POOL_TAG.test(tag))
      throw new ConfigError(
        `The pool tag ${JSON.stringify(tag)} (DRIVER_POOL_TAGS, driverUnderTest.poolTags) is not a pool tag.`,
        "A pool tag has 1-4 printable ASCII characters, as in ExAllocatePool2(…, 'DcLs'); separate several with commas.",
      );
  const kind = env[DRIVER_ENV.kind] || fromUse?.kind || (inf ? 'pnp' : 'legacy');
  if (inf && kind !== 'pnp')
    throw new ConfigError(
      `DRIVER_KIND=${kind} with an INF (${inf.path}): an INF installs a PnP driver.`,
      'Drop DRIVER_KIND (an INF makes the driver a PnP driver), or drop DRIVER_INF to cycle it as a legacy driver.',
    );
  if (kind !== 'legacy' && kind !== 'pnp')
    throw new ConfigError(
      `The driver kind ${JSON.stringify(kind)} (DRIVER_KIND, driverUnderTest.kind) is not a driver kind.`,
      'Use legacy (the default: StartService/ControlService) or pnp (a Plug and Play function driver on a root-enumerated device).',
    );
  if (kind === 'pnp' && group !== undefined)
    throw new ConfigError(
      `A PnP driver takes no load-order group (DRIVER_GROUP=${group}).`,
      'Drop DRIVER_GROUP (driverUnderTest.group): the INF drvcycle writes installs the driver.',
    );
  if (kind === 'pnp' && !inf && reservedDeviceName(serviceName))
    throw new ConfigError(
      `The service name ${JSON.stringify(serviceName)} cannot name a PnP driver: its image would be ${serviceName}.sys, a name Windows reserves for a device.`,
      'Give the driver another service name (DRIVER_SERVICE, driverUnderTest.serviceName).',
    );
  const pnpStrategy = env[DRIVER_ENV.pnpStrategy] || fromUse?.pnpStrategy || undefined;
  if (
    pnpStrategy !== undefined &&
    pnpStrategy !== 'remove-readd' &&
    pnpStrategy !== 'disable-enable'
  )
    throw new ConfigError(
      `The PnP cycle strategy ${JSON.stringify(pnpStrategy)} (DRIVER_PNP_STRATEGY, driverUnderTest.pnpStrategy) is not one.`,
      'Use remove-readd or disable-enable (Windows only), or leave it unset.',
    );
  if (pnpStrategy !== undefined && kind !== 'pnp')
    throw new ConfigError(
      `DRIVER_PNP_STRATEGY=${pnpStrategy} is for a PnP driver.`,
      'Set DRIVER_KIND=pnp too, or drop the strategy.',
    );
  const io = resolveIoTable(env[DRIVER_ENV.io] || undefined, fromUse?.io);
  return {
    imagePath,
    serviceName,
    type,
    group,
    poolTags,
    kind,
    ...(io ? { io } : {}),
    ...(pnpStrategy ? { pnpStrategy } : {}),
    ...(inf ? { infPath: inf.path } : {}),
    ...(inf?.catalog ? { catalogPath: inf.catalog } : {}),
  };
}

/** A team INF, read and checked against the image before any machine boots. */
function resolveInf(
  given: string | undefined,
  imagePath: string,
): { path: string; service: string; catalog?: string } | undefined {
  if (!given) return undefined;
  const infPath = path.resolve(given);
  const source = `DRIVER_INF=${given}`;
  let bytes: Buffer;
  try {
    const info = statSync(infPath);
    if (!info.isFile())
      throw new ConfigError(
        `${source}: ${infPath} is not a file.`,
        "Point DRIVER_INF (or driverUnderTest.infPath) at your driver's .inf.",
      );
    if (info.size > MAX_INF_BYTES)
      throw new ConfigError(
        `${source}: ${infPath} is ${info.size} bytes long, over the ${MAX_INF_BYTES} bytes drvcycle reads from an INF.`,
        "Point DRIVER_INF (or driverUnderTest.infPath) at your driver's .inf (an INF is a few kilobytes of text).",
      );
    bytes = readFileSync(infPath);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `${source}: ${infPath} does not exist.`,
      "Point DRIVER_INF (or driverUnderTest.infPath) at your driver's .inf.",
    );
  }
  try {
    const inf = readTeamInf(decodeInf(bytes), path.basename(imagePath));
    const catalog = inf.catalogFile && catalogBeside(infPath, inf.catalogFile, source);
    return { path: infPath, service: inf.service, ...(catalog ? { catalog } : {}) };
  } catch (error) {
    if (error instanceof TeamInfError)
      throw new ConfigError(
        `${source}: ${infPath} cannot be installed: ${error.message}.`,
        error.hint,
      );
    throw error;
  }
}

/**
 * The catalog an INF names, where SetupAPI looks for it: beside the INF, its name compared
 * without case as on Windows. Missing, or not a catalog's size, it is refused before any machine
 * boots: the package would not install.
 */
function catalogBeside(infPath: string, name: string, source: string): string {
  const folder = path.dirname(infPath);
  const found = readdirSync(folder).find((file) => file.toLowerCase() === name.toLowerCase());
  const file = path.join(folder, found ?? name);
  const info = found ? statSync(file) : undefined;
  if (!info?.isFile())
    throw new ConfigError(
      `${source}: ${infPath} names the catalog ${name} ([Version] CatalogFile), which is not beside it in ${folder}.`,
      `Put ${name} next to the INF, as the driver package has it (drvcycle carries it with the INF), or remove CatalogFile from an INF that has no catalog.`,
    );
  if (info.size > MAX_CATALOG_BYTES)
    throw new ConfigError(
      `${source}: its catalog ${file} is ${info.size} bytes long, over the ${MAX_CATALOG_BYTES} bytes drvcycle carries with an INF.`,
      'Point CatalogFile at the package’s own catalog (a few kilobytes for one driver image).',
    );
  return file;
}

export function resolveSettings(
  use: DrvcycleOptions,
  fullEnv: NodeJS.ProcessEnv,
  options: ResolveOptions = {},
): Settings {
  const profile = checkProfile(use.profile);
  if (profile === 'certify' && options.selected !== false) refuseLockedEnv(fullEnv);
  // A certification reads nothing from the environment; a nightly project's driver is its
  // manifest line's, whatever DRIVER says.
  const env = profile === 'certify' ? {} : fullEnv;
  const driverEnv = profile === 'certify' || profile === 'nightly' ? {} : fullEnv;
  const profileDefaults = profile ? PROFILE_DEFAULTS[profile] : undefined;
  const numbers = {} as Record<NumberOption['key'], number>;
  for (const option of NUMBER_OPTIONS) {
    const raw = env[option.env];
    const profileDefault = profileDefaults?.[option.key as keyof typeof profileDefaults];
    numbers[option.key] =
      raw !== undefined && raw !== ''
        ? wholeNumber(option, fromEnv(raw), `${option.env}=${raw}`)
        : use[option.key] !== undefined
          ? wholeNumber(
              option,
              use[option.key],
              `use.${option.key} (${JSON.stringify(use[option.key])})`,
            )
          : (profileDefault ?? option.fallback);
  }
  let leakThresholds =
    use.leakThresholds ?? (profile === 'certify' ? CERTIFY_THRESHOLDS : DEFAULT_BYTE_THRESHOLDS);
  const rawThreshold = env[LEAK_THRESHOLD_ENV];
  if (rawThreshold !== undefined && rawThreshold !== '')
    leakThresholds = { ...leakThresholds, perCycle: fromEnv(rawThreshold) };
  try {
    validateThresholds(leakThresholds);
  } catch (error) {
    throw new ConfigError(
      `leakThresholds: ${(error as Error).message}`,
      `Set ${LEAK_THRESHOLD_ENV} to the bytes per cycle that count as a leak (default ${DEFAULT_BYTE_THRESHOLDS.perCycle}), or fix leakThresholds in playwright.config.ts.`,
    );
  }
  if (profile === 'certify') {
    const loosened = loosenedForCertify({ ...numbers, leakThresholds });
    if (loosened.length > 0)
      throw new ConfigError(
        `A certify project cannot loosen the certification: ${loosened.join('; ')}.`,
        'Remove those options from the project (stricter values are fine), or use a nightly project for a looser run.',
      );
  }
  const driver = resolveDriver(use.driverUnderTest, driverEnv, options);
  return {
    profile,
    driver,
    ...numbers,
    leakThresholds,
    baseline: resolveBaseline(use.baselineDriver, driverEnv, driver, options),
    compare: resolveCompare(use.compare, env),
  };
}

/**
 * The team INF for an install, when the driver under test has one: its bytes as written (a
 * signed package's catalog signs them), and the catalog it names.
 */
export function teamInf(settings: Pick<Settings, 'driver'>): {
  inf?: Uint8Array;
  catalog?: Uint8Array;
} {
  const { infPath, catalogPath } = settings.driver;
  if (!infPath) return {};
  return {
    inf: readFileSync(infPath),
    ...(catalogPath ? { catalog: readFileSync(catalogPath) } : {}),
  };
}

/** Hands `drvcycle compare`'s builds to the run it starts: its runner and workers resolve them here. */
export function setCompareBuilds(
  builds: {
    candidate: string;
    baseline: string;
    cycles?: string | undefined;
    io?: string | undefined;
  },
  env: NodeJS.ProcessEnv = process.env,
): void {
  env[DRIVER_ENV.imagePath] = builds.candidate;
  env[BASELINE_DRIVER_ENV] = builds.baseline;
  if (builds.cycles !== undefined) env[COMPARE_CYCLES_ENV] = builds.cycles;
  if (builds.io !== undefined) env[DRIVER_ENV.io] = path.resolve(builds.io);
}
