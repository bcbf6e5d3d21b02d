/**
 * drvcycle's public API: `import { test, expect, defineConfig } from 'drvcycle'`.
 * The spec families are published as `drvcycle/specs/cycles`, `drvcycle/specs/leaks` and
 * `drvcycle/specs/error-paths`: import one in a spec file of your own to run it.
 */
export { test, expect } from '../fixtures/index.ts';
export type { Install, TestCollector, VerdictRecorder } from '../fixtures/index.ts';
export { defineConfig, type DrvcycleConfig } from '../fixtures/define-config.ts';
export { drvcycleProjects, type ProjectsOptions } from '../fixtures/projects.ts';
export type { Profile } from './config/profiles.ts';
export type {
  CompareOptions,
  DrvcycleOptions,
  DriverUnderTest,
  Settings,
} from './config/settings.ts';
export type { CompareSettings, CompareThresholds, Comparison } from './core/build-compare.ts';
export type { LeakThresholds } from './core/leak-decision.ts';
export type { Verdict, VerdictKind } from './core/verdict.ts';
export type { CyclePlan } from './families/cycle-plan.ts';
export type { DriverImage, InstalledDriver, Target } from './target/types.ts';
export {
  DRIVER_ERROR_PATHS,
  ERROR_PATH_CASES,
  SELF_CHECK_CASES,
  type ErrorPathCase,
} from './families/error-paths.ts';
export { SELF_CHECK_IO_CASES, type IoSelfCheckCase } from './families/self-check-io.ts';
export { certificationCriteria, SPEC_TITLES } from './families/criteria.ts';
export { sampleDriver } from './core/paths.ts';
