/**
 * The certification's criteria: the tests of drvcycle's spec families, by their titles. The specs
 * take their titles from here, and a certification requires every criterion that applies to the
 * driver's kind: one filtered out (-g, testMatch, --shard, --last-failed…) fails it.
 */
import { caseKind, DRIVER_ERROR_PATHS } from './error-paths.ts';

export const SPEC_TITLES = {
  cycles: 'cycles',
  loadUnload: 'load/unload cycles',
  soak: 'soak: cycles for a set duration',
  leaks: 'leaks',
  leakBaseline: 'memory returns to baseline after unload and does not grow across cycles',
  errorPaths: 'error paths',
} as const;

/** The criteria a certification of a driver of this kind requires, as test title paths. */
export function certificationCriteria(kind: 'legacy' | 'pnp'): string[] {
  const t = SPEC_TITLES;
  return [
    `${t.cycles} › ${t.loadUnload}`,
    `${t.cycles} › ${t.soak}`,
    `${t.leaks} › ${t.leakBaseline}`,
    ...DRIVER_ERROR_PATHS.filter((c) => caseKind(c) === kind).map(
      (c) => `${t.errorPaths} › ${c.title}`,
    ),
  ];
}
