/**
 * Rebuilds reports/verdicts.json at the end of the run from the verdict files the tests wrote
 * (see verdict-store.ts), so the summary is complete even if two workers raced on it. defineConfig
 * gives it the run's id.
 */
import type { Reporter } from '@playwright/test/reporter';
import { reportPaths } from '../../config/report-paths.ts';
import { rebuildSummary } from '../verdict-store.ts';

export default class VerdictsReporter implements Reporter {
  private readonly runId: string | undefined;

  constructor(options: { runId?: string } = {}) {
    this.runId = options.runId;
  }

  onEnd(): void {
    if (this.runId) rebuildSummary(reportPaths.verdicts(), this.runId);
  }
}
