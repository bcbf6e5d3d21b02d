/**
 * What a failed verdict records so `drvcycle repro` can rerun it exactly: the driver image (path
 * and SHA-256), the resolved settings that decide what the test does, drvcycle's seed, the failing
 * cycle and phase, the machine kind and its facts, and the run's own settings (machine
 * variables included). Written into the verdict (verdicts.json, verdict.json, Allure), read back
 * by the repro, which picks the verdict to rerun and says why when it cannot.
 */
import type { CompareSettings } from './build-compare.ts';
import { ConfigError } from './errors.ts';
import type { IoTable } from './io-table.ts';
import type { LeakThresholds } from './leak-decision.ts';
import type { Phase, Verdict, VerdictSummary } from './verdict.ts';

export interface ReproDriver {
  /** The image on the runner's machine, absolute. */
  readonly imagePath: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly serviceName: string;
  readonly type: string;
  readonly group: string | undefined;
  readonly kind: string;
  readonly poolTags: readonly string[];
  readonly pnpStrategy?: string | undefined;
  readonly infPath?: string | undefined;
  readonly catalogPath?: string | undefined;
  /** The I/O table the test ran between each load and unload, as resolved (its seed included). */
  readonly io?: IoTable | undefined;
}

/** A compare verdict's baseline build: the image it was judged against. */
export interface ReproBaseline {
  readonly imagePath: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly serviceName: string;
}

export interface ReproSettings {
  readonly profile: string | undefined;
  readonly cycles: number;
  readonly leakCycles: number;
  readonly soakSeconds: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly errorPathStopTimeoutMs: number;
  readonly sampleEvery: number;
  readonly leakThresholds: LeakThresholds;
}

export interface ReproMachine {
  /** lab, existing, hyperv or libvirt. */
  readonly provider: string;
  /** How the run named the machine (`lab machine 0`, the agent's URL, the VM). */
  readonly name: string;
  /** The lab's host mode (shared or own), on the lab. */
  readonly labHost?: string | undefined;
  /** The target's own facts: OS, build, Wine version, host name, agent version. */
  readonly facts: Readonly<Record<string, string | null>>;
}

export interface ReproRecord {
  readonly drvcycleVersion: string;
  /** drvcycle's run seed (DRVCYCLE_SEED): the seed of drvcycle's own random choices. */
  readonly seed: number;
  /** The spec family of the failing test (`cycles`, `leaks`, `soak`, `error-paths`…). */
  readonly family: string | undefined;
  readonly cycle: number | undefined;
  readonly phase: Phase | undefined;
  /** The driver under test (a comparison's candidate). */
  readonly driver: ReproDriver;
  /** A compare verdict: the baseline build and the comparison's settings (its bootstrap seed in them). */
  readonly baseline?: ReproBaseline | undefined;
  readonly compare?: CompareSettings | undefined;
  readonly settings: ReproSettings;
  readonly machine: ReproMachine;
  /** The run's drvcycle variables (machine kind, agents, lab host…), as run.json keeps them. */
  readonly environment: Readonly<Record<string, string>>;
  /** The runner's working directory (relative paths of the run were resolved from it). */
  readonly cwd: string;
}

export type VerdictEntry = VerdictSummary['verdicts'][number];
export type ReproducibleVerdict = VerdictEntry & { readonly repro: ReproRecord };

/** Failures keep their repro record; a pass needs none. */
export function needsRepro(verdict: Pick<Verdict, 'kind'>): boolean {
  return verdict.kind !== 'pass';
}

/**
 * What makes two failures the same: the verdict kind, its phase and its code (the Win32 code, else
 * the NTSTATUS, else drvcycle's error code or the leak's signal), and for an I/O failure the
 * operation it failed in. `load-failure/load/1450`, `crash/io/0xC0000123 …@alloc-short`.
 */
export function failureSignature(verdict: Pick<Verdict, 'kind' | 'phase' | 'evidence'>): string {
  const e = verdict.evidence;
  const code =
    e.win32Code ?? e.ntstatus ?? e.bugcheck ?? e.signal ?? e.cause ?? e.errorCode ?? undefined;
  const operation = typeof e.operation === 'string' ? `@${e.operation}` : '';
  return [
    verdict.kind,
    verdict.phase ?? '-',
    code === undefined ? '-' : `${String(code)}${operation}`,
  ].join('/');
}

