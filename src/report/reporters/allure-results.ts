/**
 * allure-playwright, with a full reports disk reported instead of crashing the runner. Its
 * onTestEnd writes the test's results and attachments asynchronously, and Playwright does not
 * catch a reporter's rejected promise: on ENOSPC the runner died with no summary. Here each call
 * is forwarded as is; a full disk (ENOSPC, EDQUOT) is told once per test, the Allure results
 * written so far are kept, and the run ends failed. Any other error is left as it was.
 */
import { AllureReporter } from 'allure-playwright';
import type { TestCase } from '@playwright/test/reporter';
import { isDiskFull } from '../verdict-store.ts';

type Method = (...args: unknown[]) => unknown;

export default class AllureResultsReporter {
  constructor(options: Record<string, unknown> = {}) {
    const inner = new AllureReporter(options) as unknown as Record<string | symbol, unknown>;
    const hit = new Set<string>();
    let full = false;
    const report = (error: unknown, args: unknown[]): void => {
      if (!isDiskFull(error)) throw error;
      full = true;
      const test = args.find(
        (a): a is TestCase => typeof (a as TestCase)?.titlePath === 'function',
      );
      const title = test ? test.titlePath().slice(1).join(' › ') : 'the run';
      if (hit.has(title)) return;
      hit.add(title);
      process.stderr.write(
        `[drvcycle] ERROR: the reports disk is full (${error.code}${error.path ? ` writing ${error.path}` : ''}): the Allure results of ${title} are incomplete; what was written is kept. Free space (or move the folder: DRVCYCLE_REPORTS_DIR) and run drvcycle resume.\n`,
      );
    };
    return new Proxy(inner, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (typeof value !== 'function' || property === 'version' || property === 'printsToStdio')
          return typeof value === 'function' ? (value as Method).bind(target) : value;
        return (...args: unknown[]) => {
          const end = property === 'onEnd';
          try {
            const result = (value as Method).apply(target, args);
            if (result instanceof Promise)
              return result.then(
                (r: unknown) => (end && full ? { status: 'failed' } : r),
                (error: unknown) => {
                  report(error, args);
                  return end ? { status: 'failed' } : undefined;
                },
              );
            return end && full ? { status: 'failed' } : result;
          } catch (error) {
            report(error, args);
            return end ? { status: 'failed' } : undefined;
          }
        };
      },
    }) as unknown as AllureResultsReporter;
  }
}
