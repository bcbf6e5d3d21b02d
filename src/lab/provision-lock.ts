/**
 * One provisioning of the lab at a time: two runs started together on a fresh machine (or after
 * an update) would otherwise install packages, make the base prefix and build the drivers over
 * each other, one deleting what the other is making. The second waits, saying for whom, and
 * takes a lock whose holder is gone (a killed set-up).
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  beingWritten,
  createExclusive,
  isLive,
  isOurs,
  parseHolder,
  readText,
  removeStale,
  type LockHolder,
} from '../core/exclusive-file.ts';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import type { Log } from './progress-log.ts';

interface ProvisionLock extends LockHolder {
  readonly startedAt: string;
}

const POLL_MS = 200;
/** Longer than a whole provisioning may take (apt's bound alone is 20 minutes). */
export const PROVISION_WAIT_MS = 40 * 60_000;

export function provisionLockFile(root: string): string {
  return path.join(root, '.provision.lock');
}

/** Runs `work` holding the lab's provisioning lock, waiting for another holder first. */
export async function withProvisionLock<T>(
  root: string,
  log: Log,
  work: () => Promise<T>,
  waitMs = PROVISION_WAIT_MS,
): Promise<T> {
  const file = provisionLockFile(root);
  const body = JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
  } satisfies ProvisionLock);
  const deadline = Date.now() + waitMs;
  let told: number | undefined;
  for (;;) {
    if (createExclusive(file, body)) break;
    const seen = readText(file);
    const holder = parseHolder<ProvisionLock>(seen);
    if (holder && isOurs(holder)) break;
    if (holder && isLive(holder)) {
      if (told !== holder.pid) {
        log(
          `  waiting for drvcycle process ${holder.pid}, which is setting up this lab since ${holder.startedAt}`,
        );
        told = holder.pid;
      }
      if (Date.now() > deadline)
        throw new DrvcycleError(
          ErrorCodes.LAB_SETUP,
          `Process ${holder.pid} has been setting up the lab in ${root} for longer than ${waitMs >= 60_000 ? `${Math.round(waitMs / 60_000)} minutes` : `${waitMs / 1000} s`}.`,
          {
            hint: `See what it is doing (its progress in ${path.join(root, 'provision.log')}); if it is stuck, end it and start again.`,
          },
        );
      await sleep(POLL_MS);
      continue;
    }
    if (beingWritten(file, seen)) {
      await sleep(10);
      continue;
    }
    removeStale(file, seen);
  }
  const release = () => {
    const current = parseHolder<ProvisionLock>(readText(file));
    if (current && isOurs(current)) rmSync(file, { force: true });
  };
  process.once('exit', release);
  try {
    return await work();
  } finally {
    process.off('exit', release);
    release();
  }
}
