import { testLeftovers } from '../../src/machines/machine.ts';
import { expect, test } from '../../fixtures/index.ts';
import { ForeignServiceError } from '../../src/core/errors.ts';
import { lab, refTo, sample, wineSc } from './support.ts';

const IMAGE = 'C:\\windows\\system32\\drivers\\null.sys';

test('refuses to create over, stop, change or delete a service drvcycle does not own', async ({
  machine,
  target,
}) => {
  const created = await wineSc(lab(machine), [
    'create',
    'dc_foreign',
    'type=',
    'kernel',
    'binpath=',
    IMAGE,
  ]);
  expect(created.code, created.output).toBe(0);
  const foreign = refTo('dc_foreign');

  // Each refusal is caught as it comes (they run at once): none is left unhandled meanwhile.
  const caught = (attempt: Promise<unknown>) => attempt.catch((e: unknown) => e);
  const attempts = {
    create: caught(
      target.install({ binaryPath: 'C:\\drvcycle\\images\\x.sys' }, { name: 'dc_foreign' }),
    ),
    stop: caught(target.stop(foreign)),
    delete: caught(target.markForDelete(foreign)),
    remove: caught(target.uninstall(foreign)),
  };
  for (const [action, attempt] of Object.entries(attempts)) {
    const error = await attempt;
    expect(error, action).toBeInstanceOf(ForeignServiceError);
    expect((error as Error).message, action).toMatch(
      /^Refusing to (create over|stop|delete) service "dc_foreign": drvcycle did not create it/,
    );
  }
  // Still there, untouched.
  expect((await target.query(foreign)).stateName).toBe('STOPPED');
  expect((await wineSc(lab(machine), ['delete', 'dc_foreign'])).code).toBe(0);
});

test('stale cleanup removes only services owned by earlier runs', async ({
  machine,
  target,
  install,
}) => {
  const stale = await wineSc(lab(machine), [
    'create',
    'dc_stale',
    'type=',
    'kernel',
    'binpath=',
    IMAGE,
    'displayname=',
    'dc_stale (drvcycle:run=20250101T000000-abcdef)',
  ]);
  expect(stale.code, stale.output).toBe(0);
  expect(
    (await wineSc(lab(machine), ['create', 'dc_foreign2', 'type=', 'kernel', 'binpath=', IMAGE]))
      .code,
  ).toBe(0);
  const current = await install(...sample('clean'));

  expect(
    testLeftovers(await target.listOwned())
      .map((s) => s.name)
      .sort(),
  ).toEqual(['dc_clean', 'dc_stale']);
  const cleanup = await target.cleanupStale();
  expect(cleanup).toEqual({ removed: ['dc_stale'], failed: [] });

  expect(testLeftovers(await target.listOwned()).map((s) => s.name)).toEqual([current.name]);
  expect((await target.query(refTo('dc_foreign2'))).stateName).toBe('STOPPED');
  await expect(target.query(refTo('dc_stale'))).rejects.toMatchObject({ win32Code: 1060 });
  expect((await wineSc(lab(machine), ['delete', 'dc_foreign2'])).code).toBe(0);
});
