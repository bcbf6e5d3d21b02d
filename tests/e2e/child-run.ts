/**
 * A drvcycle run in a child process, as a user starts one from a terminal: its own process group
 * (so a "Ctrl+C" reaches the runner and its workers together), its own reports folder and run id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';

export interface ChildRun {
  readonly process: ChildProcess;
  readonly reports: string;
  readonly runId: string;
  output(): string;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** The signal to the whole group, as a terminal's Ctrl+C (SIGINT) or a killed job (SIGKILL). */
  signal(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  verdicts(): VerdictSummary;
}

export function startRun(
  args: string[],
  options: { reports: string; runId: string; env?: Record<string, string> },
): ChildRun {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env.DRVCYCLE_RUN_ID = options.runId;
  delete env.DRVCYCLE_VERDICTS_FILE;
  env.DRVCYCLE_REPORTS_DIR = options.reports;
  const child = spawn(
    process.execPath,
    [path.join(PACKAGE_ROOT, 'node_modules/@playwright/test/cli.js'), 'test', ...args],
    { cwd: PACKAGE_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    reports: options.reports,
    runId: options.runId,
    output: () => text,
    waitFor: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`No ${pattern} in the child run's output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    signal: (signal) => process.kill(-child.pid!, signal),
    exited,
    verdicts: () =>
      JSON.parse(
        readFileSync(path.join(options.reports, 'verdicts.json'), 'utf8'),
      ) as VerdictSummary,
  };
}
