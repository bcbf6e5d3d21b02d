/**
 * The certification verdict of a run's certify projects: for each driver, its identity, the
 * target, Driver Verifier's state, each criterion with its requirement, what was measured and
 * whether it passed, and the overall verdict. Written as reports/certification.json and .md.
 */
import type { Settings } from '../config/settings.ts';
import { describeFigure, FIGURE_NAMES, type Comparison } from '../core/build-compare.ts';
import { leakCallSitesOf } from '../core/pool-leaks.ts';
import { familyOfScenario } from '../core/spec-families.ts';
import type { Verdict } from '../core/verdict.ts';
import type { TargetInfo } from '../target/types.ts';
import type { VerifierSettings } from '../windows/nt/verifier-settings.ts';

export interface CertifiedTest {
  readonly project: string;
  /** The test's title path: `cycles › load/unload cycles`. */
  readonly test: string;
  readonly status: string;
  readonly verdict: Verdict;
  readonly target: TargetInfo;
  readonly rehearsal: string | undefined;
  readonly verifier: VerifierSettings | undefined;
  readonly settings: Settings;
  /** Every criterion the certification of this driver requires, as test title paths. */
  readonly required?: readonly string[] | undefined;
}

export interface DriverIdentity {
  readonly file: string;
  readonly sha256: string;
  readonly version: string | null;
  readonly bytes: number;
  readonly signature: string;
}

export interface Criterion {
  readonly name: string;
  readonly requirement: string;
  readonly measured: string;
  readonly passed: boolean;
  /** A failed criterion's repro record in short: `drvcycle repro` reruns it from the run's verdicts. */
  readonly repro?: { readonly seed: number; readonly cycle?: number | undefined };
  /** A leak's call sites, one line each (the lab's exact pool trace names them). */
  readonly leakedAllocations?: readonly string[];
}

export interface DriverCertification {
  readonly project: string;
  readonly service: string;
  readonly driver: DriverIdentity;
  readonly target: string;
  readonly verifier: string;
  readonly rehearsal: string | undefined;
  readonly criteria: Criterion[];
  /** Required criteria that did not run (filtered out, skipped, in another shard): each fails it. */
  readonly missing?: readonly string[];
  /** Why a missing criterion's test was skipped, where it said (`test.skip(…, reason)`). */
  readonly skipped?: Readonly<Record<string, string>>;
  readonly verdict: 'pass' | 'fail';
}

/** A candidate build judged against its baseline (the compare spec), for the release's files. */
export interface BuildComparison {
  readonly project: string;
  readonly service: string;
  readonly baseline: DriverIdentity;
  readonly candidate: DriverIdentity;
  readonly target: string;
  /** same, improved or regressed; `no comparison` when none could be made (see the summary). */
  readonly result: Comparison['verdict'] | 'no comparison';
  /** The test's verdict summary. */
  readonly summary: string;
  readonly comparison: Comparison | undefined;
}

export interface Certification {
  readonly generatedAt: string;
  readonly runId: string | undefined;
  /** true when every driver's certification ran on Windows with Driver Verifier. */
  readonly certified: boolean;
  readonly verdict: 'pass' | 'fail';
  /** A merge of shards that is not the whole run: why (a missing shard, a lost test); it fails. */
  readonly incomplete?: readonly string[];
  readonly drivers: DriverCertification[];
  /** The run's build comparisons (the compare spec), each candidate against its baseline. */
  readonly comparisons?: BuildComparison[];
}

/**
 * A run's verdict: every driver's certification passed and no comparison regressed or failed to
 * be made (a run of comparisons alone passes when each is the same or improved).
 */
export function overallVerdict(
  drivers: readonly DriverCertification[],
  comparisons: readonly BuildComparison[],
): 'pass' | 'fail' {
  if (drivers.length === 0 && comparisons.length === 0) return 'fail';
  return drivers.every((d) => d.verdict === 'pass') &&
    comparisons.every((c) => c.result === 'same' || c.result === 'improved')
    ? 'pass'
    : 'fail';
}

