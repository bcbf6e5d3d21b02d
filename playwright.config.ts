import { defineConfig, drvcycleProjects } from './src/index.ts';

// drvcycle's own configuration uses only the public API, as a driver team's would.
export default defineConfig({
  testDir: 'specs',
  projects: [
    // The main job (npm run lab): every spec family on DRIVER, or the clean sample (the compare
    // spec skips unless BASELINE_DRIVER is set).
    { name: 'lab' },
    // npx drvcycle compare: DRIVER (the candidate) against BASELINE_DRIVER, nothing else.
    { name: 'compare', testMatch: /compare\.spec\.ts$/ },
    // dev, nightly-<service>, certify-<service> from the manifest: the sample's, or a team's in
    // DRVCYCLE_MANIFEST (the self-check spec is drvcycle's own and certifies nothing).
    ...drvcycleProjects({
      manifest: process.env.DRVCYCLE_MANIFEST ?? 'drivers/manifest.jsonl',
    }).map((project) => ({
      ...project,
      testIgnore: /self-check/,
    })),
  ],
});
