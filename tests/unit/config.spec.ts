import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { agentsFromEnv } from '../../src/config/machine-settings.ts';
import {
  assertCanInstall,
  installCommand,
  LAB_PACKAGES,
  missingPackages,
  missingPackagesSince,
} from '../../src/lab/packages.ts';
import { toWinePath } from '../../src/lab/lab-paths.ts';
import { compilerArgs } from '../../src/lab/drivers.ts';
import { scratchDir } from './scratch.ts';

test('missing Debian packages: installed as root, otherwise the exact command to run', async () => {
  expect(await missingPackages(async () => true)).toEqual([]);
  expect(await missingPackages(async (p) => p !== 'wine64')).toEqual(['wine64']);
  expect(installCommand(['wine', 'wine64'])).toBe(
    'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wine wine64',
  );
  expect(() => assertCanInstall([...LAB_PACKAGES], true, true)).not.toThrow();
  expect(() => assertCanInstall(['wine'], false, true)).toThrow(
    /sudo sh -c 'apt-get update && .* install -y --no-install-recommends wine'/,
  );
  expect(() => assertCanInstall(['wine'], true, false)).toThrow(/no apt-get/);
  expect(() => assertCanInstall([], false, false)).not.toThrow();
});

test('a warm lab asks dpkg again only once its database changed', async () => {
  const dir = scratchDir('drvcycle-dpkg-');
  const status = path.join(dir, 'status');
  const proof = path.join(dir, 'proof');
  writeFileSync(status, 'Package: wine\n');
  const asked: string[] = [];
  const installed = (missing: string[]) => async (pkg: string) => {
    asked.push(pkg);
    return !missing.includes(pkg);
  };
  // Not all installed: asked every time, nothing remembered.
  expect(await missingPackagesSince(proof, installed(['wine64']), status)).toEqual(['wine64']);
  expect(await missingPackagesSince(proof, installed(['wine64']), status)).toEqual(['wine64']);
  expect(asked).toHaveLength(2 * LAB_PACKAGES.length);
  // All installed: remembered against the database as it stands, so not asked again.
  asked.length = 0;
  expect(await missingPackagesSince(proof, installed([]), status)).toEqual([]);
  expect(await missingPackagesSince(proof, installed(['wine64']), status)).toEqual([]);
  expect(asked).toHaveLength(LAB_PACKAGES.length);
  // A package removed (dpkg rewrote its database): asked again.
  writeFileSync(status, 'Package: wine\nPackage: gone\n');
  expect(await missingPackagesSince(proof, installed(['wine64']), status)).toEqual(['wine64']);
  expect(asked).toHaveLength(2 * LAB_PACKAGES.length);
});

test("Linux paths map to Wine's Z: drive", () => {
  expect(toWinePath('/work/main/bin/drvcycle.js')).toBe('Z:\\work\\main\\bin\\drvcycle.js');
});

test('sample drivers are built as native-subsystem images entered at DriverEntry', () => {
  const args = compilerArgs('a.c', 'a.sys', '/ddk');
  expect(args).toEqual(
    expect.arrayContaining([
      '-Wl,--subsystem,native',
      '-Wl,--entry,DriverEntry',
      '-I/ddk',
      '-lntoskrnl',
      '-Werror',
    ]),
  );
});

test('an existing agent needs URLs and a readable token file', () => {
  const dir = scratchDir('drvcycle-');
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 't'.repeat(40) + '\n');
  expect(
    agentsFromEnv({
      DRVCYCLE_AGENTS: 'http://10.1.1.1:8765, http://10.1.1.2:8765',
      DRVCYCLE_AGENT_TOKEN_FILE: tokenFile,
    }),
  ).toEqual({
    urls: ['http://10.1.1.1:8765', 'http://10.1.1.2:8765'],
    token: 't'.repeat(40),
  });
  expect(() => agentsFromEnv({})).toThrow(/needs DRVCYCLE_AGENTS/);
  expect(() => agentsFromEnv({ DRVCYCLE_AGENTS: 'ftp://x' })).toThrow(/invalid URL: ftp:\/\/x/);
  expect(() => agentsFromEnv({ DRVCYCLE_AGENTS: 'http://x:1' })).toThrow(
    /needs DRVCYCLE_AGENT_TOKEN_FILE/,
  );
  expect(() =>
    agentsFromEnv({
      DRVCYCLE_AGENTS: 'http://x:1',
      DRVCYCLE_AGENT_TOKEN_FILE: path.join(dir, 'none'),
    }),
  ).toThrow(/ENOENT/);
});

test('a pool of agents kept in a file: one URL per line, comments allowed', () => {
  const dir = scratchDir('drvcycle-');
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 't'.repeat(40));
  const pool = path.join(dir, 'agents.txt');
  writeFileSync(
    pool,
    '# the nightly VMs\nhttps://10.1.1.1:8765\n\nhttps://10.1.1.2:8765  # spare\r\n',
  );
  expect(
    agentsFromEnv({ DRVCYCLE_AGENTS_FILE: pool, DRVCYCLE_AGENT_TOKEN_FILE: tokenFile }).urls,
  ).toEqual(['https://10.1.1.1:8765', 'https://10.1.1.2:8765']);
  expect(() =>
    agentsFromEnv({ DRVCYCLE_AGENTS_FILE: pool, DRVCYCLE_AGENTS: 'http://x:1' }),
  ).toThrow(/Both DRVCYCLE_AGENTS and DRVCYCLE_AGENTS_FILE are set/);
  expect(() => agentsFromEnv({ DRVCYCLE_AGENTS_FILE: path.join(dir, 'none') })).toThrow(
    /Cannot read DRVCYCLE_AGENTS_FILE .*ENOENT/,
  );
});

test('a pinned agent certificate: a SHA-256 fingerprint, in any usual spelling, for https URLs only', () => {
  const dir = scratchDir('drvcycle-');
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, 't'.repeat(40));
  const hex = 'ab'.repeat(32);
  const canonical = 'AB:'.repeat(31) + 'AB';
  const env = (url: string, fingerprint: string) => ({
    DRVCYCLE_AGENTS: url,
    DRVCYCLE_AGENT_TOKEN_FILE: tokenFile,
    DRVCYCLE_AGENT_FINGERPRINT: fingerprint,
  });
  for (const spelling of [hex, canonical, `sha256:${hex}`, `SHA256/${canonical.toLowerCase()}`])
    expect(agentsFromEnv(env('https://10.1.1.1:8765', spelling)).fingerprint).toBe(canonical);
  expect(() => agentsFromEnv(env('https://10.1.1.1:8765', hex.slice(2)))).toThrow(
    /is not a SHA-256 fingerprint/,
  );
  expect(() => agentsFromEnv(env('https://a:1,http://b:1', hex))).toThrow(
    /but http:\/\/b:1 is not https/,
  );
  expect(agentsFromEnv(env('https://a:1', '')).fingerprint).toBeUndefined();
});
