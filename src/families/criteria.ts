/**
 * The certification's criteria: the tests of drvcycle's spec families, by their titles. The specs
 * take their titles from here, and a certification requires every criterion that applies to the
 * driver's kind: one filtered out (-g, testMatch, --shard, --last-failed…) fails it.
 */
import { SPEC_TITLES } from '../core/spec-families.ts';
import { caseKind, DRIVER_ERROR_PATHS } from './error-paths.ts';

export { SPEC_TITLES };

/**
 * The criteria a certification of a driver of this kind requires, as test title paths; with a
 * baseline build, also the comparison against it.
 */
export function certificationCriteria(
  kind: 'legacy' | 'pnp',
  options: { baseline?: boolean } = {},
): string[] {
  const t = SPEC_TITLES;
  return [
    ...(options.baseline ? [`${t.compare} › ${t.againstBaseline}`] : []),
    `${t.cycles} › ${t.loadUnload}`,
    `${t.cycles} › ${t.soak}`,
    `${t.leaks} › ${t.leakBaseline}`,
    ...DRIVER_ERROR_PATHS.filter((c) => caseKind(c) === kind).map(
      (c) => `${t.errorPaths} › ${c.title}`,
    ),
  ];
}
