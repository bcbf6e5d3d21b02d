/**
 * The lab agent under hostile requests: each is refused with the right status, no answer carries
 * a stack trace or a source path, and nothing on the machine changes (services, driver files).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import { lab, rawAgentFetch, wineSc } from './support.ts';

test('hostile requests are refused and change nothing on the machine', async ({
  machine,
  target,
}) => {
  const agent = lab(machine);
  const token = readFileSync(path.join(agent.dir, 'agent.token'), 'utf8').trim();
  const drivers = path.join(agent.prefix, 'drive_c', 'windows', 'system32', 'drivers');
  const driversBefore = readdirSync(drivers).sort();
  const created = await wineSc(agent, [
    'create',
    'dc_foreign_hostile',
    'type=',
    'kernel',
    'binpath=',
    'C:\\windows\\system32\\drivers\\null.sys',
  ]);
  expect(created.code, created.output).toBe(0);
  const ownedBefore = await target.listOwned();

  const auth = { Authorization: `Bearer ${token}` };
  const json = { ...auth, 'Content-Type': 'application/json' };
  const clean = readFileSync(sampleDriver('clean'));
  const corpus: { what: string; path: string; init: RequestInit; status: number }[] = [
    { what: 'no token', path: '/v1/services', init: {}, status: 401 },
    {
      what: 'wrong token',
      path: '/v1/services',
      init: { headers: { Authorization: `Bearer ${'0'.repeat(64)}` } },
      status: 401,
    },
    { what: 'token in the query', path: `/v1/services?token=${token}`, init: {}, status: 401 },
    {
      what: 'malformed JSON',
      path: '/v1/services/dc_x/start',
      init: { method: 'POST', headers: json, body: '{"timeoutMs":' },
      status: 400,
    },
    {
      what: 'a JSON body over 64 KiB',
      path: '/v1/services/dc_x/start',
      init: { method: 'POST', headers: json, body: JSON.stringify({ pad: 'x'.repeat(70_000) }) },
      status: 413,
    },
    {
      what: 'bad percent-encoding',
      path: '/v1/services/%ZZ',
      init: { headers: auth },
      status: 400,
    },
    {
      // URLs normalise it away: it never reaches a service route.
      what: 'service name ".."',
      path: '/v1/services/%2E%2E/start',
      init: { method: 'POST', headers: json, body: '{}' },
      status: 404,
    },
    {
      what: 'service name with a dot',
      path: '/v1/services/a.b/start',
      init: { method: 'POST', headers: json, body: '{}' },
      status: 400,
    },
    {
      what: 'a reserved device name as the image name',
      path: '/v1/services/dc_x?runId=r1&file=aux.sys',
      init: {
        method: 'PUT',
        headers: { ...auth, 'Content-Type': 'application/octet-stream' },
        body: clean,
      },
      status: 400,
    },
    {
      what: 'an image outside the allowed folders',
      path: '/v1/services/dc_x',
      init: {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({
          runId: 'r1',
          binaryPath: 'C:\\windows\\system32\\drivers\\null.sys',
        }),
      },
      status: 403,
    },
    {
      what: 'traversal out of the staging folder',
      path: '/v1/services/dc_x',
      init: {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({
          runId: 'r1',
          binaryPath: 'C:\\drvcycle\\images\\..\\..\\windows\\system32\\drivers\\null.sys',
        }),
      },
      status: 403,
    },
    {
      what: 'a UNC path',
      path: '/v1/services/dc_x',
      init: {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ runId: 'r1', binaryPath: '\\\\evil\\share\\x.sys' }),
      },
      status: 400,
    },
    {
      what: 'a device path',
      path: '/v1/services/dc_x',
      init: {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ runId: 'r1', binaryPath: '\\\\.\\PhysicalDrive0' }),
      },
      status: 400,
    },
    {
      what: 'starting a service drvcycle did not create',
      path: '/v1/services/dc_foreign_hostile/start',
      init: { method: 'POST', headers: json, body: '{}' },
      status: 403,
    },
    {
      what: 'cycling a service drvcycle did not create',
      path: '/v1/services/dc_foreign_hostile/cycles',
      init: { method: 'POST', headers: json, body: JSON.stringify({ count: 5 }) },
      status: 200, // streamed: the refusal is the stream's error line (checked below)
    },
    {
      what: 'uninstalling a service drvcycle did not create',
      path: '/v1/services/dc_foreign_hostile/uninstall',
      init: { method: 'POST', headers: json, body: '{}' },
      status: 403,
    },
    {
      what: 'an absurd cycle count',
      path: '/v1/services/dc_x/cycles',
      init: { method: 'POST', headers: json, body: JSON.stringify({ count: 1e12 }) },
      status: 400,
    },
  ];
  for (const probe of corpus) {
    const response = await rawAgentFetch(machine, probe.path, probe.init);
    const body = await response.text();
    expect(response.status, `${probe.what}: ${body}`).toBe(probe.status);
    expect(body, probe.what).not.toMatch(/\n\s+at |\.ts:\d+|node:internal/);
    if (probe.what.startsWith('cycling')) expect(body).toContain('DRVCYCLE_FOREIGN_SERVICE');
  }

  // Links planted in the staging folder are refused by the agent's staging (tests/unit/hardening
  // .spec.ts, with real links). Wine cannot show one: it presents a Unix symlink as a plain folder
  // and has no junctions (`mklink /J` fails), so this corpus has no link probe.

  // Nothing changed: no file in system32\drivers, no service created or removed, the foreign
  // service untouched, and the token never written to the agent's log.
  expect(readdirSync(drivers).sort()).toEqual(driversBefore);
  expect(await target.listOwned()).toEqual(ownedBefore);
  expect((await target.query({ name: 'dc_foreign_hostile' })).stateName).toBe('STOPPED');
  expect(readFileSync(agent.stdoutLog, 'utf8')).not.toContain(token);
  expect((await wineSc(agent, ['delete', 'dc_foreign_hostile'])).code).toBe(0);
});

test('two batches of one driver at once: the second is refused with 409', async ({
  install,
  target,
}) => {
  const driver = await install({ file: sampleDriver('clean') }, { name: 'dc_twice' });
  const first = target.runCycles(driver, { count: 30 })[Symbol.asyncIterator]();
  await first.next();
  const second = await (async () => {
    try {
      for await (const record of target.runCycles(driver, { count: 1 })) return record;
    } catch (error) {
      return error;
    }
  })();
  expect(second).toMatchObject({ code: 'DRVCYCLE_BUSY' });
  await target.cancelCycles(driver);
  await first.return?.();
});
