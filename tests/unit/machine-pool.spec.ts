import { expect, test } from '@playwright/test';
import { MachinePool } from '../../src/machines/machine-pool.ts';
import { FakeMachine, fakeProvider } from './fake-machine.ts';

// The fake provider's reverts and boots take real seconds; what is asserted is which of them the
// pool waited for (a revert still under way after the pool returned), never how long anything took.

test('a pool opens once its first machine is up; the others boot in the background', async () => {
  const provider = fakeProvider();
  const pool = await MachinePool.open({ size: 3, create: provider.create });
  expect(provider.made).toHaveLength(3);
  expect(pool.current).toBe(provider.made[0]);
  expect(pool.standbyCount).toBe(2);
  await pool.release();
  expect(provider.made.every((m) => m.released)).toBe(true);
});

test('a dirty machine is swapped for a clean standby one at once and reverted in the background', async () => {
  const provider = fakeProvider();
  const lines: string[] = [];
  const pool = await MachinePool.open({
    size: 2,
    create: provider.create,
    log: (l) => lines.push(l),
  });
  const [first, second] = provider.made as [FakeMachine, FakeMachine];
  expect(pool.target().runId).toBe('run-of-fake machine 0.0');
  await pool.recover('hang verdict');
  // The swap waited for the standby machine's boot, never for the dirty one's revert.
  expect(pool.current).toBe(second);
  expect(first.reverting).toBe(true);
  expect(first.recovers).toEqual(['hang verdict']);
  expect(pool.target().runId).toBe('run-of-fake machine 1.1');
  expect(await pool.healthy()).toBe(true);
  expect(lines).toEqual(['fake machine 1.1 swapped in for fake machine 0.0']);
  // The next dirty test gets the first machine back once its revert is done.
  await pool.revert();
  expect(pool.current).toBe(first);
  expect(first.reverts).toBe(1);
  expect(second.reverting).toBe(true);
  expect(pool.swaps).toBe(2);
  // Released meanwhile: the revert no test will use is cut short, not waited for.
  await pool.release();
  expect(second.revertsCut).toBe(1);
  expect(second.reverts).toBe(0);
  expect(first.released && second.released).toBe(true);
});

test('a provider that cannot cut a revert short has it finished before the release', async () => {
  const provider = fakeProvider();
  const pool = await MachinePool.open({ size: 2, create: provider.create });
  const [first] = provider.made as [FakeMachine, FakeMachine];
  first.cutsRevertShort = false;
  await pool.revert();
  expect(first.reverting).toBe(true);
  await pool.release();
  expect(first.reverting).toBe(false);
  expect(first.reverts).toBe(1);
  expect(first.released).toBe(true);
});

test('alone in its pool, a machine is reverted in place and the pool waits for it', async () => {
  const provider = fakeProvider();
  const pool = await MachinePool.open({ size: 1, create: provider.create });
  const only = provider.made[0]!;
  await pool.revert();
  expect(pool.current).toBe(only);
  expect(only.reverting).toBe(false);
  expect(only.reverts).toBe(1);
  expect(pool.swaps).toBe(0);
  await pool.release();
});

test('a machine that does not come back from its revert is replaced by a new one in its slot', async () => {
  const provider = fakeProvider();
  const lines: string[] = [];
  const pool = await MachinePool.open({
    size: 2,
    create: provider.create,
    log: (l) => lines.push(l),
  });
  const [first, second] = provider.made as [FakeMachine, FakeMachine];
  first.failNextRevert = true;
  await pool.revert(); // first out (its revert will fail), second in
  expect(pool.current).toBe(second);
  // Second out; first's revert fails, so it leaves the pool and a new machine boots in slot 0,
  // while second reverts: whichever is clean first serves, never the failed one.
  await pool.revert();
  expect(provider.made).toHaveLength(3);
  expect(first.released).toBe(true);
  expect(pool.current).not.toBe(first);
  await pool.revert();
  expect([second, provider.made[2]]).toContain(pool.current);
  expect(
    lines.some((l) =>
      /machine slot 0 did not come back \(fake machine 0\.0 did not come back/.test(l),
    ),
  ).toBe(true);
  await pool.release();
});

test('a pool whose machines never come back says why instead of trying forever', async () => {
  let made = 0;
  const pool = await MachinePool.open({
    size: 2,
    create: async (slot) => {
      made++;
      if (made > 1) throw new Error(`slot ${slot} cannot boot`);
      const machine = new FakeMachine('only', 50);
      machine.failNextRevert = true;
      return machine;
    },
  });
  await expect(pool.revert()).rejects.toThrow(/cannot boot|did not come back/);
  expect(made).toBeLessThanOrEqual(6);
});

test('debug marks are the serving machine’s; a machine swapped in starts its output afresh', async () => {
  const provider = fakeProvider(10);
  const pool = await MachinePool.open({ size: 2, create: provider.create });
  const [first, second] = provider.made as [FakeMachine, FakeMachine];
  first.debug = 'boot\n';
  const mark = pool.debugMark();
  first.debug += 'DbgPrint: loaded\n';
  expect(pool.debugOutput(mark)).toBe('DbgPrint: loaded\n');
  first.dirt = ['services left: dc_x (RUNNING)'];
  expect(await pool.leftovers()).toEqual(['services left: dc_x (RUNNING)']);
  await pool.revert();
  expect(pool.debugMark()).toBe(0);
  expect(await pool.leftovers()).toEqual([]);
  second.debug = 'more\n';
  expect(pool.debugOutput(0)).toBe('more\n');
  await pool.release();
});

test('standby machines can wait until the worker asks for them, or a swap needs one', async () => {
  const provider = fakeProvider(200);
  const pool = await MachinePool.open({ size: 2, create: provider.create, standbyLater: true });
  expect(provider.made).toHaveLength(1);
  expect(pool.standbyCount).toBe(0);
  pool.standBy();
  pool.standBy();
  expect(provider.made).toHaveLength(2);
  await pool.release();

  const lazy = fakeProvider(200);
  const pool2 = await MachinePool.open({ size: 2, create: lazy.create, standbyLater: true });
  await pool2.revert();
  expect(pool2.current).toBe(lazy.made[1]);
  expect(lazy.made[0]!.reverting).toBe(true);
  await pool2.release();
});

test('released before its standby machine is up, the pool cuts that boot short instead of waiting for it', async () => {
  const first = new FakeMachine('first', 10);
  const cut: number[] = [];
  const pool = await MachinePool.open({
    size: 2,
    standbyLater: true,
    create: (slot, signal) =>
      slot === 0
        ? Promise.resolve(first)
        : // A boot that would outlast the unit test's timeout, unless it is cut short.
          new Promise<FakeMachine>((resolve, reject) => {
            const timer = setTimeout(() => resolve(new FakeMachine('late', 10)), 120_000);
            signal?.addEventListener('abort', () => {
              clearTimeout(timer);
              cut.push(slot);
              reject(signal.reason as Error);
            });
          }),
  });
  // The worker's first test is done: its standby machine starts booting; then the worker ends.
  pool.standBy();
  expect(pool.standbyCount).toBe(1);
  await pool.release();
  expect(cut).toEqual([1]);
  expect(first.released).toBe(true);
});

test('a pool needs at least one machine', async () => {
  await expect(MachinePool.open({ size: 0, create: fakeProvider().create })).rejects.toThrow(
    /at least one machine, not 0/,
  );
});
