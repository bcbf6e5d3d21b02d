/**
 * Validation of everything a request may carry into the agent: service names, image file names,
 * image paths (only inside the allow-listed folders) and numeric options. Pure, unit-tested.
 */
import path from 'node:path';
import { AgentRequestError, ConfigError, ErrorCodes } from '../core/errors.ts';
import { parseIoTable, type IoTable } from '../core/io-table.ts';
import { isKeeperDevicePath } from '../core/host-keeper.ts';
import { RUN_ID_PATTERN } from '../core/run-id.ts';
import type { CycleOptions, SampleRequest } from '../core/records.ts';
import { reservedDeviceName } from '../core/windows-names.ts';
import type { CallOptions, InstallOptions } from '../target/types.ts';

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const GROUP_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;
// Windows file-name rules: no reserved characters or control characters, no trailing dot/space.
// eslint-disable-next-line no-control-regex
const FILE_NAME = /^[^\\/:*?"<>|\u0000-\u001f]{1,120}$/u;
const MAX_TIMEOUT_MS = 15 * 60_000;
const MAX_CYCLES = 10_000_000;

function invalid(message: string): AgentRequestError {
  return new AgentRequestError(400, ErrorCodes.INVALID_REQUEST, message);
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('Expected a JSON object as the request body.');
  return body as Record<string, unknown>;
}

export function validateServiceName(name: unknown): string {
  if (typeof name !== 'string' || !SERVICE_NAME.test(name)) {
    throw invalid(
      `Invalid service name ${JSON.stringify(name)}: use 1-64 letters, digits, "_" or "-".`,
    );
  }
  return name;
}

export function validateFileName(name: unknown): string {
  if (typeof name === 'string' && reservedDeviceName(name))
    throw invalid(
      `Invalid image file name ${JSON.stringify(name)}: Windows reserves it for a device. Name the image like a driver file (mydriver.sys).`,
    );
  if (
    typeof name !== 'string' ||
    !FILE_NAME.test(name) ||
    name === '.' ||
    name === '..' ||
    /[. ]$/.test(name)
  ) {
    throw invalid(
      `Invalid image file name ${JSON.stringify(name)}: give a plain Windows file name (no folders, no reserved characters), up to 120 characters.`,
    );
  }
  return name;
}

/** Normalises an absolute Windows drive path; `..` segments are resolved before the check. */
export function normaliseWindowsPath(value: string): string {
  if (!/^[A-Za-z]:[\\/]/.test(value))
    throw invalid(`Expected an absolute Windows path (C:\\...), got ${JSON.stringify(value)}.`);
  return path.win32.resolve(value);
}

export function isPathAllowed(binaryPath: string, allowedDirs: readonly string[]): boolean {
  const candidate = normaliseWindowsPath(binaryPath).toLowerCase();
  return allowedDirs.some((dir) => {
    const root = normaliseWindowsPath(dir).toLowerCase().replace(/\\+$/, '');
    return candidate.startsWith(`${root}\\`);
  });
}

function optionalTimeout(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > MAX_TIMEOUT_MS
  ) {
    throw invalid(
      `Expected \`${key}\` to be a number of milliseconds between 1 and ${MAX_TIMEOUT_MS}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** What an install carries besides the image: from the JSON body or the upload's query string. */
export interface InstallRequest extends InstallOptions {
  readonly runId: string;
  /** An image already on the target (JSON body). */
  readonly binaryPath?: string;
  /** The file name an uploaded image gets (query string). */
  readonly fileName?: string;
  /** The SHA-256 of a team INF uploaded before (PUT /v1/services/<name>/inf): a PnP install from it. */
  readonly infSha256?: string;
  /** The SHA-256 of the catalog its INF names, uploaded before (PUT /v1/services/<name>/catalog). */
  readonly catalogSha256?: string;
}

export function validateRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId))
    throw invalid(
      'Expected `runId`: the run whose ownership marker the service gets (1-40 letters, digits or dashes).',
    );
  return runId;
}

export function validateInstall(
  name: string,
  input: Record<string, unknown>,
  allowedDirs: readonly string[],
): InstallRequest {
  const runId = validateRunId(input.runId);
  const type = input.type ?? 'kernel';
  if (type !== 'kernel' && type !== 'filesystem')
    throw invalid(`Expected \`type\` "kernel" or "filesystem", got ${JSON.stringify(type)}.`);
  const group = input.group;
  if (group !== undefined && (typeof group !== 'string' || !GROUP_NAME.test(group))) {
    throw invalid(
      `Invalid load-order group ${JSON.stringify(group)}: 1-64 letters, digits, spaces, "_", "." or "-".`,
    );
  }
  if (input.retry !== undefined && input.retry !== false && input.retry !== 'false')
    throw invalid('Expected `retry` to be false or absent.');
  if (input.pnp !== undefined && input.pnp !== true && input.pnp !== 'true')
    throw invalid('Expected `pnp` to be true or absent.');
  const infSha256 = input.inf;
  if (
    infSha256 !== undefined &&
    (typeof infSha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(infSha256))
  )
    throw invalid(
      'Expected `inf`: the SHA-256 (64 hex digits) of the INF uploaded for this service.',
    );
  const catalogSha256 = input.catalog;
  if (
    catalogSha256 !== undefined &&
    (typeof catalogSha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(catalogSha256))
  )
    throw invalid(
      'Expected `catalog`: the SHA-256 (64 hex digits) of the catalog uploaded for this service.',
    );
  if (catalogSha256 !== undefined && infSha256 === undefined)
    throw invalid('A `catalog` goes with the team INF that names it: send `inf` too.');
  const common = {
    name,
    runId,
    type,
    group,
    ...(infSha256 !== undefined ? { infSha256: infSha256.toLowerCase() } : {}),
    ...(catalogSha256 !== undefined ? { catalogSha256: catalogSha256.toLowerCase() } : {}),
    ...(input.retry !== undefined ? { retry: false } : {}),
    ...(input.pnp !== undefined ? { pnp: true } : {}),
  } as const;
  if (input.binaryPath === undefined) return { ...common, fileName: validateFileName(input.file) };
  if (typeof input.binaryPath !== 'string')
    throw invalid('Expected `binaryPath`: the driver image path on the target.');
  const binaryPath = normaliseWindowsPath(input.binaryPath);
  if (!isPathAllowed(binaryPath, allowedDirs)) {
    throw new AgentRequestError(
      403,
      ErrorCodes.PATH_NOT_ALLOWED,
      `Refusing to load ${binaryPath}: it is outside the agent's allowed folders (${allowedDirs.join(', ')}).`,
      'Upload the image instead (RemoteTarget.install sends the file), or start the agent with --allow-dir <folder>.',
    );
  }
  return { ...common, binaryPath };
}

export function validateOperation(body: unknown): CallOptions {
  const input = body === undefined ? {} : asObject(body);
  const timeoutMs = optionalTimeout(input.timeoutMs, 'timeoutMs');
  if (input.retry !== undefined && typeof input.retry !== 'boolean')
    throw invalid('Expected `retry` to be true or false.');
  return {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(input.retry !== undefined ? { retry: input.retry } : {}),
  };
}

export function validateCycles(body: unknown): CycleOptions {
  const input = asObject(body);
  const count = input.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_CYCLES) {
    throw invalid(
      `Expected \`count\` to be a whole number of cycles from 1 to ${MAX_CYCLES}, got ${JSON.stringify(count)}.`,
    );
  }
  const startTimeoutMs = optionalTimeout(input.startTimeoutMs, 'startTimeoutMs');
  const stopTimeoutMs = optionalTimeout(input.stopTimeoutMs, 'stopTimeoutMs');
  const sampleEvery = input.sampleEvery;
  if (
    sampleEvery !== undefined &&
    (typeof sampleEvery !== 'number' || !Number.isInteger(sampleEvery) || sampleEvery < 0)
  ) {
    throw invalid(
      `Expected \`sampleEvery\` to be a whole number of cycles (0: never), got ${JSON.stringify(sampleEvery)}.`,
    );
  }
  if (input.pnp !== undefined && typeof input.pnp !== 'boolean')
    throw invalid(`Expected \`pnp\` to be true or false, got ${JSON.stringify(input.pnp)}.`);
  const strategy = input.pnpStrategy;
  if (strategy !== undefined && strategy !== 'remove-readd' && strategy !== 'disable-enable')
    throw invalid(
      `Expected \`pnpStrategy\` "remove-readd" or "disable-enable", got ${JSON.stringify(strategy)}.`,
    );
  const io = input.io === undefined ? undefined : validateIoTable(input.io);
  const barrier = input.hostBarrier;
  // Only the lab keeper's own device: the agent opens and calls it.
  if (barrier !== undefined && (typeof barrier !== 'string' || !isKeeperDevicePath(barrier)))
    throw invalid(
      `Expected \`hostBarrier\` to be a lab keeper's device (\\\\.\\drvcycle_host…), got ${JSON.stringify(barrier)}.`,
    );
  return {
    count,
    ...(io ? { io } : {}),
    ...(io && barrier !== undefined ? { hostBarrier: barrier } : {}),
    ...(input.pnp === true ? { pnp: true } : {}),
    ...(strategy !== undefined ? { pnpStrategy: strategy } : {}),
    ...(sampleEvery !== undefined
      ? { sampleEvery, sample: validateSampleRequest(input.sample) }
      : {}),
    ...(startTimeoutMs !== undefined ? { startTimeoutMs } : {}),
    ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
  };
}

