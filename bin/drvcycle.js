#!/usr/bin/env node
// Runs the TypeScript sources directly: Node ≥ 22.18 strips types itself (that is how the agent
// runs under the Windows Node in the lab); older Node (the Linux host's 20) goes through tsx.
if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
