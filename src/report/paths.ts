/** Where a run writes its reports: reports/ in the project, or DRVCYCLE_REPORTS_DIR. */
import path from 'node:path';
import { PROJECT_ROOT } from '../lab/paths.ts';

export function reportsDir(): string {
  return path.resolve(PROJECT_ROOT, process.env.DRVCYCLE_REPORTS_DIR ?? 'reports');
}

export const reportPaths = {
  allureResults: () => path.join(reportsDir(), 'allure-results'),
  allureReport: () => path.join(reportsDir(), 'allure-report'),
  history: () => path.join(reportsDir(), 'history', 'history.jsonl'),
  verdicts: () =>
    path.resolve(process.env.DRVCYCLE_VERDICTS_FILE ?? path.join(reportsDir(), 'verdicts.json')),
  environment: () => path.join(reportsDir(), 'environment.json'),
  testResults: () => path.join(reportsDir(), 'test-results'),
};
