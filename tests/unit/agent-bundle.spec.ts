/** The agent bundle's layout, its zip round trip and its install script (the lab runs it: tests/e2e/agent.spec.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  contentHash,
  sourcesStamp,
  stageAgentBundle,
  stageAgentBundleFrom,
  zipFolder,
} from '../../src/bundle/agent-bundle.ts';
import { unzipTo } from '../../src/bundle/unzip.ts';
import { dependencyDir, PACKAGE_ROOT } from '../../src/core/paths.ts';
import { scratchDir } from './scratch.ts';

const tmp = () => scratchDir('drvcycle-bundle-');

/** A stand-in for node.exe and koffi.node: the layout and the zip do not look inside them. */
function fakeBinaries(dir: string) {
  writeFileSync(path.join(dir, 'node.exe'), 'fake node.exe');
  writeFileSync(path.join(dir, 'koffi.node'), 'fake koffi.node');
  return {
    nodeExe: path.join(dir, 'node.exe'),
    koffiDir: dependencyDir('koffi'),
    koffiNative: path.join(dir, 'koffi.node'),
  };
}

test('the bundle: node.exe, the agent in one script with its worker, koffi, the install script', async () => {
  const dir = tmp();
  const folder = await stageAgentBundle(fakeBinaries(dir), path.join(dir, 'out'));
  const zip = path.join(dir, 'agent.zip');
  await zipFolder(folder, zip);
  const files = (await unzipTo(zip, path.join(dir, 'unpacked'))).sort();
  expect(files).toEqual([
    'drvcycle-agent/README.txt',
    'drvcycle-agent/agent/agent-pool-worker.js',
    'drvcycle-agent/agent/agent.js',
    'drvcycle-agent/agent/batch-thread-worker.js',
    'drvcycle-agent/agent/node_modules/koffi/build/koffi/win32_x64/koffi.node',
    'drvcycle-agent/agent/node_modules/koffi/index.js',
    'drvcycle-agent/agent/node_modules/koffi/package.json',
    'drvcycle-agent/agent/node_modules/koffi/src/koffi/index.js',
    'drvcycle-agent/agent/node_modules/koffi/src/koffi/src/static.js',
    'drvcycle-agent/agent/package.json',
    'drvcycle-agent/install-agent.ps1',
    'drvcycle-agent/node.exe',
  ]);
  expect(contentHash(path.join(dir, 'unpacked', 'drvcycle-agent'))).toBe(contentHash(folder));
  const agent = readFileSync(path.join(folder, 'agent', 'agent.js'), 'utf8');
  // koffi stays a package (its loader finds its native module beside it); the rest is inside.
  expect(agent).toMatch(/from ["']koffi["']/);
  expect(agent).not.toMatch(/from ["']p-retry["']/);
});

test('the content hash follows the content', async () => {
  const dir = tmp();
  const inputs = fakeBinaries(dir);
  const a = contentHash(await stageAgentBundle(inputs, path.join(dir, 'a')));
  const b = contentHash(await stageAgentBundle(inputs, path.join(dir, 'b')));
  expect(a).toBe(b);
  writeFileSync(inputs.koffiNative, 'another koffi.node');
  expect(contentHash(await stageAgentBundle(inputs, path.join(dir, 'c')))).not.toBe(a);
});

test('a bundle names its sources, and their stamp follows them: a warm lab builds it only when one changed', async () => {
  const dir = tmp();
  const inputs = fakeBinaries(dir);
  const { sources } = await stageAgentBundleFrom(inputs, path.join(dir, 'a'));
  // The agent's own sources as esbuild read them, the binaries, koffi's loader, the recipe.
  for (const file of [
    path.join(PACKAGE_ROOT, 'src', 'agent', 'standalone.ts'),
    path.join(PACKAGE_ROOT, 'src', 'target', 'batch-thread-worker.ts'),
    path.join(PACKAGE_ROOT, 'src', 'bundle', 'agent-bundle.ts'),
    path.join(PACKAGE_ROOT, 'src', 'bundle', 'install-script.ts'),
    path.join(inputs.koffiDir, 'index.js'),
    inputs.nodeExe,
    inputs.koffiNative,
  ])
    expect(sources).toContain(file);
  const stamp = sourcesStamp(sources);
  expect(stamp).toMatch(/^[0-9a-f]{64}$/);
  expect(sourcesStamp(sources)).toBe(stamp);
  writeFileSync(inputs.nodeExe, 'another node.exe, same size');
  expect(sourcesStamp(sources)).not.toBe(stamp);
  expect(sourcesStamp([...sources, path.join(dir, 'gone.ts')])).toBeUndefined();
});

test('install-agent.ps1: elevated only, token and certificate once, a SYSTEM task at startup', async () => {
  const dir = tmp();
  const folder = await stageAgentBundle(fakeBinaries(dir), path.join(dir, 'out'));
  const script = readFileSync(path.join(folder, 'install-agent.ps1'), 'utf8');
  expect(script).toContain('\r\n');
  expect(script).toContain('[Security.Principal.WindowsBuiltInRole]::Administrator');
  expect(script).toContain('agent --init --token-file $token --tls-cert $cert --tls-key $key');
  expect(script).toContain('New-ScheduledTaskTrigger -AtStartup');
  expect(script).toContain(
    "New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest",
  );
  expect(script).toContain("if ($AllowRemote) { $arguments += ' --allow-remote' }");
  expect(script).toContain('DRVCYCLE_AGENT_FINGERPRINT=$fingerprint');
});

test('install-agent.ps1: the data folder is left to SYSTEM and Administrators, a planted token is refused', async () => {
  const dir = tmp();
  const folder = await stageAgentBundle(fakeBinaries(dir), path.join(dir, 'out'));
  const script = readFileSync(path.join(folder, 'install-agent.ps1'), 'utf8').replaceAll(
    '\r\n',
    '\n',
  );
  const at = (text: string) => {
    const index = script.indexOf(text);
    expect(index, text).toBeGreaterThanOrEqual(0);
    return index;
  };
  // By SID (names are localized), owner first, inheritance removed, each step's exit code checked.
  const owner = at(
    "& icacls.exe $DataDir /setowner '*S-1-5-32-544' | Out-Null\nif ($LASTEXITCODE -ne 0) { throw",
  );
  const restrict = at(
    "& icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' /grant:r '*S-1-5-32-544:(OI)(CI)F' | Out-Null\nif ($LASTEXITCODE -ne 0) { throw",
  );
  const verify = at('$problem = Get-TrustProblem $DataDir\nif ($problem) { throw');
  // Existing files are checked before --init is skipped for them; the certificate may be read.
  const checkFiles = at('foreach ($file in @($token, $cert, $key)) {');
  at('$problem = Get-TrustProblem $file -Secret:($file -ne $cert)');
  const init = at('if (-not (Test-Path $token)) {');
  const task = at('Register-ScheduledTask');
  expect(owner).toBeLessThan(restrict);
  expect(restrict).toBeLessThan(verify);
  expect(verify).toBeLessThan(checkFiles);
  expect(checkFiles).toBeLessThan(init);
  expect(init).toBeLessThan(task);
  // The check: owner SYSTEM or Administrators, no allow rule of another SID with a right that
  // changes the file (or, for a secret, reads it).
  at("$trusted = @('S-1-5-18', 'S-1-5-32-544')");
  at('$owner = $acl.GetOwner([Security.Principal.SecurityIdentifier]).Value');
  at('if ($trusted -notcontains $owner) { return');
  at('$acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])');
  const rights = /\$changeRights = (.*)\n/.exec(script)![1]!;
  const mask = rights.split(' -bor ').reduce((sum, bit) => sum | Number(bit), 0);
  // The same rights as the agent's own check (src/core/token-file.ts), plus delete-child for the folder.
  expect(mask >>> 0).toBe(
    (0x2 | 0x4 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000 | 0x40) >>> 0,
  );
  // PowerShell strings: a variable right before ":" would be read as a drive-qualified name.
  expect(script).not.toMatch(/"[^"\n]*\$[A-Za-z]+:[^"\n]*"/);
});