/** `[lab] cycles › load/unload cycles`: how a repro names a test. */
export function testName(v: Pick<VerdictEntry, 'project' | 'test'>): string {
  return `[${v.project}] ${v.test}`;
}

const HINT_NAME =
  'Name one: npx drvcycle repro <reports folder> "<test title, or [project] title>".';

/**
 * The failed test to reproduce: the one named (its title, `[project] title`, or a unique part of
 * either), else the only failed one. A pass named, none failed, several failed with no name, or a
 * failure recorded without its repro record (an older drvcycle) is a ConfigError saying which.
 */
export function pickFailedVerdict(
  summary: Pick<VerdictSummary, 'verdicts'>,
  file: string,
  name?: string,
): ReproducibleVerdict {
  const failed = summary.verdicts.filter((v) => needsRepro(v) && v.status !== 'interrupted');
  const list = (vs: readonly VerdictEntry[]) =>
    vs.map((v) => `  ${testName(v)}: ${v.summary.split('\n')[0]}`).join('\n');
  let chosen: VerdictEntry;
  if (name !== undefined) {
    const exact = summary.verdicts.filter((v) => v.test === name || testName(v) === name);
    const matches =
      exact.length > 0
        ? exact
        : summary.verdicts.filter((v) => testName(v).toLowerCase().includes(name.toLowerCase()));
    if (matches.length === 0)
      throw new ConfigError(
        `No test named "${name}" in ${file}.`,
        `The tests it has:\n${list(summary.verdicts)}\n${HINT_NAME}`,
      );
    const failing = matches.filter((v) => failed.includes(v));
    if (failing.length === 0)
      throw new ConfigError(
        `"${name}" did not fail in that run (${matches.map((v) => `${testName(v)}: ${v.kind}`).join('; ')}): there is nothing to reproduce.`,
        failed.length > 0 ? `The failed tests:\n${list(failed)}` : 'No test failed in that run.',
      );
    if (failing.length > 1)
      throw new ConfigError(
        `"${name}" names ${failing.length} failed tests in ${file}:\n${list(failing)}`,
        HINT_NAME,
      );
    chosen = failing[0]!;
  } else {
    if (failed.length === 0)
      throw new ConfigError(
        `No test failed in the run of ${file} (${summary.verdicts.length} verdict${summary.verdicts.length === 1 ? '' : 's'}, all pass): there is nothing to reproduce.`,
        'Point repro at the reports folder of the run that failed (DRVCYCLE_REPORTS_DIR if it had one).',
      );
    if (failed.length > 1)
      throw new ConfigError(
        `${failed.length} tests failed in the run of ${file}; repro reruns one:\n${list(failed)}`,
        HINT_NAME,
      );
    chosen = failed[0]!;
  }
  const { repro } = chosen as VerdictEntry & { repro?: unknown };
  if (!isReproRecord(repro))
    throw new ConfigError(
      `The verdict of ${testName(chosen)} in ${file} has no repro record (written by drvcycle before 0.2, or damaged).`,
      'Run the test again with this drvcycle: its failed verdict then records what repro needs.',
    );
  return chosen as ReproducibleVerdict;
}

export function isReproRecord(value: unknown): value is ReproRecord {
  const r = value as ReproRecord | undefined;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.seed === 'number' &&
    typeof r.cwd === 'string' &&
    typeof r.driver?.imagePath === 'string' &&
    typeof r.driver.sha256 === 'string' &&
    typeof r.settings?.cycles === 'number' &&
    typeof r.machine?.provider === 'string' &&
    typeof r.environment === 'object' &&
    r.environment !== null
  );
}

/** The refusal when the image (the driver's, or a comparison's baseline) is no longer the one that failed. */
export function imageChanged(
  record: Pick<ReproRecord, 'driver'> | { driver: Pick<ReproBaseline, 'imagePath' | 'sha256'> },
  now: { sha256: string } | undefined,
): ConfigError | undefined {
  const { imagePath, sha256 } = record.driver;
  if (!now)
    return new ConfigError(
      `The driver image of the failed run, ${imagePath} (SHA-256 ${sha256}), is gone.`,
      'Put that build back at that path (a reproduction reruns the image that failed, nothing else).',
    );
  if (now.sha256 !== sha256)
    return new ConfigError(
      `The driver image ${imagePath} has changed since the failed run: its SHA-256 is ${now.sha256} now, the run's was ${sha256}.`,
      'Put the build that failed back at that path to reproduce its failure, or run the test anew on the new build.',
    );
  return undefined;
}
