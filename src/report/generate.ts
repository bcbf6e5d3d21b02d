/** Generates the Allure report (allure 3, no Java) from reports/allure-results with allurerc.mjs. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { reportPaths } from '../core/paths.ts';

function run(args: string[], quiet: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['allure', ...args], {
      cwd: PACKAGE_ROOT,
      stdio: quiet ? 'ignore' : 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

export async function generateReport(options: { quiet?: boolean } = {}): Promise<string> {
  if (
    !existsSync(reportPaths.allureResults()) ||
    readdirSync(reportPaths.allureResults()).length === 0
  ) {
    throw new DrvcycleError(
      ErrorCodes.CONFIG,
      `No test results in ${reportPaths.allureResults()}.`,
      { hint: 'Run the specs first (npm run lab, or npx playwright test --project=lab).' },
    );
  }
  const code = await run(['generate', '--config', 'allurerc.mjs'], options.quiet ?? false);
  if (code !== 0)
    throw new DrvcycleError(ErrorCodes.CONFIG, `allure generate exited with code ${code}.`, {
      hint: 'Run `npx allure generate --config allurerc.mjs` to see its output.',
    });
  return path.join(reportPaths.allureReport(), 'index.html');
}

/** Certification: the quality gate in allurerc.mjs (every test passed); its exit code is the verdict. */
export function qualityGate(): Promise<number> {
  return run(['quality-gate', '--config', 'allurerc.mjs'], false);
}
