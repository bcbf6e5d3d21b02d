/** Generates the Allure report (allure 3, no Java) from the run's allure-results with drvcycle's allurerc.mjs. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { dependencyDir, packagePaths } from '../core/paths.ts';
import { reportPaths } from '../config/report-paths.ts';
import { REPORTS_DIR_ENV, reportsDir } from '../config/environment.ts';
import { readShardSet, shardProblems } from './shard-record.ts';

/** The allure command line of the allure package drvcycle depends on (wherever npm put it). */
function allureCli(): string {
  const dir = dependencyDir('allure');
  const { bin } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    bin: string;
  };
  return path.resolve(dir, bin);
}

function allure(command: 'generate' | 'quality-gate', quiet: boolean) {
  const args = [allureCli(), command, '--config', packagePaths.allureConfig()];
  return runProcess(process.execPath, args, {
    timeoutMs: 600_000,
    output: quiet ? 'capture' : 'inherit',
    allowFailure: true,
    // allurerc.mjs reads the reports folder from here, wherever the command runs.
    env: { ...process.env, [REPORTS_DIR_ENV]: reportsDir() },
    errorCode: ErrorCodes.REPORT,
  });
}

export async function generateReport(options: { quiet?: boolean } = {}): Promise<string> {
  if (
    !existsSync(reportPaths.allureResults()) ||
    readdirSync(reportPaths.allureResults()).length === 0
  ) {
    throw new DrvcycleError(
      ErrorCodes.REPORT,
      `No test results in ${reportPaths.allureResults()}.`,
      {
        hint: 'Run the specs first (npm run lab, or npx playwright test --project=lab).',
      },
    );
  }
  const result = await allure('generate', options.quiet ?? false);
  if (result.code !== 0)
    throw new DrvcycleError(ErrorCodes.REPORT, `allure generate exited with code ${result.code}.`, {
      hint: `Run \`npx allure generate --config ${packagePaths.allureConfig()}\` to see its output.`,
    });
  return path.join(reportPaths.allureReport(), 'index.html');
}

/**
 * Certification: the quality gate in allurerc.mjs (every test passed), the shards of a merged run
 * (every one here, finished and passed, no test lost or run twice), and the certification
 * verdict where the run had one; non-zero when any fails.
 */
export async function qualityGate(): Promise<number> {
  const allureGate = (await allure('quality-gate', false)).code ?? 1;
  const shardSet = readShardSet(
    reportsDir(),
    'Merge the shards again: npx drvcycle report --gate <shard folders…>.',
  );
  const problems = shardSet ? shardProblems(shardSet) : [];
  for (const problem of problems) process.stdout.write(`[drvcycle] gate: ${problem}\n`);
  const gate = allureGate || (problems.length > 0 ? 1 : 0);
  const file = reportPaths.certificationJson();
  if (!existsSync(file)) return gate;
  const { verdict, certified } = JSON.parse(readFileSync(file, 'utf8')) as {
    verdict: string;
    certified: boolean;
  };
  process.stdout.write(
    `[drvcycle] certification verdict: ${verdict}${certified ? '' : ' (rehearsal, not a certification)'}\n`,
  );
  return verdict === 'pass' ? gate : gate || 1;
}
