import { DRIVER_ERROR_PATHS, test } from '../src/index.ts';

test.describe('error paths', () => {
  for (const errorCase of DRIVER_ERROR_PATHS)
    test(errorCase.title, async ({ errorPathRunner }) => {
      await errorPathRunner(errorCase);
    });
});
