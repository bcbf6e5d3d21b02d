/**
 * A reproduction's report: repro.json (every figure and attempt), repro.md (the same for a
 * person, for a ticket), an Allure result (allure-results/, one test whose steps are the attempts)
 * and the console summary. The outcome decides the exit code of `drvcycle repro`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describeRate, type ReproFigures } from '../core/repro-stats.ts';
import type { ReproRecord } from '../core/repro-record.ts';
import type { ProbeLog } from '../core/shrink.ts';
import { atomicWrite } from './atomic-write.ts';

export type ReproOutcome = 'reproduced' | 'not-reproduced' | 'environment';

/** `drvcycle repro`'s exit codes: reproduced, not within budget, the machine failed, bad input or drvcycle. */
export const REPRO_EXIT = { reproduced: 0, 'not-reproduced': 1, environment: 2, error: 3 } as const;

export interface ReproAttemptEntry {
  readonly index: number;
  readonly cycles: number;
  readonly kind: string;
  readonly summary: string;
  readonly signature: string;
  readonly same: boolean;
  readonly ms: number;
  /** A comparison that regressed: the figure that drove it. */
  readonly drivenBy?: string | undefined;
}

export interface ReproReport {
  readonly test: string;
  readonly project: string;
  /** The failed run: its reports folder and run id. */
  readonly from: { readonly reportsDir: string; readonly runId: string | undefined };
  readonly original: {
    readonly summary: string;
    readonly signature: string;
    readonly cycle: number | undefined;
  };
  readonly record: ReproRecord;
  readonly budget: Readonly<Record<string, number>>;
  readonly stoppedBy: string;
  readonly outcome: ReproOutcome;
  readonly figures: ReproFigures;
  readonly attempts: readonly ReproAttemptEntry[];
  /** The fewest cycles from a fresh start seen to end in the same failure. */
  readonly shortest?: {
    readonly cycles: number;
    /** False when the search's budget ended before it could rule out fewer. */
    readonly complete: boolean;
    readonly repeats: number;
    readonly probes: readonly ProbeLog<number>[];
  };
  /** What was not searched, and why (a failure with no cycle, one not reproduced). */
  readonly shortestSkipped?: string;
  /** With an I/O table: the fewest of its operations (ddmin) that still fail in `cycles` cycles. */
  readonly operations?: {
    readonly all: readonly string[];
    readonly smallest: readonly string[];
    readonly cycles: number;
    readonly complete: boolean;
    readonly repeats: number;
    readonly probes: readonly ProbeLog<readonly string[]>[];
  };
  /** A comparison's reproduction: which figure drove each regression (`start latency p50 ×2`). */
  readonly regressedOn?: string;
  readonly startedAt: string;
  readonly ms: number;
}

