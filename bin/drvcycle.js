#!/usr/bin/env node
// In a checkout the command runs the TypeScript sources: Node ≥ 22.18 strips types itself (that
// is how the agent runs under the Windows Node in the lab), older Node (the Linux host's 20) goes
// through tsx. An installed package has only its JavaScript build, dist/.
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
if (fromSources && !process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import(fromSources ? '../src/cli/main.ts' : '../dist/src/cli/main.js');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
