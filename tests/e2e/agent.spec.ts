import { expect, test } from '../../fixtures/index.ts';
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
