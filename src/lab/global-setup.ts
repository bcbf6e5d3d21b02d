/** Playwright globalSetup: provision the lab (idempotent) and start this run's verdict files afresh. */
import { reportPaths } from '../report/paths.ts';
import { pruneOtherRuns } from '../verdict/store.ts';
import { provisionLab } from './provision.ts';

export default async function globalSetup(): Promise<void> {
  if (process.env.DRVCYCLE_RUN_ID)
    pruneOtherRuns(reportPaths.verdicts(), process.env.DRVCYCLE_RUN_ID);
  if ((process.env.DRVCYCLE_MACHINE ?? 'lab') === 'lab') await provisionLab();
}
