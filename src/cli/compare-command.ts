/**
 * `drvcycle compare --baseline old.sys --candidate new.sys [--cycles N] [--io table.json]
 * [playwright test arguments]`: the compare project on the lab (the candidate against the last good build), the
 * Allure report, and an exit code for CI from the comparison's verdict.
 */
import { readFileSync } from 'node:fs';
import { reportPaths } from '../config/report-paths.ts';
import { ensureRunId } from '../config/run-id-env.ts';
import { readIoTable } from '../config/io-settings.ts';
import { setCompareBuilds } from '../config/settings.ts';
import type { Comparison } from '../core/build-compare.ts';
import { ConfigError, DrvcycleError } from '../core/errors.ts';
import { familyOfScenario } from '../core/spec-families.ts';
import type { VerdictSummary } from '../core/verdict.ts';
import { runLabJob } from './lab-job.ts';

export const COMPARE_USAGE =
  'drvcycle compare --baseline <last-good.sys> --candidate <new.sys> [--cycles N] [--io table.json] [playwright test arguments]';

/** The exit codes: CI fails on a regression, and tells a comparison that could not be made apart. */
export const COMPARE_EXIT = { sameOrImproved: 0, regressed: 1, noComparison: 2 } as const;

export interface CompareArgs {
  readonly baseline: string;
  readonly candidate: string;
  readonly cycles?: string;
  /** The driver's I/O table (DRIVER_IO), run on both builds between each load and unload. */
  readonly io?: string;
  /** Passed on to `playwright test`. */
  readonly rest: string[];
}

export function parseCompareArgs(args: readonly string[]): CompareArgs {
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--baseline' || flag === '--candidate' || flag === '--cycles' || flag === '--io') {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || value.startsWith('--'))
        throw new ConfigError(`${flag} needs a value.`, `Usage: ${COMPARE_USAGE}`);
      values[flag.slice(2)] = value;
    } else rest.push(arg);
  }
  if (!values.baseline || !values.candidate)
    throw new ConfigError(
      `drvcycle compare needs both builds: ${!values.baseline ? '--baseline' : '--candidate'} is missing.`,
      `Usage: ${COMPARE_USAGE}`,
    );
  if (rest.some((arg) => arg.startsWith('--project')))
    throw new ConfigError(
      'drvcycle compare runs the compare project; it takes no --project.',
      'Run npx playwright test --project=<yours> with BASELINE_DRIVER set to compare in a project of your own.',
    );
  return {
    baseline: values.baseline,
    candidate: values.candidate,
    ...(values.cycles !== undefined ? { cycles: values.cycles } : {}),
    ...(values.io !== undefined ? { io: values.io } : {}),
    rest,
  };
}

/**
 * The exit code from this run's compare verdicts: 1 when the candidate regressed or failed a
 * cycle itself (a driver verdict), 0 when every comparison was the same or improved, 2 when no
 * comparison could be made (the lab or drvcycle failed, the baseline failed, or none ran).
 */
export function compareExitCode(summary: VerdictSummary | undefined, runId: string): number {
  const verdicts = (summary?.runId === runId ? summary.verdicts : []).filter(
    (v) => familyOfScenario(v.scenario)?.id === 'compare' && v.status !== 'skipped',
  );
  if (verdicts.length === 0) return COMPARE_EXIT.noComparison;
  if (verdicts.some((v) => v.kind !== 'pass' && v.kind !== 'environment' && v.kind !== 'error'))
    return COMPARE_EXIT.regressed;
  if (verdicts.some((v) => v.kind !== 'pass')) return COMPARE_EXIT.noComparison;
  return COMPARE_EXIT.sameOrImproved;
}

function readSummary(): VerdictSummary | undefined {
  try {
    return JSON.parse(readFileSync(reportPaths.verdicts(), 'utf8')) as VerdictSummary;
  } catch {
    return undefined;
  }
}

export async function compareCommand(args: string[]): Promise<number> {
  let parsed: CompareArgs;
  try {
    parsed = parseCompareArgs(args);
    // A table that is not one stops here, before any machine boots, as no comparison.
    if (parsed.io !== undefined) readIoTable(parsed.io, `--io ${parsed.io}`);
  } catch (error) {
    // Bad arguments are no regression: CI must not read them as one.
    if (!(error instanceof DrvcycleError)) throw error;
    process.stderr.write(`drvcycle: ${error.message}\n`);
    return COMPARE_EXIT.noComparison;
  }
  const runId = ensureRunId();
  // The runner and its workers resolve (and check) both images from these.
  setCompareBuilds(parsed);
  try {
    await runLabJob(['--project=compare', ...parsed.rest]);
  } catch (error) {
    // The run could not be made (its reports folder busy with another run, the lab's set-up
    // failed): no comparison, never exit 1, which CI reads as a regression.
    if (!(error instanceof DrvcycleError)) throw error;
    process.stderr.write(`drvcycle: ${error.message}\n`);
    process.stdout.write(
      `[drvcycle] compare: no comparison (the run could not start: not a regression) (exit ${COMPARE_EXIT.noComparison})\n`,
    );
    return COMPARE_EXIT.noComparison;
  }
  const summary = readSummary();
  const code = compareExitCode(summary, runId);
  const comparisons = (summary?.verdicts ?? [])
    .map((v) => v.evidence.comparison as Comparison | undefined)
    .filter((c) => c !== undefined);
  const verdict =
    code === COMPARE_EXIT.regressed
      ? 'regressed'
      : code === COMPARE_EXIT.noComparison
        ? 'no comparison (see the verdict above: not a regression)'
        : comparisons.map((c) => c.verdict).join(', ');
  process.stdout.write(`[drvcycle] compare: ${verdict} (exit ${code})\n`);
  return code;
}
