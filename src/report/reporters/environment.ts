/**
 * Writes reports/environment.json at the end of a run: the runner host (systeminformation), the
 * targets' OS builds and the driver files' hashes and versions that the tests attached
 * (`environment.json` attachments), and drvcycle's version. allurerc.mjs shows them as variables.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import { DRVCYCLE_VERSION } from '../../core/version.ts';
import { reportPaths } from '../../config/report-paths.ts';

/** The runner host in one line, or nothing when systeminformation cannot tell. */
async function runnerHost(): Promise<Record<string, string>> {
  try {
    const { default: si } = await import('systeminformation');
    const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
    return {
      'runner host': `${os.hostname}: ${os.distro} ${os.release} (${os.arch}), ${cpu.manufacturer} ${cpu.brand} ×${cpu.cores}, ${(mem.total / 2 ** 30).toFixed(1)} GiB`,
    };
  } catch {
    return {};
  }
}

export default class EnvironmentReporter implements Reporter {
  private readonly facts = new Map<string, string>();
  private readonly file: string;
  /**
   * Asked once the first test has ended (0.5 s of shell commands): not beside the workers' start
   * and the first verdict, nor after the last test, while the user waits.
   */
  private host: Promise<Record<string, string>> | undefined;

  constructor(options: { outputFile?: string } = {}) {
    this.file = path.resolve(options.outputFile ?? reportPaths.environment());
  }

  onTestEnd(_test: TestCase, result: TestResult): void {
    this.host ??= runnerHost();
    const attachment = result.attachments.find((a) => a.name === 'environment.json' && a.body);
    if (!attachment) return;
    for (const [key, value] of Object.entries(
      JSON.parse(attachment.body!.toString('utf8')) as Record<string, string>,
    ))
      this.facts.set(key, value);
  }

  async onEnd(): Promise<void> {
    const runner = await (this.host ?? runnerHost());
    const all = {
      ...runner,
      'drvcycle version': DRVCYCLE_VERSION,
      ...Object.fromEntries(this.facts),
    };
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(all, null, 2));
  }
}
