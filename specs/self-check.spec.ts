import { SELF_CHECK_CASES, SELF_CHECK_IO_CASES, SPEC_TITLES, test } from '../src/index.ts';

// drvcycle's sample drivers fail in each way a driver can; every failure must be detected as
// exactly that. These verdicts name the sample drivers, never the driver under test.
test.describe(SPEC_TITLES.selfCheck, () => {
  for (const errorCase of SELF_CHECK_CASES)
    test(errorCase.title, async ({ errorPathRunner }) => {
      await errorPathRunner(errorCase);
    });
  // The I/O samples, each with its table: the verdict the cycles or leaks spec gives it.
  for (const selfCheck of SELF_CHECK_IO_CASES)
    test(selfCheck.title, async ({ ioSelfCheckRunner }) => {
      await ioSelfCheckRunner(selfCheck);
    });
});
