/**
 * The one way drvcycle runs another program: bounded by a time limit, its output captured, sent
 * to a log file (Wine's Node dies with EBADF when its stdio is a pipe) or passed through, and a
 * failure turned into a typed error that names the command, how it ended and the end of its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { DrvcycleError, ErrorCodes, type ErrorCode } from './errors.ts';

export interface RunOptions {
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Where the output goes: kept in memory (default), appended to a log file, or the terminal. */
  readonly output?: 'capture' | 'inherit' | { readonly logFile: string };
  /** A non-zero exit is returned, not thrown. */
  readonly allowFailure?: boolean;
  /** The error code of a failure (default: DRVCYCLE_LAB_SETUP), and the next step to suggest. */
  readonly errorCode?: ErrorCode;
  readonly hint?: string;
  /**
   * The child runs in its own process group, and a SIGINT or SIGTERM this process gets is passed
   * to that whole group once: a Ctrl+C reaches the child as it would have, and this process waits
   * for it to wind down (its teardown, its results) instead of dying first.
   */
  readonly forwardSignals?: boolean;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

const FORWARDED = ['SIGINT', 'SIGTERM'] as const;

export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const output = options.output ?? 'capture';
  const logFd = typeof output === 'object' ? openSync(output.logFile, 'a') : undefined;
  const stdio =
    output === 'inherit' ? 'inherit' : logFd !== undefined ? ['ignore', logFd, logFd] : 'pipe';
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: stdio as 'pipe',
      // On Windows, no console window flashes up for a console program.
      windowsHide: true,
      ...(options.forwardSignals ? { detached: true } : {}),
    });
    const forward = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    if (options.forwardSignals) for (const signal of FORWARDED) process.on(signal, forward);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const fail = (why: string, shown: string) =>
      new DrvcycleError(
        options.errorCode ?? ErrorCodes.LAB_SETUP,
        `\`${command} ${args.join(' ')}\` ${why}.${shown ? `\n${shown}` : ''}`,
        options.hint ? { hint: options.hint } : {},
      );
    // 'close' can follow 'error' (a command that cannot start): the log file is closed once.
    let logOpen = logFd !== undefined;
    const done = () => {
      clearTimeout(timer);
      if (options.forwardSignals) for (const signal of FORWARDED) process.off(signal, forward);
      if (logOpen) closeSync(logFd!);
      logOpen = false;
    };
    child.on('error', (error) => {
      done();
      reject(fail(`could not start (${error.message})`, ''));
    });
    child.on('close', (code, signal) => {
      done();
      const result = {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (code === 0 || (options.allowFailure && !timedOut)) return resolve(result);
      const why = timedOut
        ? `did not finish within ${options.timeoutMs} ms`
        : signal
          ? `was killed by ${signal}`
          : `exited with code ${code}`;
      const shown =
        typeof output === 'object'
          ? `Last lines of ${output.logFile}:\n${tail(output.logFile)}`
          : (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-20).join('\n');
      reject(fail(why, shown));
    });
  });
}

/**
 * Starts a long-running program (a lab machine's agent) in its own process group, its output
 * appended to files, and returns at once; `process.kill(-child.pid)` ends the whole group.
 */
export function startDaemon(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; stdoutFile: string; stderrFile: string },
): ChildProcess {
  const out = openSync(options.stdoutFile, 'a');
  const err = openSync(options.stderrFile, 'a');
  try {
    const child = spawn(command, [...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', out, err],
      detached: true,
    });
    child.unref();
    return child;
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/**
 * Starts a command that may outlive this process (its output discarded, its failure ignored): work
 * nobody needs to wait for, such as deleting a folder already moved out of the way.
 */
export function startDetached(command: string, args: readonly string[]): void {
  startDetachedWithPid(command, args);
}

/** startDetached, returning the process id (undefined when it could not be started). */
export function startDetachedWithPid(command: string, args: readonly string[]): number | undefined {
  const child = spawn(command, [...args], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
  return child.pid;
}

/** Whether a process of this machine is still there (EPERM: there, but not ours to signal). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a command is on the PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  const result = await runProcess('sh', ['-c', `command -v "$1"`, 'sh', command], {
    timeoutMs: 10_000,
    allowFailure: true,
  });
  return result.code === 0;
}
