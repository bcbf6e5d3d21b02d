/** Runs a hypervisor's command-line tool; a seam so the flows are testable without one. */
import { execFile } from 'node:child_process';
import { DrvcycleError, ErrorCodes } from './errors.ts';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (
  command: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<CommandResult>;

export const execRunner: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new DrvcycleError(
              ErrorCodes.LAB_MACHINE,
              `\`${command} ${args.join(' ')}\` failed: ${stderr.trim() || error.message}`,
              {
                hint: `Check that ${command} works for this user and that the VM and snapshot names are right.`,
              },
            ),
          );
        } else resolve({ stdout, stderr });
      },
    );
  });
