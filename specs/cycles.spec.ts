import { SPEC_TITLES, test } from '../src/index.ts';

test.describe(SPEC_TITLES.cycles, () => {
  test(SPEC_TITLES.loadUnload, async ({ cycleRunner, settings }) => {
    await cycleRunner({ family: 'cycles', count: settings.cycles });
  });

  test(SPEC_TITLES.soak, async ({ cycleRunner, settings }) => {
    test.skip(
      settings.soakSeconds === 0,
      'Set SOAK_SECONDS (or the soakSeconds option) to run the soak.',
    );
    test.setTimeout((settings.soakSeconds + 300) * 1000);
    await cycleRunner({ family: 'soak', durationSeconds: settings.soakSeconds });
  });
});
