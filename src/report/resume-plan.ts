/**
 * What `drvcycle resume` does for an interrupted run: it skips the tests that completed (any
 * verdict but an interrupted one), as a Playwright test list (`[project] › file › title › path`)
 * to pass with --test-list-invert; everything else, the tests that never ran, never finished or
 * were interrupted, runs again under the same run id, so the verdicts and the report are one
 * run's. It restores the settings the run started with (reports/run.json) that the resume does
 * not give itself, and its `playwright test` arguments when the resume gives none.
 */
import type { VerdictSummary } from '../core/verdict.ts';
import type { RunRecord } from './run-record.ts';

export function completedTestList(
  summary: Pick<VerdictSummary, 'verdicts'> & Partial<VerdictSummary>,
): string {
  const lines = ['# completed in the first part of the run; drvcycle resume skips them'];
  for (const v of summary.verdicts) {
    if (v.status === 'interrupted' || !v.file) continue;
    lines.push([`[${v.project}]`, v.file, ...v.test.split(' › ')].join(' › '));
  }
  return `${lines.join('\n')}\n`;
}

export interface RestoredSettings {
  /** The variables to set for the resumed run. */
  readonly env: Record<string, string>;
  /** `NAME=value` of each setting restored from the first part. */
  readonly restored: string[];
  /** Each setting given now with another value than the first part's, which wins. */
  readonly overridden: string[];
  readonly args: string[];
  readonly argsRestored: boolean;
}

/** The interrupted run's settings, except those the resume sets itself (its environment, args). */
export function restoreSettings(
  record: Pick<RunRecord, 'settings' | 'args'> | undefined,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
): RestoredSettings {
  const restoredEnv: Record<string, string> = {};
  const restored: string[] = [];
  const overridden: string[] = [];
  for (const [name, value] of Object.entries(record?.settings ?? {})) {
    const given = env[name];
    if (given === undefined || given === '') {
      restoredEnv[name] = value;
      restored.push(`${name}=${value}`);
    } else if (given !== value) overridden.push(`${name}=${given} (the first part had ${value})`);
  }
  const argsRestored = args.length === 0 && (record?.args.length ?? 0) > 0;
  return {
    env: restoredEnv,
    restored,
    overridden,
    args: argsRestored ? [...record!.args] : [...args],
    argsRestored,
  };
}
