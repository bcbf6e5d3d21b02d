/**
 * drvcycle's own environment variables that are not test settings (those are in settings.ts,
 * machine-settings.ts and run-id-env.ts): each name once, with a typed reader and its default.
 * Outside src/config nothing reads one of drvcycle's variables from process.env by name
 * (tests/unit/environment.spec.ts checks); docs/usage.md documents them.
 */
import os from 'node:os';
import path from 'node:path';

export const REPORTS_DIR_ENV = 'DRVCYCLE_REPORTS_DIR';
export const VERDICTS_FILE_ENV = 'DRVCYCLE_VERDICTS_FILE';
export const LAB_DIR_ENV = 'DRVCYCLE_LAB_DIR';
export const MANIFEST_ENV = 'DRVCYCLE_MANIFEST';
export const SHARD_TIMES_ENV = 'DRVCYCLE_SHARD_TIMES';
/** Set by the process holding a reports folder's run lock, for the runs it starts. */
export const LOCK_HOLDER_ENV = 'DRVCYCLE_RUN_LOCK_PID';

/** The folder a run writes its reports to: DRVCYCLE_REPORTS_DIR, or `reports/` here. */
export function reportsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env[REPORTS_DIR_ENV] ?? 'reports');
}

/** The verdicts file: DRVCYCLE_VERDICTS_FILE, or verdicts.json in the reports folder. */
export function verdictsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env[VERDICTS_FILE_ENV] ?? path.join(reportsDir(env), 'verdicts.json'));
}

/** Where the embedded lab keeps its things: DRVCYCLE_LAB_DIR, or ~/.cache/drvcycle/lab. */
export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env[LAB_DIR_ENV] ?? path.join(os.homedir(), '.cache', 'drvcycle', 'lab'));
}

/** The drivers' manifest named by DRVCYCLE_MANIFEST, if any. */
export function manifestFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[MANIFEST_ENV] || undefined;
}

/** The Allure history whose test times cut a sharded run's shards (DRVCYCLE_SHARD_TIMES), if any. */
export function shardTimesFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[SHARD_TIMES_ENV]?.trim();
  return file ? path.resolve(file) : undefined;
}

/** The pid of the process holding the run lock that started this one, if any. */
export function runLockHolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[LOCK_HOLDER_ENV] || undefined;
}

/** Marks this process (and the runs it starts) as the holder of the run lock. */
export function setRunLockHolder(pid: number, env: NodeJS.ProcessEnv = process.env): void {
  env[LOCK_HOLDER_ENV] = String(pid);
}
