/**
 * drvcycle's spec families, one typed entry each: the spec that runs it, the titles its tests
 * carry (the certification's criteria are these titles), how a verdict names it (its scenario),
 * its report category and severity, and the requirement a certification states for it. A new
 * family is one entry here plus its spec. A scenario or test that is no family's is said to be so
 * (undefined), never filed under a default family.
 */

/** The settings a requirement is stated in (a structural subset of the resolved settings). */
export interface RequirementSettings {
  readonly cycles: number;
  readonly soakSeconds: number;
  readonly leakCycles: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly leakThresholds: {
    readonly perCycle: number;
    readonly warmupCycles: number;
    readonly minSamples: number;
    readonly residualTolerance: number;
  };
  readonly compare?: {
    readonly cycles: number;
    readonly thresholds: {
      readonly latencyP50: number;
      readonly latencyP95: number;
      readonly leakSlopeBytesPerCycle: number;
    };
  };
}

export interface SpecFamily {
  readonly id: FamilyId;
  /** The spec file, from the package root. */
  readonly spec: string;
  /** The `test.describe` title of its spec. */
  readonly describe: string;
  /** Its tests' titles, where they are fixed (an error-path case carries its own). */
  readonly titles?: readonly string[];
  /** The first part of its verdicts' scenario (`error paths › second start`). */
  readonly scenario: string;
  /** Its report category (Allure label `family`) and severity. */
  readonly category: 'cycles' | 'leaks' | 'error-paths' | 'self-check' | 'compare';
  readonly severity: 'critical' | 'normal';
  /** Whether a driver certification counts its tests. */
  readonly certifies: boolean;
  /** What a certification says it requires, in the words of the settings it ran with. */
  readonly requirement: (s: RequirementSettings) => string;
}

export type FamilyId = 'cycles' | 'soak' | 'leaks' | 'error-paths' | 'self-check' | 'compare';

/** The test titles of the cycle families (the error-path cases carry their own). */
export const SPEC_TITLES = {
  cycles: 'cycles',
  loadUnload: 'load/unload cycles',
  soak: 'soak: cycles for a set duration',
  leaks: 'leaks',
  leakBaseline: 'memory returns to baseline after unload and does not grow across cycles',
  errorPaths: 'error paths',
  selfCheck: 'self-check',
  compare: 'compare',
  againstBaseline: 'candidate against the baseline build',
} as const;

export const SPEC_FAMILIES: Readonly<Record<FamilyId, SpecFamily>> = {
  cycles: {
    id: 'cycles',
    spec: 'specs/cycles.spec.ts',
    describe: SPEC_TITLES.cycles,
    titles: [SPEC_TITLES.loadUnload],
    scenario: 'cycles',
    category: 'cycles',
    severity: 'critical',
    certifies: true,
    requirement: (s) =>
      `${s.cycles} load/unload cycles, each start within ${s.startTimeoutMs} ms and stop within ${s.stopTimeoutMs} ms, every one clean`,
  },
  soak: {
    id: 'soak',
    spec: 'specs/cycles.spec.ts',
    describe: SPEC_TITLES.cycles,
    titles: [SPEC_TITLES.soak],
    scenario: 'soak',
    category: 'cycles',
    severity: 'critical',
    certifies: true,
    requirement: (s) => `load/unload cycles for ${s.soakSeconds} s, every one clean`,
  },
  leaks: {
    id: 'leaks',
    spec: 'specs/leaks.spec.ts',
    describe: SPEC_TITLES.leaks,
    titles: [SPEC_TITLES.leakBaseline],
    scenario: 'leaks',
    category: 'leaks',
    severity: 'critical',
    certifies: true,
    requirement: (s) => {
      const t = s.leakThresholds;
      return `${s.leakCycles} cycles: no allocation of the driver alive after the next cycle's unload (exact pool trace), or else pool growth ≤ ${t.perCycle} B/cycle after ${t.warmupCycles} warm-up cycles (≥ ${t.minSamples} samples), ≤ ${t.residualTolerance} B left after the last unload`;
    },
  },
  'error-paths': {
    id: 'error-paths',
    spec: 'specs/error-paths.spec.ts',
    describe: SPEC_TITLES.errorPaths,
    scenario: 'error paths',
    category: 'error-paths',
    severity: 'normal',
    certifies: true,
    requirement: () =>
      'fails as documented (the expected Win32 code), leaves nothing behind, does not crash or hang',
  },
  'self-check': {
    id: 'self-check',
    spec: 'specs/self-check.spec.ts',
    describe: SPEC_TITLES.selfCheck,
    scenario: 'self-check',
    category: 'self-check',
    severity: 'normal',
    certifies: false,
    requirement: () => 'each sample driver fails as it was built to, and is named for it',
  },
  compare: {
    id: 'compare',
    spec: 'specs/compare.spec.ts',
    describe: SPEC_TITLES.compare,
    titles: [SPEC_TITLES.againstBaseline],
    scenario: 'compare',
    category: 'compare',
    severity: 'critical',
    certifies: true,
    requirement: (s) => {
      const c = s.compare;
      if (!c) return 'no figure regressed against the baseline build';
      const pct = (v: number) => `+${Math.round(v * 100)} %`;
      return `${c.cycles} cycles of each build, interleaved: no figure regressed against the baseline beyond its threshold (latency p50 ${pct(c.thresholds.latencyP50)}, p95 ${pct(c.thresholds.latencyP95)}, leak slope +${c.thresholds.leakSlopeBytesPerCycle} B/cycle, …) with a significant interval`;
    },
  },
};

/** The family a verdict's scenario names (`cycles`, `soak`, `leaks`, `error paths › …`), if any. */
export function familyOfScenario(scenario: string): SpecFamily | undefined {
  const head = scenario.split(' › ')[0]!;
  return Object.values(SPEC_FAMILIES).find((f) => f.scenario === head);
}

/**
 * The family of a test, from its describe and title: a family's describe, and one of its titles
 * when it names them (the error-path cases name theirs in error-paths.ts). undefined for a test
 * that is not one of drvcycle's families (a team's own spec).
 */
export function familyOfTest(describe: string, title: string): SpecFamily | undefined {
  return Object.values(SPEC_FAMILIES).find(
    (f) => f.describe === describe && (f.titles === undefined || f.titles.includes(title)),
  );
}

/** A verdict's scenario for a family, with its case when it has one. */
export function scenarioOf(family: FamilyId, caseId?: string): string {
  const { scenario } = SPEC_FAMILIES[family];
  return caseId === undefined ? scenario : `${scenario} › ${caseId}`;
}
