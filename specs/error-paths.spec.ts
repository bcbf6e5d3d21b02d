import { ERROR_PATH_CASES, test } from '../src/index.ts';

test.describe('error paths', () => {
  for (const errorCase of ERROR_PATH_CASES)
    test(errorCase.title, async ({ errorPathRunner }) => {
      await errorPathRunner(errorCase);
    });
});
