import { DRIVER_ERROR_PATHS, SPEC_TITLES, test } from '../src/index.ts';

test.describe(SPEC_TITLES.errorPaths, () => {
  for (const errorCase of DRIVER_ERROR_PATHS)
    test(errorCase.title, async ({ errorPathRunner }) => {
      await errorPathRunner(errorCase);
    });
});
