/**
 * Prints, at the end of a run, one line per test with its outcome and cycle figures (from the
 * `cycle-summary.json` attachment the cycle specs add), then the totals.
 */
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { comparisonHeadline, type Comparison } from '../../core/build-compare.ts';
import { reportsDir } from '../../config/environment.ts';

interface CycleSummary {
  driver: string;
  /** The cycles asked for; absent for a run bound by time (a soak). */
  requested?: number;
  completed: number;
  start: { p50: number; p95: number; max: number };
  stop: { p50: number; p95: number; max: number };
}

interface Row {
  title: string;
  status: TestResult['status'];
  summary: CycleSummary | undefined;
  /** The compare spec's comparison: its verdict and the figure that drove it. */
  comparison?: Comparison | undefined;
  error: string | undefined;
  /** The test's verdict carries a repro record (a failure drvcycle repro can rerun). */
  reproducible?: boolean;
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)}` : '-');

export function formatRow(row: Row): string {
  const head = `${row.status === 'passed' ? 'PASS' : row.status.toUpperCase()}  ${row.title}`;
  const s = row.summary;
  // A failing comparison's verdict line below says it all; a passing one says it here.
  const figures = row.comparison
    ? row.error
      ? `  ${row.comparison.verdict}`
      : `  ${comparisonHeadline(row.comparison)}`
    : s
      ? `  ${s.driver}: ${s.completed}${s.requested !== undefined ? `/${s.requested}` : ''} cycles, start p50 ${ms(s.start.p50)} / p95 ${ms(s.start.p95)} ms, stop p50 ${ms(s.stop.p50)} / p95 ${ms(s.stop.p95)} ms`
      : '';
  const error = row.error ? `\n${indent(errorExcerpt(row.error), '      ')}` : '';
  return `${head}${figures}${error}`;
}

/** Lines of a failure kept at the end of a run: enough for an assertion's expected/received diff. */
export const ERROR_LINES = 24;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * A failure as the end of a CI log shows it: colour codes gone, blank lines dropped, at most
 * ERROR_LINES lines (a verdict is one line; an assertion keeps its diff).
 */
export function errorExcerpt(message: string): string {
  const lines = message
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  if (lines.length <= ERROR_LINES) return lines.join('\n');
  return [...lines.slice(0, ERROR_LINES), `… ${lines.length - ERROR_LINES} more lines`].join('\n');
}

const indent = (text: string, prefix: string) =>
  text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');

/**
 * A driver's verdict is its one line; drvcycle's own failure (an `error` verdict, or none) shows
 * the test's error itself, so an assertion keeps its diff at the end of a CI log.
 */
function rowError(
  verdict: { kind: string; summary: string } | undefined,
  result: TestResult,
): string | undefined {
  if (verdict && verdict.kind !== 'pass' && (verdict.kind !== 'error' || !result.error))
    return verdict.summary.split('\n')[0];
  if (!result.error) return undefined;
  return withLocation(result.error.message ?? result.error.value ?? '', result.error.location);
}

function withLocation(message: string, location: { file: string; line: number } | undefined) {
  return location ? `${message}\n    at ${location.file}:${location.line}` : message;
}

export default class SummaryReporter implements Reporter {
  private readonly rows = new Map<string, Row>();

  onTestEnd(test: TestCase, result: TestResult): void {
    const json = <T>(name: string): T | undefined => {
      const attachment = result.attachments.find((a) => a.name === name && a.body);
      return attachment ? (JSON.parse(attachment.body!.toString('utf8')) as T) : undefined;
    };
    // The verdict is the one account of a test: the summary shows it, as Allure and verdicts.json do.
    const verdict = json<{ kind: string; summary: string; repro?: unknown }>('verdict.json');
    this.rows.set(test.id, {
      title: test.titlePath().slice(1).join(' › '),
      status: result.status,
      summary: json<CycleSummary>('cycle-summary.json'),
      comparison: json<Comparison>('comparison.json'),
      error: rowError(verdict, result),
      // An interrupted test has a verdict (environment) but nothing repro would rerun; a test that
      // passed with a failing verdict (a self-test expecting that failure) is no failure to rerun.
      reproducible:
        verdict?.repro !== undefined &&
        (result.status === 'failed' || result.status === 'timedOut'),
    });
  }

  onEnd(result: FullResult): void {
    const rows = [...this.rows.values()];
    const passed = rows.filter((r) => r.status === 'passed').length;
    const skipped = rows.filter((r) => r.status === 'skipped').length;
    // Passing tests without cycle figures add nothing a reader needs at the end of a run.
    const worthShowing = rows.filter(
      (r) => r.summary || r.comparison || (r.status !== 'passed' && r.status !== 'skipped'),
    );
    const reproducible = rows.filter((r) => r.reproducible);
    const lines = [
      '',
      'drvcycle summary',
      ...worthShowing.map(formatRow),
      // Before the closing count line, which CI reads as the run's last word.
      ...(reproducible.length > 0
        ? [
            `rerun a failure until it fails again: npx drvcycle repro ${reportsDir()}${reproducible.length > 1 ? ' "<test>"' : ''}`,
          ]
        : []),
      `drvcycle: ${passed} passed, ${rows.length - passed - skipped} failed, ${skipped} skipped (${result.status})`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  }
}
