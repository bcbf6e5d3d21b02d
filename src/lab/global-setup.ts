/** Playwright globalSetup for the lab: provision it (idempotent) before any worker boots a machine. */
import { provisionLab } from './provision.ts';

export default async function globalSetup(): Promise<void> {
  if ((process.env.DRVCYCLE_MACHINE ?? 'lab') === 'lab') await provisionLab();
}
