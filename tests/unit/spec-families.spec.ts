/**
 * The spec-family registry: each family's spec exists and carries its describe title, a test is
 * found by its describe and title (the soak is not the cycles family), a scenario names its
 * family, and what is no family's is said to be so rather than filed under a default.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import {
  familyOfScenario,
  familyOfTest,
  scenarioOf,
  SPEC_FAMILIES,
  SPEC_TITLES,
} from '../../src/core/spec-families.ts';
import { makeVerdict } from '../../src/core/verdict.ts';
import { requirementOf } from '../../src/report/certification-verdict.ts';
import { resolveSettings } from '../../src/config/settings.ts';
import { peImage } from './pe-fixtures.ts';
import { scratchDir } from './scratch.ts';

test('every family’s spec exists and describes its tests under the family’s title', () => {
  for (const family of Object.values(SPEC_FAMILIES)) {
    const source = readFileSync(path.join(PACKAGE_ROOT, family.spec), 'utf8');
    const key = Object.entries(SPEC_TITLES).find(([, title]) => title === family.describe)?.[0];
    expect(key, family.id).toBeDefined();
    expect(source, family.spec).toContain(`test.describe(SPEC_TITLES.${key}`);
  }
});

test('a test’s family comes from its describe and title; a team’s own test has none', () => {
  expect(familyOfTest(SPEC_TITLES.cycles, SPEC_TITLES.loadUnload)?.id).toBe('cycles');
  expect(familyOfTest(SPEC_TITLES.cycles, SPEC_TITLES.soak)?.id).toBe('soak');
  expect(familyOfTest(SPEC_TITLES.leaks, SPEC_TITLES.leakBaseline)?.id).toBe('leaks');
  expect(familyOfTest(SPEC_TITLES.errorPaths, 'second start')?.id).toBe('error-paths');
  expect(familyOfTest(SPEC_TITLES.selfCheck, 'a crash in DriverEntry')?.id).toBe('self-check');
  // A team's own test in a describe of the same name is not a drvcycle family test.
  expect(familyOfTest(SPEC_TITLES.cycles, 'my own cycles')).toBeUndefined();
  expect(familyOfTest('my suite', SPEC_TITLES.loadUnload)).toBeUndefined();
});

test('a verdict’s scenario names its family; an unknown one names none', () => {
  expect(scenarioOf('error-paths', 'second start')).toBe('error paths › second start');
  expect(familyOfScenario('error paths › second start')?.category).toBe('error-paths');
  expect(familyOfScenario('soak')?.category).toBe('cycles');
  expect(familyOfScenario(scenarioOf('self-check', 'x'))?.certifies).toBe(false);
  expect(familyOfScenario('my suite › x')).toBeUndefined();
  expect(familyOfScenario('')).toBeUndefined();
});

test('a certification states each family’s requirement, and refuses a test of none', () => {
  // A driver image of its own: the sample drivers are not built yet when the unit tests run on a
  // fresh clone.
  const image = path.join(scratchDir('drvcycle-families-'), 'x.sys');
  writeFileSync(image, peImage());
  const settings = resolveSettings(
    { driverUnderTest: { imagePath: image } },
    { CYCLES: '40', SOAK_SECONDS: '60' },
  );
  const verdict = (scenario: string) =>
    makeVerdict({ kind: 'pass', driver: 'dc_clean', scenario, detail: 'ok', evidence: {} });
  expect(requirementOf(verdict('cycles'), settings)).toMatch(/^40 load\/unload cycles, each start/);
  expect(requirementOf(verdict('soak'), settings)).toBe(
    'load/unload cycles for 60 s, every one clean',
  );
  expect(requirementOf(verdict('error paths › second start'), settings)).toMatch(
    /^fails as documented/,
  );
  expect(() => requirementOf(verdict('self-check › x'), settings)).toThrow(
    /no certified spec family/,
  );
  expect(() => requirementOf(verdict('my suite › x'), settings)).toThrow(
    /no certified spec family/,
  );
});
