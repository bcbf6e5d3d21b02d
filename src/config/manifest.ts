/**
 * The drivers manifest: one line per driver, so adding a driver to the nightly run or to a
 * certification is one line. JSON Lines (one object per line; `#` comments and blank lines
 * allowed), relative image paths from the manifest's folder:
 *
 *   {"image": "build/mydrv.sys", "service": "mydrv", "poolTags": ["MyDr"]}
 *   {"image": "build/myfs.sys", "type": "filesystem", "group": "FSFilter Activity Monitor"}
 *
 * Fields: image (required), service, type (kernel | filesystem), group, poolTags, kind (legacy |
 * pnp), pnpStrategy (remove-readd | disable-enable), inf (the team's INF: a PnP driver whose service
 * is the INF's), io (the driver's I/O table, a JSON file: src/core/io-table.ts). Each line is
 * checked like DRIVER and its companions (src/config/settings.ts) when a project uses it.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { DriverUnderTest } from './settings.ts';
import { serviceNameFor } from './settings.ts';
import { decodeInf, MAX_INF_BYTES, readTeamInf } from '../core/team-inf.ts';

const FIELDS = new Set([
  'image',
  'service',
  'type',
  'group',
  'poolTags',
  'kind',
  'pnpStrategy',
  'inf',
  'io',
]);

export interface ManifestDriver extends DriverUnderTest {
  readonly serviceName: string;
  /** Where it was declared: `drivers.jsonl:3`. */
  readonly line: string;
}

export function parseManifest(text: string, file: string): ManifestDriver[] {
  const drivers: ManifestDriver[] = [];
  const seen = new Map<string, string>();
  const where = (n: number) => `${path.basename(file)}:${n}`;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const at = where(index + 1);
    let entry: unknown;
    try {
      entry = JSON.parse(trimmed);
    } catch (error) {
      throw new ConfigError(
        `${at} is not a JSON object: ${(error as Error).message}.`,
        'Write one driver per line as JSON, e.g. {"image": "build/mydrv.sys", "poolTags": ["MyDr"]}.',
      );
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new ConfigError(`${at} is not a JSON object.`, 'Write one driver per line as JSON.');
    const record = entry as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => !FIELDS.has(key));
    if (unknown.length > 0)
      throw new ConfigError(
        `${at} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`,
        `A manifest line takes: ${[...FIELDS].join(', ')}.`,
      );
    const text = (key: string): string | undefined => {
      const value = record[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value === '')
        throw new ConfigError(`${at}: "${key}" must be a non-empty string.`, '');
      return value;
    };
    const image = text('image');
    if (!image)
      throw new ConfigError(
        `${at} names no "image".`,
        'Give the .sys file: "image": "build/x.sys".',
      );
    const tags = record.poolTags;
    if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')))
      throw new ConfigError(
        `${at}: "poolTags" must be a list of strings.`,
        'e.g. ["MyDr", "MyD2"]',
      );
    const type = text('type');
    if (type !== undefined && type !== 'kernel' && type !== 'filesystem')
      throw new ConfigError(
        `${at}: "type" ${type} is not a driver type.`,
        'Use kernel or filesystem.',
      );
    const imagePath = path.resolve(path.dirname(file), image);
    const inf = text('inf');
    const infPath = inf ? path.resolve(path.dirname(file), inf) : undefined;
    const serviceName =
      text('service') ?? (infPath && serviceOfInf(infPath, imagePath)) ?? serviceNameFor(imagePath);
    const earlier = seen.get(serviceName.toLowerCase());
    if (earlier)
      throw new ConfigError(
        `${at} and ${earlier} both use the service name ${serviceName}.`,
        'Give one of them its own "service".',
      );
    seen.set(serviceName.toLowerCase(), at);
    const group = text('group');
    const kind = text('kind');
    if (kind !== undefined && kind !== 'legacy' && kind !== 'pnp')
      throw new ConfigError(`${at}: "kind" ${kind} is not a driver kind.`, 'Use legacy or pnp.');
    const pnpStrategy = text('pnpStrategy');
    if (
      pnpStrategy !== undefined &&
      pnpStrategy !== 'remove-readd' &&
      pnpStrategy !== 'disable-enable'
    )
      throw new ConfigError(
        `${at}: "pnpStrategy" ${pnpStrategy} is not a PnP cycle strategy.`,
        'Use remove-readd or disable-enable.',
      );
    const io = text('io');
    const ioPath = io ? path.resolve(path.dirname(file), io) : undefined;
    drivers.push({
      imagePath,
      serviceName,
      line: at,
      ...(type ? { type } : {}),
      ...(group ? { group } : {}),
      ...(tags ? { poolTags: tags as string[] } : {}),
      ...(kind ? { kind } : {}),
      ...(pnpStrategy ? { pnpStrategy } : {}),
      ...(infPath ? { infPath } : {}),
      ...(ioPath ? { io: ioPath } : {}),
    });
  });
  if (drivers.length === 0)
    throw new ConfigError(`${file} lists no driver.`, 'Add one line per driver: {"image": "…"}.');
  return drivers;
}

export function readManifest(file: string): ManifestDriver[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `Cannot read the drivers manifest ${file}: ${(error as NodeJS.ErrnoException).code}.`,
      'Point `manifest` (or DRVCYCLE_MANIFEST) at a JSON Lines file, one driver per line.',
    );
  }
  return parseManifest(text, path.resolve(file));
}

/** The service an INF installs, when it can be read (drvcycle's set-up reports what is wrong). */
function serviceOfInf(infPath: string, imagePath: string): string | undefined {
  try {
    if (statSync(infPath).size > MAX_INF_BYTES) return undefined;
    return readTeamInf(decodeInf(readFileSync(infPath)), path.basename(imagePath)).service;
  } catch {
    return undefined;
  }
}

/**
 * The manifest a run reads: the config's `manifest` option, or DRVCYCLE_MANIFEST. When both name
 * a file and not the same one, neither is guessed: testing the other manifest's drivers would
 * pass or fail drivers nobody asked about.
 */
export function chooseManifest(
  option: string | undefined,
  fromEnv: string | undefined,
): string | undefined {
  if (option === undefined || fromEnv === undefined) return option ?? fromEnv;
  if (path.resolve(option) === path.resolve(fromEnv)) return option;
  throw new ConfigError(
    `DRVCYCLE_MANIFEST names ${fromEnv}, but the config's drvcycleProjects({ manifest }) names ${option}: which drivers to test is not clear.`,
    'Unset DRVCYCLE_MANIFEST to test the config\'s manifest, or have the config read it (manifest: process.env.DRVCYCLE_MANIFEST ?? "…", or no `manifest` at all).',
  );
}
