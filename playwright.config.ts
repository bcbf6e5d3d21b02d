import { defineConfig } from './src/index.ts';

// drvcycle's own configuration uses only the public API, as a driver team's would.
export default defineConfig({
  testDir: 'specs',
  projects: [{ name: 'lab' }],
});
