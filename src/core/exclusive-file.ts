/**
 * Lock files held by a process: created exclusively (a hard link of a complete file, so two
 * takers started together cannot both get it and no reader sees half of it), and taken over from
 * a holder that is gone, by one taker at a time (`<file>.takeover`).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { processAlive } from './child-process.ts';

/** What every lock file holds: the holding process, on which host. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
}

/** A takeover that takes longer than this was interrupted (its taker killed). */
const TAKEOVER_MS = 10_000;
/** A lock file being written by a taker on a filesystem without hard links, for this long at most. */
const WRITING_MS = 5_000;

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function parseHolder<T extends LockHolder>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    const lock = JSON.parse(text) as T;
    return typeof lock.pid === 'number' && typeof lock.host === 'string' ? lock : undefined;
  } catch {
    return undefined;
  }
}

export function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

export const isOurs = (lock: LockHolder) => lock.pid === process.pid && lock.host === os.hostname();
export const isLive = (lock: LockHolder) => lock.host === os.hostname() && processAlive(lock.pid);

/** Creates `file` with `body` unless it exists; false when it does. */
export function createExclusive(file: string, body: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, body);
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    // No hard links here: an exclusive create, then the body (a reader may see it empty briefly).
    try {
      writeFileSync(file, body, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes a dead holder's lock, as seen (`seen`), unless another taker is at it or it changed. */
export function removeStale(file: string, seen: string | undefined): void {
  const takeover = `${file}.takeover`;
  const token = JSON.stringify({ pid: process.pid, host: os.hostname() });
  if (!createExclusive(takeover, token)) {
    const taker = parseHolder(readText(takeover));
    if ((taker && !isLive(taker)) || ageMs(takeover) > TAKEOVER_MS)
      rmSync(takeover, { force: true });
    return;
  }
  try {
    const now = readText(file);
    if (now === undefined || now === seen) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { force: true });
  }
}

/**
 * Whether a lock file seen without a holder is still being written (a taker on a filesystem
 * without hard links creates it empty, then writes it): wait, do not take it over.
 */
export function beingWritten(file: string, seen: string | undefined): boolean {
  return seen !== undefined && parseHolder(seen) === undefined && ageMs(file) < WRITING_MS;
}
