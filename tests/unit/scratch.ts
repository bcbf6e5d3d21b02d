/**
 * Scratch folders for the unit tests, in the system's temporary folder and deleted when the
 * worker process ends: made with mkdtemp and left, they came to ~330 folders in /tmp per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (made.length === 0)
    process.once('exit', () => {
      for (const folder of made) rmSync(folder, { recursive: true, force: true });
    });
  made.push(dir);
  return dir;
}
