/**
 * Writes reports/certification.json and certification.md at the end of a run that had certify
 * projects or compare tests, from the verdicts and the certification or comparison contexts their
 * tests attached. A run with neither leaves any earlier certification alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import type { Settings } from '../../config/settings.ts';
import { reportPaths } from '../../config/report-paths.ts';
import type { Verdict } from '../../core/verdict.ts';
import type { TargetInfo } from '../../target/types.ts';
import type { VerifierSettings } from '../../windows/nt/verifier-settings.ts';
import {
  buildCertification,
  buildComparison,
  type BuildComparison,
  certificationMarkdown,
  missingLine,
  type CertifiedTest,
  type DriverIdentity,
} from '../certification-verdict.ts';
import { atomicWrite } from '../atomic-write.ts';
import { driverFileFacts, embeddedSignature } from '../driver-file.ts';

interface Context {
  readonly target: TargetInfo;
  readonly rehearsal: string | undefined;
  readonly verifier: VerifierSettings | undefined;
  readonly settings: Settings;
  readonly required?: readonly string[];
}

/** What a compare test attaches (comparison-context.json): the two builds and the target. */
export interface ComparisonContext {
  readonly service: string;
  readonly baselineImage: string;
  readonly candidateImage: string;
  readonly target: TargetInfo | undefined;
}

function attached<T>(result: TestResult, name: string): T | undefined {
  const attachment = result.attachments.find((a) => a.name === name && a.body);
  return attachment ? (JSON.parse(attachment.body!.toString('utf8')) as T) : undefined;
}

export function identify(imagePath: string): DriverIdentity {
  const image = readFileSync(imagePath);
  const signature = embeddedSignature(image);
  return {
    file: path.basename(imagePath),
    ...driverFileFacts(image),
    signature:
      signature === 'present'
        ? 'embedded Authenticode signature present; not validated (drvcycle does not check the chain: use signtool verify /kp on Windows)'
        : signature === 'absent'
          ? 'unsigned (no embedded signature): loads only with test signing on'
          : 'not a PE image',
  };
}

export default class CertificationReporter implements Reporter {
  private readonly runId: string | undefined;
  private readonly tests = new Map<string, CertifiedTest>();
  private readonly comparisons = new Map<string, BuildComparison>();
  /** Per project, each skipped test's reason (a skipped test attaches no verdict). */
  private readonly skipped = new Map<string, Map<string, string>>();

  constructor(options: { runId?: string } = {}) {
    this.runId = options.runId;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    const project = test.parent.project()?.name ?? '';
    const title = test.titlePath().slice(3).join(' › ');
    const why = result.annotations.find((a) => a.type === 'skip' && a.description)?.description;
    if (result.status === 'skipped' && why) {
      const reasons = this.skipped.get(project) ?? new Map<string, string>();
      this.skipped.set(project, reasons.set(title, why));
    }
    const context = attached<Context>(result, 'certification-context.json');
    const verdict = attached<Verdict>(result, 'verdict.json');
    const compared = attached<ComparisonContext>(result, 'comparison-context.json');
    if (compared && verdict && result.status !== 'skipped')
      this.comparisons.set(
        test.id,
        buildComparison({
          project: test.parent.project()?.name ?? '',
          service: compared.service,
          verdict,
          baselineImage: compared.baselineImage,
          candidateImage: compared.candidateImage,
          target: compared.target,
          identify,
        }),
      );
    if (!context || !verdict) return;
    // The last attempt of a test is its result (a certify project allows none but the first).
    this.tests.set(test.id, {
      project,
      test: title,
      status: result.status,
      verdict,
      ...context,
    });
  }

  onEnd(): void {
    if (this.tests.size === 0 && this.comparisons.size === 0) return;
    const certification = buildCertification([...this.tests.values()], identify, {
      runId: this.runId,
      comparisons: [...this.comparisons.values()],
      skipped: this.skipped,
    });
    atomicWrite(reportPaths.certificationJson(), `${JSON.stringify(certification, null, 2)}\n`);
    atomicWrite(reportPaths.certificationMarkdown(), certificationMarkdown(certification));
    process.stdout.write(
      this.tests.size === 0
        ? `[drvcycle] build comparison: ${certification.verdict.toUpperCase()}: ${reportPaths.certificationMarkdown()}\n`
        : `[drvcycle] certification: ${certification.verdict.toUpperCase()}${certification.certified ? '' : ' (rehearsal on the lab, not a certification)'}: ${reportPaths.certificationMarkdown()}\n`,
    );
    for (const driver of certification.drivers)
      if (driver.missing && driver.missing.length > 0)
        process.stdout.write(
          `[drvcycle] ${driver.service}: ${missingLine(driver.missing, driver.skipped)}\n`,
        );
  }
}
