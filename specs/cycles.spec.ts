import { SPEC_TITLES, test } from '../src/index.ts';

test.describe(SPEC_TITLES.cycles, () => {
  test(SPEC_TITLES.loadUnload, async ({ cycleRunner, settings }) => {
    await cycleRunner({ family: 'cycles', count: settings.cycles });
  });

  // A group without a title, so the soak's skip is decided before its fixtures boot, install and
  // sample anything (it is off unless SOAK_SECONDS is set), and its title stays as it was.
  test.describe(() => {
    test.skip(
      ({ settings }) => settings.soakSeconds === 0,
      'Set SOAK_SECONDS (or the soakSeconds option) to run the soak.',
    );
    test(SPEC_TITLES.soak, async ({ cycleRunner, settings }) => {
      test.setTimeout((settings.soakSeconds + 300) * 1000);
      await cycleRunner({ family: 'soak', durationSeconds: settings.soakSeconds });
    });
  });
});
