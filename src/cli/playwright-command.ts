/**
 * `playwright …` as the project's own Playwright CLI run by this Node: `npx playwright` spent
 * ~0.4 s finding it (npm's own start-up) at every lab job, resume and merge. Falls back to npx
 * when the working directory's project has no @playwright/test to resolve.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export interface Command {
  readonly command: string;
  readonly args: string[];
}

export function playwrightCommand(args: readonly string[], cwd = process.cwd()): Command {
  try {
    const cli = createRequire(path.join(cwd, 'package.json')).resolve('@playwright/test/cli');
    return { command: process.execPath, args: [cli, ...args] };
  } catch {
    return { command: 'npx', args: ['playwright', ...args] };
  }
}