/** The comparison section of a compare test: its verdict, the two builds' identities. */
export function buildComparison(input: {
  project: string;
  service: string;
  verdict: Verdict;
  baselineImage: string;
  candidateImage: string;
  target: TargetInfo | undefined;
  identify: (imagePath: string) => DriverIdentity;
}): BuildComparison {
  const comparison = input.verdict.evidence.comparison as Comparison | undefined;
  return {
    project: input.project,
    service: input.service,
    baseline: input.identify(input.baselineImage),
    candidate: input.identify(input.candidateImage),
    target: input.target ? targetLine(input.target) : 'unknown',
    result: comparison?.verdict ?? 'no comparison',
    summary: input.verdict.summary,
    comparison,
  };
}

/** What a criterion requires, in the words of the settings it ran with. */
export function requirementOf(verdict: Verdict, s: Settings): string {
  const family = familyOfScenario(verdict.scenario);
  if (!family?.certifies)
    throw new Error(
      `drvcycle: a certification counted "${verdict.scenario}", which is no certified spec family's test.`,
    );
  return family.requirement(s);
}

function verifierLine(test: CertifiedTest): string {
  const v = test.verifier;
  if (!v) return test.target.wineVersion ? 'not available (lab rehearsal)' : 'unknown';
  const enabled = Object.entries(v.options)
    .filter(([, on]) => on)
    .map(([name]) => name);
  const drivers = v.drivers === 'all' ? 'all drivers' : v.drivers.join(', ');
  return `verifies ${drivers}; enabled: ${enabled.join(', ')}`;
}

function targetLine(info: TargetInfo): string {
  return info.wineVersion
    ? `Wine ${info.wineVersion} (reports ${info.osVersion}), ${info.arch}`
    : `${info.os} ${info.osVersion}, ${info.arch} (${info.hostname})`;
}

/** The required criteria that no test of the group ran (a skipped test did not run either). */
export function missingCriteria(group: readonly CertifiedTest[]): string[] {
  const ran = new Set(group.filter((t) => t.status !== 'skipped').map((t) => t.test));
  const required = new Set(group.flatMap((t) => t.required ?? []));
  return [...required].filter((name) => !ran.has(name));
}

export function buildCertification(
  tests: readonly CertifiedTest[],
  identify: (imagePath: string) => DriverIdentity,
  options: {
    runId?: string | undefined;
    now?: Date;
    comparisons?: readonly BuildComparison[];
    /** Per project, the tests skipped with a reason: a missing criterion says why it did not run. */
    skipped?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  } = {},
): Certification {
  const comparisons = [...(options.comparisons ?? [])];
  const byProject = new Map<string, CertifiedTest[]>();
  for (const test of tests)
    byProject.set(test.project, [...(byProject.get(test.project) ?? []), test]);
  const drivers: DriverCertification[] = [];
  for (const [project, group] of byProject) {
    const first = group[0]!;
    const criteria = group
      .filter((t) => t.status !== 'skipped')
      .map((t) => {
        const leaked = t.verdict.kind === 'leak' ? leakCallSitesOf(t.verdict.evidence) : [];
        return {
          name: t.test,
          requirement: requirementOf(t.verdict, t.settings),
          measured: t.verdict.summary,
          passed: t.verdict.kind === 'pass' && (t.status === 'passed' || t.status === 'expected'),
          ...(t.verdict.repro
            ? { repro: { seed: t.verdict.repro.seed, cycle: t.verdict.repro.cycle } }
            : {}),
          ...(leaked.length > 0 ? { leakedAllocations: leaked } : {}),
        };
      });
    const missing = missingCriteria(group);
    const reasons = options.skipped?.get(project);
    drivers.push({
      project,
      service: first.settings.driver.serviceName,
      driver: identify(first.settings.driver.imagePath),
      target: targetLine(first.target),
      verifier: verifierLine(first),
      rehearsal: first.rehearsal,
      criteria,
      missing,
      ...skippedReasons(missing, (name) => reasons?.get(name)),
      verdict:
        criteria.length > 0 && missing.length === 0 && criteria.every((c) => c.passed)
          ? 'pass'
          : 'fail',
    });
  }
  return {
    generatedAt: (options.now ?? new Date()).toISOString(),
    runId: options.runId,
    certified: drivers.length > 0 && drivers.every((d) => d.rehearsal === undefined),
    verdict: overallVerdict(drivers, comparisons),
    drivers,
    ...(comparisons.length > 0 ? { comparisons } : {}),
  };
}

