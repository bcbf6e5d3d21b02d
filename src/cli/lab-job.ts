/** The main job: set up the lab, run the specs on it with Playwright Test, report. */
import { spawn } from 'node:child_process';
import { provisionLab } from '../lab/provision.ts';
import { PROJECT_ROOT } from '../lab/paths.ts';

function runInherit(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: PROJECT_ROOT });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function runLabJob(args: string[]): Promise<number> {
  await provisionLab();
  const hasProject = args.some((arg) => arg.startsWith('--project'));
  return runInherit('npx', [
    'playwright',
    'test',
    ...(hasProject ? [] : ['--project=lab']),
    ...args,
  ]);
}
