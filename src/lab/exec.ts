/** Runs setup commands with their output in a log file (Wine's Node dies on pipes: EBADF). */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly timeoutMs: number;
  readonly cwd?: string;
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

export function run(command: string, args: readonly string[], options: RunOptions): Promise<void> {
  const fd = openSync(options.logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', fd, fd],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    const fail = (why: string) =>
      reject(
        new DrvcycleError(
          ErrorCodes.LAB_SETUP,
          `\`${command} ${args.join(' ')}\` ${why}.\nLast lines of ${options.logFile}:\n${tail(options.logFile)}`,
        ),
      );
    child.on('error', (error) => {
      clearTimeout(timer);
      closeSync(fd);
      fail(`could not start (${error.message})`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(fd);
      if (code === 0) resolve();
      else
        fail(
          signal
            ? `was killed by ${signal} (time limit ${options.timeoutMs} ms)`
            : `exited with code ${code}`,
        );
    });
  });
}

export function wineEnv(prefix: string, winedebug = '-all'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: winedebug,
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}
