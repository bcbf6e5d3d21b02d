import { readFileSync } from 'node:fs';
import { expect, test } from '../../fixtures/index.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { labRoot } from '../../src/lab/paths.ts';
import { processesOfPrefix } from '../../src/lab/wine-processes.ts';
import { lab } from './support.ts';

test('the agent runs under the Windows Node runtime inside Wine', async ({ target }) => {
  const info = await target.info();
  expect(info.os).toBe('Windows_NT');
  expect(info.wineVersion).toMatch(/^\d+\.\d+/);
  expect(info.agentVersion).toBe('0.1.0');
});

test('the lab agent refuses requests without the right token', async ({ machine }) => {
  for (const headers of [
    {},
    { Authorization: 'Bearer wrong-token-wrong-token-wrong-token' },
  ] as Record<string, string>[]) {
    const response = await fetch(`${lab(machine).url}/v1/services`, { headers });
    expect(response.status).toBe(401);
  }
});

test('the lab agent refuses a driver image outside its allow-list', async ({ target }) => {
  await expect(
    target.install(
      { binaryPath: 'C:\\windows\\system32\\drivers\\null.sys' },
      { name: 'dc_outside' },
    ),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_PATH_NOT_ALLOWED',
  });
  expect(await target.listOwned()).toEqual([]);
});

test('a lab machine by hand: `drvcycle lab up` prints its agent and token, `lab down` leaves nothing running', async ({}, testInfo) => {
  test.setTimeout(120_000);
  const env = { ...process.env, DRVCYCLE_LAB_DIR: labRoot() };
  const up = await runProcess(process.execPath, [packagePaths.cli(), 'lab', 'up'], {
    env,
    timeoutMs: 100_000,
  });
  const url = /lab machine up: (\S+)/.exec(up.stdout)![1]!;
  const tokenFile = /token file: +(\S+)/.exec(up.stdout)![1]!;
  const prefix = /Wine prefix: +(\S+)/.exec(up.stdout)![1]!;
  try {
    const health = await fetch(`${url}/v1/health`, {
      headers: { Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` },
    });
    expect(health.status).toBe(200);
    expect(up.stdout).toContain(`DRVCYCLE_MACHINE=existing DRVCYCLE_AGENTS=${url}`);
  } finally {
    const down = await runProcess(process.execPath, [packagePaths.cli(), 'lab', 'down'], {
      env,
      timeoutMs: 60_000,
    });
    testInfo.attach('lab-down.txt', { body: down.stdout }).catch(() => undefined);
  }
  expect(processesOfPrefix(prefix)).toEqual([]);
  await expect(fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
});
