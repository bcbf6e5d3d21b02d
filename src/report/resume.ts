/**
 * What `drvcycle resume` skips: the tests of the interrupted run that completed (any verdict but
 * an interrupted one), as a Playwright test list (`[project] › file › title › path`) to pass
 * with --test-list-invert. Everything else, the tests that never ran, never finished or were
 * interrupted, runs again under the same run id, so the verdicts and the report are one run's.
 */
import type { VerdictSummary } from '../core/verdict.ts';

export function completedTestList(summary: VerdictSummary): string {
  const lines = ['# completed in the first part of the run; drvcycle resume skips them'];
  for (const v of summary.verdicts) {
    if (v.status === 'interrupted' || !v.file) continue;
    lines.push([`[${v.project}]`, v.file, ...v.test.split(' › ')].join(' › '));
  }
  return `${lines.join('\n')}\n`;
}
