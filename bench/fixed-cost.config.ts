/**
 * bench/fixed-cost.ts's per-test run: the tests of bench/fixed-cost-tests.spec.ts on the lab, in
 * one worker. (`--repeat-each` would not do: Playwright gives each repetition a worker of its own,
 * so every repetition would boot a machine.)
 */
import { defineConfig } from '../src/index.ts';

export default defineConfig({
  testDir: '.',
  testMatch: /fixed-cost-tests\.spec\.ts$/,
  projects: [{ name: 'lab' }],
});