export function outcomeOf(figures: ReproFigures): ReproOutcome {
  if (figures.failures > 0) return 'reproduced';
  // Not one attempt the driver could be judged on: the machine's failure, not a result.
  if (figures.attempts > 0 && figures.inconclusive === figures.attempts) return 'environment';
  return 'not-reproduced';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The lines the console and repro.md share. */
export function reproLines(report: ReproReport): string[] {
  const f = report.figures;
  const lines: string[] = [];
  const headline =
    report.outcome === 'reproduced'
      ? `REPRODUCED: ${plural(f.failures, 'failure')} in ${plural(f.attempts, 'attempt')}`
      : report.outcome === 'environment'
        ? `NOT JUDGED: every attempt ended in the machine's or drvcycle's failure`
        : report.stoppedBy === 'interrupted'
          ? `NOT REPRODUCED before the interrupt (${plural(f.attempts, 'whole attempt')})`
          : `NOT REPRODUCED within the budget (${report.stoppedBy})`;
  lines.push(`${headline}: ${report.original.summary.split('\n')[0]}`);
  lines.push(
    `failure rate per ${f.per}: ${describeRate(f.rate, f.per)}, Wilson ${Math.round(f.rate.confidence * 100)} % [${f.rate.low.toPrecision(3)}, ${f.rate.high.toPrecision(3)}]`,
  );
  // A comparison's attempts all run their whole length: no cycle to failure to speak of.
  if (f.cyclesToFailure && report.regressedOn === undefined) {
    const c = f.cyclesToFailure;
    lines.push(
      `cycles to failure: median ${c.median}, min ${c.min}, max ${c.max} (${plural(c.attempts, 'failure')})`,
    );
  }
  lines.push(
    `attempts: ${f.attempts} (${f.failures} same failure, ${f.otherFailures} different failure${f.otherFailures === 1 ? '' : 's'}, ${f.inconclusive} inconclusive), ${plural(f.cycles, 'cycle')}, stopped by ${report.stoppedBy}`,
  );
  if (report.regressedOn)
    lines.push(
      `regressed on: ${report.regressedOn} (${report.attempts
        .map(
          (a) =>
            `attempt ${a.index}: ${a.drivenBy ?? (a.kind === 'pass' ? 'same or improved' : a.kind)}`,
        )
        .join('; ')})`,
    );
  for (const a of report.attempts.filter((a) => a.kind !== 'pass' && !a.same))
    lines.push(`  different failure in attempt ${a.index}: ${a.summary.split('\n')[0]}`);
  if (report.shortest)
    lines.push(
      `shortest failing run: ${plural(report.shortest.cycles, 'cycle')} from a fresh start${
        report.shortest.complete
          ? report.shortest.cycles > 1
            ? ` (${report.shortest.cycles - 1} passed ${plural(report.shortest.repeats, 'time')})`
            : ''
          : ' (the search budget ended before fewer were ruled out)'
      }`,
    );
  else if (report.shortestSkipped) lines.push(`shortest failing run: ${report.shortestSkipped}`);
  const ops = report.operations;
  if (ops)
    lines.push(
      `smallest set of I/O operations that still fails: ${ops.smallest.join(', ')} (${ops.smallest.length} of ${ops.all.length}, in ${plural(ops.cycles, 'cycle')} from a fresh start${ops.complete ? '' : '; the search budget ended before it was minimal'})`,
    );
  return lines;
}

export function reproMarkdown(report: ReproReport): string {
  const r = report.record;
  const rows = report.attempts.map(
    (a) =>
      `| ${a.index} | ${a.cycles} | ${a.kind}${a.same ? ' (same)' : ''} | ${(a.ms / 1000).toFixed(1)} s | ${a.summary.split('\n')[0]!.replaceAll('|', '\\|')} |`,
  );
  return [
    `# Reproduction of ${report.test} [${report.project}]`,
    '',
    ...reproLines(report).map((l) => (l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`)),
    '',
    '## What was rerun',
    '',
    `- driver: ${r.driver.imagePath} (SHA-256 ${r.driver.sha256}), service ${r.driver.serviceName}, ${r.driver.kind}`,
    ...(r.baseline && r.compare
      ? [
          `- against baseline: ${r.baseline.imagePath} (SHA-256 ${r.baseline.sha256}), service ${r.baseline.serviceName}; ${r.compare.cycles} cycles per build in blocks of ${r.compare.blockSize}, bootstrap seed ${r.compare.seed}, alpha ${r.compare.alpha}`,
        ]
      : []),
    `- settings: ${r.settings.cycles} cycles, ${r.settings.leakCycles} leak cycles, start/stop bounds ${r.settings.startTimeoutMs}/${r.settings.stopTimeoutMs} ms, profile ${r.settings.profile ?? 'none'}`,
    `- seed: ${r.seed}`,
    `- machine: ${r.machine.provider}${r.machine.labHost ? ` (${r.machine.labHost} host)` : ''}; the failed run's: ${r.machine.name}, ${Object.entries(
      r.machine.facts,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- failed run: ${report.from.reportsDir} (run ${report.from.runId ?? 'unknown'}), at cycle ${r.cycle ?? '-'} in ${r.phase ?? '-'}`,
    '',
    '## Attempts',
    '',
    '| attempt | cycles | verdict | time | summary |',
    '| ---: | ---: | --- | ---: | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** Writes repro.json, repro.md and the Allure result into `folder`; returns the files. */
export function writeReproReport(
  folder: string,
  report: ReproReport,
): { json: string; md: string } {
  mkdirSync(folder, { recursive: true });
  const json = path.join(folder, 'repro.json');
  const md = path.join(folder, 'repro.md');
  atomicWrite(json, `${JSON.stringify(report, null, 2)}\n`);
  atomicWrite(md, reproMarkdown(report));
  writeAllureResult(path.join(folder, 'allure-results'), report);
  return { json, md };
}

const ALLURE_STATUS: Record<ReproOutcome, string> = {
  // The driver failed again: the reproduction's test fails, as the run's did.
  reproduced: 'failed',
  'not-reproduced': 'passed',
  environment: 'broken',
};

function writeAllureResult(dir: string, report: ReproReport): void {
  mkdirSync(dir, { recursive: true });
  const uuid = randomUUID();
  const attach = (name: string, body: string, type: string, ext: string) => {
    const source = `${randomUUID()}-attachment.${ext}`;
    atomicWrite(path.join(dir, source), body);
    return { name, source, type };
  };
  const start = Date.parse(report.startedAt);
  let at = start;
  const steps = report.attempts.map((a) => {
    const step = {
      name: `attempt ${a.index}: ${a.summary.split('\n')[0]}`,
      status: a.kind === 'pass' ? 'passed' : a.same ? 'failed' : 'broken',
      stage: 'finished',
      start: at,
      stop: at + a.ms,
      steps: [],
      attachments: [],
      parameters: [],
    };
    at += a.ms;
    return step;
  });
  const f = report.figures;
  const result = {
    uuid,
    historyId: `drvcycle-repro:${report.project}:${report.test}`,
    name: `repro: ${report.test}`,
    fullName: `repro › [${report.project}] ${report.test}`,
    status: ALLURE_STATUS[report.outcome],
    statusDetails: { message: reproLines(report).join('\n') },
    stage: 'finished',
    start,
    stop: start + report.ms,
    labels: [
      { name: 'epic', value: 'repro' },
      { name: 'feature', value: report.record.driver.serviceName },
      { name: 'story', value: report.test },
      { name: 'verdict', value: report.outcome },
    ],
    parameters: [
      { name: 'driver sha256', value: report.record.driver.sha256 },
      { name: 'seed', value: String(report.record.seed) },
      { name: 'attempts', value: String(f.attempts) },
      { name: 'cycles', value: String(f.cycles) },
      {
        name: `failure rate per ${f.per} (Wilson 95 %)`,
        value: `${f.rate.rate.toPrecision(3)} [${f.rate.low.toPrecision(3)}, ${f.rate.high.toPrecision(3)}]`,
      },
    ],
    steps,
    attachments: [
      attach('repro.json', JSON.stringify(report, null, 2), 'application/json', 'json'),
      attach('repro.md', reproMarkdown(report), 'text/markdown', 'md'),
    ],
  };
  atomicWrite(path.join(dir, `${uuid}-result.json`), JSON.stringify(result));
}