/** The reasons the missing criteria were skipped, where one is known: `{ skipped }`, or nothing. */
function skippedReasons(
  missing: readonly string[],
  reasonOf: (name: string) => string | undefined,
): { skipped?: Record<string, string> } {
  const skipped = Object.fromEntries(
    missing.flatMap((name) => {
      const why = reasonOf(name);
      return why ? [[name, why]] : [];
    }),
  );
  return Object.keys(skipped).length > 0 ? { skipped } : {};
}

/**
 * One driver's certifications from several shards of one run, as one: the criteria that ran in
 * any shard, and missing only what no shard ran (a shard lists the others' criteria as missing).
 */
export function combineDriverCertifications(
  drivers: readonly DriverCertification[],
): DriverCertification[] {
  const byProject = new Map<string, DriverCertification[]>();
  for (const d of drivers) byProject.set(d.project, [...(byProject.get(d.project) ?? []), d]);
  return [...byProject.values()].map((parts) => {
    const criteria = parts.flatMap((d) => d.criteria);
    const ran = new Set(criteria.map((c) => c.name));
    const missing = [...new Set(parts.flatMap((d) => d.missing ?? []))].filter(
      (name) => !ran.has(name),
    );
    const passed = criteria.length > 0 && missing.length === 0 && criteria.every((c) => c.passed);
    return {
      ...parts[0]!,
      criteria,
      missing,
      skipped: undefined,
      ...skippedReasons(missing, (name) => parts.find((d) => d.skipped?.[name])?.skipped?.[name]),
      verdict: passed ? 'pass' : 'fail',
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function certificationMarkdown(c: Certification): string {
  const comparisonsOnly = c.drivers.length === 0 && (c.comparisons?.length ?? 0) > 0;
  const lines = [
    comparisonsOnly
      ? `# Build comparison: ${c.verdict.toUpperCase()} (against the last good build; not a certification)`
      : `# Driver certification: ${c.verdict.toUpperCase()}${c.certified ? '' : ' (rehearsal, not a certification)'}`,
    '',
    `Generated ${c.generatedAt}${c.runId ? `, run ${c.runId}` : ''}.`,
    ...(c.incomplete && c.incomplete.length > 0
      ? [
          '',
          '**Incomplete run: it certifies nothing.** The drivers and criteria of what is missing are not in this file:',
          '',
          ...c.incomplete.map((line) => `- ${line}`),
        ]
      : []),
  ];
  for (const d of c.drivers) {
    lines.push(
      '',
      `## ${d.service}: ${d.verdict.toUpperCase()}`,
      '',
      `- Driver file: ${d.driver.file}, SHA-256 ${d.driver.sha256}, version ${d.driver.version ?? 'none'}, ${d.driver.bytes} bytes`,
      `- Signature: ${d.driver.signature}`,
      `- Target: ${d.target}`,
      `- Driver Verifier: ${d.verifier}`,
      ...(d.rehearsal ? [`- **Rehearsal:** ${d.rehearsal}`] : []),
      ...(d.missing && d.missing.length > 0 ? [`- **${missingLine(d.missing, d.skipped)}**`] : []),
      '',
      '| criterion | requirement | measured | result |',
      '| --- | --- | --- | --- |',
      ...d.criteria.map(
        (k) =>
          `| ${cell(k.name)} | ${cell(k.requirement)} | ${cell(k.measured)} | ${k.passed ? 'pass' : '**FAIL**'} |`,
      ),
      ...(d.missing ?? []).map(
        (name) =>
          `| ${cell(name)} | required | did not run${d.skipped?.[name] ? `: skipped, ${cell(d.skipped[name])}` : ''} | **FAIL** |`,
      ),
      ...d.criteria
        .filter((k) => !k.passed && k.repro)
        .flatMap((k) => [
          '',
          `Rerun "${k.name}" until it fails again: \`npx drvcycle repro <this run's reports folder> "[${d.project}] ${k.name}"\` (seed ${k.repro!.seed}${k.repro!.cycle !== undefined ? `, failed at cycle ${k.repro!.cycle}` : ''}).`,
        ]),
      ...d.criteria.flatMap((k) =>
        k.leakedAllocations
          ? [
              '',
              `Left allocated by ${cell(k.name)}:`,
              '',
              ...k.leakedAllocations.map((l) => `- ${l}`),
            ]
          : [],
      ),
    );
  }
  for (const k of c.comparisons ?? []) lines.push('', ...comparisonMarkdown(k));
  return `${lines.join('\n')}\n`;
}

const fixed = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(2);

function comparisonMarkdown(k: BuildComparison): string[] {
  const identity = (d: DriverIdentity) =>
    `${d.file}, SHA-256 ${d.sha256}, version ${d.version ?? 'none'}, ${d.bytes} bytes`;
  const c = k.comparison;
  return [
    `## ${k.service} against its baseline: ${k.result.toUpperCase()}`,
    '',
    `- Baseline: ${identity(k.baseline)}`,
    `- Candidate: ${identity(k.candidate)}`,
    `- Target: ${k.target}`,
    `- Verdict: ${k.summary}`,
    ...(c
      ? [
          `- Method: ${c.cycles.baseline} + ${c.cycles.candidate} cycles past the warm-up in alternating blocks of ${c.blockSize}; seeded bootstrap (seed ${c.seed}, ${c.resamples} resamples), each interval at ${(c.confidence * 100).toFixed(2)} % (alpha ${c.alpha} over the figures with an interval)`,
          '',
          '| figure | baseline | candidate | delta | interval | threshold | verdict |',
          '| --- | --- | --- | --- | --- | --- | --- |',
          ...c.figures.map((f) =>
            f.verdict === 'unavailable'
              ? `| ${cell(f.name)} | - | - | - | - | ${cell(f.threshold)} | unavailable: ${cell(f.source)} |`
              : `| ${cell(f.name)} | ${fixed(f.baseline)} ${f.unit} | ${fixed(f.candidate)} ${f.unit} | ${fixed(f.delta)} ${f.unit}${f.relative !== undefined && Number.isFinite(f.relative) ? ` (${(f.relative * 100).toFixed(0)} %)` : ''} | ${f.interval ? `[${fixed(f.interval[0])}, ${fixed(f.interval[1])}]` : 'exact'} | ${cell(f.threshold)} | ${f.verdict === 'regressed' ? '**regressed**' : f.verdict}${f.id === c.drivenBy ? ' (drove the verdict)' : ''} |`,
          ),
          '',
          ...c.figures
            .filter((f) => f.differences && f.differences.length > 0)
            .map((f) => `- ${FIGURE_NAMES[f.id]}: ${cell(describeFigure(f))}`),
        ]
      : []),
  ];
}

/** What a certification that did not run all its criteria says, in the files and on the console. */
export function missingLine(
  missing: readonly string[],
  skipped: Readonly<Record<string, string>> = {},
): string {
  // Criteria skipped for one reason (a driver that does not unload skips every case that needs it
  // unloaded) are listed together, the reason once.
  const byReason = new Map<string, string[]>();
  const named: string[] = [];
  for (const name of missing) {
    const reason = skipped[name];
    if (!reason) {
      named.push(name);
      continue;
    }
    const names = byReason.get(reason);
    if (names) names.push(name);
    else byReason.set(reason, [name]);
  }
  const unexplained = named.length;
  for (const [reason, names] of byReason) named.push(`${names.join(', ')} (skipped: ${reason})`);
  const how =
    unexplained === 0
      ? 'each skipped, for the reason given'
      : 'filtered out by -g/--grep, --grep-invert, testMatch/testIgnore, --shard, --last-failed or --only-changed, or skipped';
  return `${missing.length} required criteri${missing.length === 1 ? 'on' : 'a'} did not run (${how}): ${named.join('; ')}`;
}
