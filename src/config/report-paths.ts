/** The files of the reports folder (DRVCYCLE_REPORTS_DIR, or `reports/` under the current folder). */
import path from 'node:path';
import { reportsDir, verdictsFile } from './environment.ts';

export const reportPaths = {
  allureResults: () => path.join(reportsDir(), 'allure-results'),
  allureReport: () => path.join(reportsDir(), 'allure-report'),
  history: () => path.join(reportsDir(), 'history', 'history.jsonl'),
  verdicts: () => verdictsFile(),
  environment: () => path.join(reportsDir(), 'environment.json'),
  certificationJson: () => path.join(reportsDir(), 'certification.json'),
  certificationMarkdown: () => path.join(reportsDir(), 'certification.md'),
  testResults: () => path.join(reportsDir(), 'test-results'),
  blobReport: () => path.join(reportsDir(), 'blob-report'),
  /** A shard's record (a run started with --shard=i/n). */
  shardRecord: () => path.join(reportsDir(), 'shard.json'),
  /** What a merge of shards found: each shard, the missing ones, tests lost or run twice. */
  mergedShards: () => path.join(reportsDir(), 'shards.json'),
};
