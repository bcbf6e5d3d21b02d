/**
 * Collects every test's verdict (the `verdict.json` attachment) into reports/verdicts.json,
 * rewritten after each test so a run that dies midway still leaves what it had.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { reportPaths } from './paths.ts';
import { isVerdict, summarise, type VerdictSummary } from '../verdict/verdict.ts';

export default class VerdictsReporter implements Reporter {
  private readonly file: string;
  private readonly byTest = new Map<string, VerdictSummary['verdicts'][number]>();

  constructor(options: { outputFile?: string } = {}) {
    this.file = path.resolve(
      options.outputFile ?? process.env.DRVCYCLE_VERDICTS_FILE ?? reportPaths.verdicts(),
    );
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const attachment = result.attachments.find((a) => a.name === 'verdict.json' && a.body);
    if (!attachment) return;
    const verdict: unknown = JSON.parse(attachment.body!.toString('utf8'));
    if (!isVerdict(verdict)) return;
    this.byTest.set(test.id, {
      ...verdict,
      test: test.titlePath().slice(1).join(' › '),
      project: test.parent.project()?.name ?? '',
      status: result.status,
    });
    this.write();
  }

  onEnd(): void {
    this.write();
  }

  private write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const body = JSON.stringify(
      summarise([...this.byTest.values()], process.env.DRVCYCLE_RUN_ID),
      null,
      2,
    );
    writeFileSync(`${this.file}.tmp`, body);
    renameSync(`${this.file}.tmp`, this.file);
  }
}