/** The I/O table, checked again as the runner checked it (the same rules, src/core/io-table.ts). */
function validateIoTable(body: unknown): IoTable {
  try {
    return parseIoTable(body, '`io`');
  } catch (error) {
    if (error instanceof ConfigError) throw invalid(`${error.problem} ${error.hint ?? ''}`.trim());
    throw error;
  }
}

export function validateSampleRequest(body: unknown): SampleRequest {
  const input = body === undefined ? {} : asObject(body);
  const tags = input.tags ?? [];
  if (
    !Array.isArray(tags) ||
    tags.length > 256 ||
    !tags.every((t) => typeof t === 'string' && /^[\x20-\x7e]{4}$/.test(t))
  ) {
    throw invalid(
      'Expected `tags` to be a list of up to 256 pool tags of 4 printable characters each.',
    );
  }
  const drivers = input.verifierDrivers;
  if (
    drivers !== undefined &&
    (!Array.isArray(drivers) ||
      drivers.length > 64 ||
      !drivers.every((d) => typeof d === 'string' && FILE_NAME.test(d)))
  ) {
    throw invalid('Expected `verifierDrivers` to be a list of driver file names (mydriver.sys).');
  }
  return { tags: tags as string[], ...(drivers ? { verifierDrivers: drivers as string[] } : {}) };
}

export function validateEventWindow(params: URLSearchParams): { since: Date; until?: Date } {
  const parse = (key: string) => {
    const raw = params.get(key);
    if (raw === null) return undefined;
    const date = new Date(raw);
    if (Number.isNaN(date.getTime()))
      throw invalid(`Expected \`${key}\` to be an ISO date and time, got ${JSON.stringify(raw)}.`);
    return date;
  };
  const since = parse('since');
  if (!since) throw invalid('Expected `since`: the start of the event window (ISO date and time).');
  const until = parse('until');
  return until ? { since, until } : { since };
}
