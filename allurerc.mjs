// Allure 3 configuration for drvcycle's reports (npm run report; the lab job runs it at the end).
import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'allure';

// allure's quality gate collects the tests with `map.values().toArray()`, an iterator helper of
// Node 22 that Node 20 (which drvcycle supports) lacks: there the gate died with "toArray is not a
// function" on every run. The standard method, added to the iterators' prototype only where Node
// has none, before allure runs anything (it loads this file first).
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
if (typeof iteratorPrototype.toArray !== 'function')
  Object.defineProperty(iteratorPrototype, 'toArray', {
    configurable: true,
    writable: true,
    value: function toArray() {
      return [...this];
    },
  });

const VERDICTS = [
  ['leak', 'Leaks'],
  ['crash', 'Crashes'],
  ['hang', 'Hangs'],
  ['load-failure', 'Load failures'],
  ['unload-failure', 'Unload failures'],
  ['error-path-mismatch', 'Error-path mismatches'],
  ['unexpected-status', 'Unexpected I/O statuses'],
  ['regression', 'Regressions against the baseline build'],
  ['environment', 'Environment problems (the machine or the lab)'],
  ['error', 'drvcycle errors (not the driver)'],
  ['pass', 'Passed'],
];

// Facts the run wrote about the runner, the targets and the driver files (src/report/environment-reporter.ts).
const reports = process.env.DRVCYCLE_REPORTS_DIR ?? 'reports';
const environmentFile = `${reports}/environment.json`;
const variables = existsSync(environmentFile)
  ? JSON.parse(readFileSync(environmentFile, 'utf8'))
  : {};

export default defineConfig({
  name: 'drvcycle',
  output: `${reports}/allure-report`,
  resultsDir: `${reports}/allure-results`,
  // One JSON line per generated report: the trends across nightly runs.
  historyPath: `${reports}/history/history.jsonl`,
  historyLimit: 100,
  variables,
  categories: {
    rules: VERDICTS.map(([kind, name]) => ({
      id: `verdict-${kind}`,
      name,
      matchers: { labels: { verdict: kind } },
      expand: kind !== 'pass',
    })),
  },
  // Certification: `npx allure quality-gate` fails unless every test passed.
  qualityGate: {
    rules: [{ maxFailures: 0, minTestsCount: 1 }],
  },
  plugins: {
    awesome: { options: { reportName: 'drvcycle', reportLanguage: 'en' } },
  },
});
