/**
 * The driver's I/O table, resolved: DRIVER_IO (a JSON file) beats `driverUnderTest.io` in `use`
 * (a file or the table itself); a manifest line's `io` is a file beside the manifest. The table is
 * checked here, before any machine boots (src/core/io-table.ts says what it takes).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { parseIoTable, type IoTable } from '../core/io-table.ts';

export const DRIVER_IO_ENV = 'DRIVER_IO';

/** A table file is a few kilobytes of JSON; past this, the path is wrong. */
const MAX_TABLE_BYTES = 4 * 1024 * 1024;

/** What `driverUnderTest.io` takes: the path of a JSON file, or the table as an object. */
export type IoTableOption = string | Record<string, unknown>;

export function resolveIoTable(
  fromEnv: string | undefined,
  fromUse: IoTableOption | undefined,
): IoTable | undefined {
  if (fromEnv) return readIoTable(fromEnv, `${DRIVER_IO_ENV}=${fromEnv}`);
  if (fromUse === undefined) return undefined;
  if (typeof fromUse === 'string') return readIoTable(fromUse, `driverUnderTest.io (${fromUse})`);
  return parseIoTable(fromUse, 'driverUnderTest.io');
}

/** Reads and checks a table file (relative paths: from the current directory). */
export function readIoTable(file: string, source: string): IoTable {
  const full = path.resolve(file);
  let text: string;
  try {
    const info = statSync(full);
    if (!info.isFile() || info.size > MAX_TABLE_BYTES)
      throw new ConfigError(
        `${source}: ${full} is ${info.isFile() ? `${info.size} bytes, over the ${MAX_TABLE_BYTES} an I/O table may have` : 'not a file'}.`,
        "Point DRIVER_IO (or driverUnderTest.io) at your driver's I/O table, a JSON file.",
      );
    text = readFileSync(full, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `${source}: ${full} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      "Point DRIVER_IO (or driverUnderTest.io) at your driver's I/O table, a JSON file.",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${source}: ${full} is not JSON: ${(error as Error).message}.`,
      'Write the table as one JSON object (backslashes doubled: "\\\\\\\\.\\\\MyDevice").',
    );
  }
  return parseIoTable(json, source);
}
