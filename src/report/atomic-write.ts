/** A report file written whole or not at all: a reader never sees half of it. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function atomicWrite(file: string, body: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, body);
    renameSync(tmp, file);
  } catch (error) {
    // A full disk leaves the earlier file as it was, and no half-written copy beside it.
    rmSync(tmp, { force: true });
    throw error;
  }
}
