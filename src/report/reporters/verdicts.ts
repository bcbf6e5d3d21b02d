/**
 * Rebuilds reports/verdicts.json at the end of the run from the verdict files the tests wrote
 * (see verdict/store.ts), so the summary is complete even if two workers raced on it.
 */
import type { Reporter } from '@playwright/test/reporter';
import { rebuildSummary } from '../verdict-store.ts';
import { reportPaths } from '../../core/paths.ts';

export default class VerdictsReporter implements Reporter {
  onEnd(): void {
    const runId = process.env.DRVCYCLE_RUN_ID;
    if (runId) rebuildSummary(reportPaths.verdicts(), runId);
  }
}
