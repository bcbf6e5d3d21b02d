/**
 * A JSON file of a reports folder (verdicts.json, environment.json, certification.json, run.json)
 * read as an input that may be damaged or hostile: never through a link, never past a size bound,
 * and a file that is no JSON is a ConfigError that names it, not a stack.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';

/** The largest JSON file drvcycle reads from a reports folder: far above a real run's. */
export const MAX_REPORT_JSON_BYTES = 128 * 2 ** 20;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The file's value, or undefined when it does not exist. `hint`: what to do about a bad file. */
export function readReportJson(
  file: string,
  hint: string,
  maxBytes = MAX_REPORT_JSON_BYTES,
): unknown {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code}.`, hint);
  }
  if (stat.isSymbolicLink())
    throw new ConfigError(
      `${file} is a symbolic link: drvcycle follows no link in a reports folder.`,
      hint,
    );
  if (!stat.isFile()) throw new ConfigError(`${file} is not a file.`, hint);
  if (stat.size > maxBytes)
    throw new ConfigError(
      `${file} is ${mib(stat.size)}, more than the ${mib(maxBytes)} drvcycle reads from a reports folder.`,
      hint,
    );
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${(error as Error).message}).`, hint);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
