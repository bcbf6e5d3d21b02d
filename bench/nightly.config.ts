/**
 * The nightly a driver team runs, for bench/scale-out.ts: the nightly projects drvcycleProjects
 * makes from the drivers manifest in DRVCYCLE_MANIFEST, every spec family but drvcycle's own
 * self-check.
 */
import { defineConfig, drvcycleProjects } from '../src/index.ts';

export default defineConfig({
  testDir: '../specs',
  testIgnore: /self-check/,
  reporter: [['dot']],
  projects: drvcycleProjects({ profiles: ['nightly'] }),
});
