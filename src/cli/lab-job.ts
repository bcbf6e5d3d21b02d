/** The main job: set up the lab, run the specs on it with Playwright Test, report. */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { generateReport } from '../report/generate.ts';
import { reportPaths } from '../core/paths.ts';
import { provisionLab } from '../lab/provision.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';

function runInherit(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: PACKAGE_ROOT });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export async function runLabJob(args: string[]): Promise<number> {
  await provisionLab();
  // Each run's report shows that run; the trend across runs lives in reports/history.
  rmSync(reportPaths.allureResults(), { recursive: true, force: true });
  const hasProject = args.some((arg) => arg.startsWith('--project'));
  const code = await runInherit('npx', [
    'playwright',
    'test',
    ...(hasProject ? [] : ['--project=lab']),
    ...args,
  ]);
  const report = await generateReport({ quiet: true });
  process.stdout.write(
    [
      '',
      `[drvcycle] Allure report: ${report}  (open it with: npx allure open ${path.relative(PACKAGE_ROOT, reportPaths.allureReport())})`,
      `[drvcycle] verdicts: ${reportPaths.verdicts()}`,
      '',
    ].join('\n'),
  );
  return code;
}
