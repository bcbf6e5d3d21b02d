/** Merging shard reports folders: what is refused, and how certifications combine. */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ConfigError } from '../../src/core/errors.ts';
import { summarise } from '../../src/core/verdict.ts';
import type { Certification, DriverCertification } from '../../src/report/certification-verdict.ts';
import { mergeShards } from '../../src/report/merge.ts';
import { scratchDir } from './scratch.ts';

const tmp = () => scratchDir('drvcycle-merge-');

function shard(
  runId: string,
  driver: Partial<DriverCertification> & { service: string },
  certified = false,
): string {
  const dir = tmp();
  mkdirSync(path.join(dir, 'allure-results'));
  writeFileSync(path.join(dir, 'allure-results', `${runId}-${driver.service}-result.json`), '{}');
  writeFileSync(path.join(dir, 'verdicts.json'), JSON.stringify(summarise([], runId)));
  writeFileSync(
    path.join(dir, 'environment.json'),
    JSON.stringify({ [`driver ${driver.service}`]: 'x' }),
  );
  const certification: Certification = {
    generatedAt: '',
    runId,
    certified,
    verdict: driver.verdict === 'pass' ? 'pass' : 'fail',
    drivers: [
      {
        project: `certify-${driver.service}`,
        driver: { file: 'x.sys', sha256: '00', version: null, bytes: 1, signature: 'absent' },
        target: 'Wine 8.0',
        verifier: 'not available (lab rehearsal)',
        rehearsal: 'lab',
        criteria: [],
        verdict: 'fail',
        ...driver,
      },
    ],
  };
  writeFileSync(path.join(dir, 'certification.json'), JSON.stringify(certification));
  return dir;
}

test('certifications of the shards combine: the run passes only when every driver passed', () => {
  const into = tmp();
  const result = mergeShards(
    [
      shard('r1', { service: 'a', verdict: 'pass' }),
      shard('r1', { service: 'b', verdict: 'fail' }),
    ],
    into,
  );
  expect(result).toMatchObject({ shards: 2, results: 2, runIds: ['r1'] });
  const merged = JSON.parse(
    readFileSync(path.join(into, 'certification.json'), 'utf8'),
  ) as Certification;
  expect(merged).toMatchObject({ verdict: 'fail', certified: false, runId: 'r1' });
  expect(merged.drivers.map((d) => d.service)).toEqual(['a', 'b']);
  expect(readFileSync(path.join(into, 'certification.md'), 'utf8')).toContain('## b: FAIL');
  expect(JSON.parse(readFileSync(path.join(into, 'environment.json'), 'utf8'))).toEqual({
    'driver a': 'x',
    'driver b': 'x',
  });
});

test('a driver’s criteria spread over shards combine: missing only what no shard ran', () => {
  const criterion = (name: string, passed = true) => ({
    name,
    requirement: 'r',
    measured: 'm',
    passed,
  });
  const merged = (into: string) =>
    JSON.parse(readFileSync(path.join(into, 'certification.json'), 'utf8')) as Certification;
  // Shard 1 ran cycles, shard 2 ran leaks: each lists the other's criterion as missing.
  const both = tmp();
  mergeShards(
    [
      shard('r2', { service: 'a', criteria: [criterion('cycles')], missing: ['leaks'] }),
      shard('r2', { service: 'a', criteria: [criterion('leaks')], missing: ['cycles'] }),
    ],
    both,
  );
  expect(merged(both)).toMatchObject({ verdict: 'pass' });
  expect(merged(both).drivers).toHaveLength(1);
  expect(merged(both).drivers[0]).toMatchObject({ missing: [], verdict: 'pass' });
  // A criterion no shard ran stays missing and fails the driver.
  const short = tmp();
  mergeShards(
    [
      shard('r3', { service: 'a', criteria: [criterion('cycles')], missing: ['leaks', 'soak'] }),
      shard('r3', { service: 'a', criteria: [criterion('leaks')], missing: ['cycles', 'soak'] }),
    ],
    short,
  );
  expect(merged(short).drivers[0]).toMatchObject({ missing: ['soak'], verdict: 'fail' });
  expect(merged(short).verdict).toBe('fail');
});

test('shards of different runs are merged under both ids; a folder that is no shard is refused', () => {
  const into = tmp();
  expect(
    mergeShards([shard('r1', { service: 'a' }), shard('r2', { service: 'b' })], into).runIds,
  ).toEqual(['r1', 'r2']);
  expect(JSON.parse(readFileSync(path.join(into, 'verdicts.json'), 'utf8')).runId).toBe('r1+r2');
  const empty = tmp();
  expect(() => mergeShards([empty], into)).toThrow(ConfigError);
  expect(() => mergeShards([empty], into)).toThrow(/is not a shard's reports folder/);
  const self = shard('r1', { service: 'a' });
  expect(() => mergeShards([self], self)).toThrow(/is both a shard and the merged reports folder/);
});

/** A merged folder holding an earlier merge's results, which a refused merge must leave alone. */
function earlierMerge(): string {
  const into = tmp();
  mergeShards([shard('r0', { service: 'z' })], into);
  expect(readdirSync(path.join(into, 'allure-results'))).toEqual(['r0-z-result.json']);
  return into;
}

function refusal(shards: string[], into: string): ConfigError {
  try {
    mergeShards(shards, into);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('mergeShards did not refuse');
}

function untouched(into: string): void {
  expect(readdirSync(path.join(into, 'allure-results'))).toEqual(['r0-z-result.json']);
  expect(JSON.parse(readFileSync(path.join(into, 'verdicts.json'), 'utf8')).runId).toBe('r0');
}

test('a link in a shard is refused, never followed: no file from outside reaches the merged folder', () => {
  const into = earlierMerge();
  const good = shard('r1', { service: 'a' });
  const linkedFile = shard('r1', { service: 'b' });
  symlinkSync('/etc/hostname', path.join(linkedFile, 'allure-results', 'x-attachment.txt'));
  expect(refusal([good, linkedFile], into).problem).toBe(
    `${path.join(linkedFile, 'allure-results', 'x-attachment.txt')} of shard ${linkedFile} is a symbolic link: drvcycle follows no link in a shard.`,
  );
  untouched(into);

  const linkedFolder = shard('r1', { service: 'c' });
  rmSync(path.join(linkedFolder, 'allure-results'), { recursive: true });
  symlinkSync('/etc', path.join(linkedFolder, 'allure-results'));
  expect(refusal([good, linkedFolder], into).problem).toContain(
    `${path.join(linkedFolder, 'allure-results')} of shard ${linkedFolder} is a symbolic link`,
  );
  const linkedJson = shard('r1', { service: 'd' });
  rmSync(path.join(linkedJson, 'environment.json'));
  symlinkSync('/etc/hostname', path.join(linkedJson, 'environment.json'));
  expect(refusal([good, linkedJson], into).problem).toContain('is a symbolic link');
  untouched(into);
  expect(existsSync(path.join(into, 'allure-results', 'x-attachment.txt'))).toBe(false);
});

test("a shard's damaged verdicts.json is refused by name before the merged folder is touched", () => {
  const into = earlierMerge();
  const good = shard('r1', { service: 'a' });
  const bad = shard('r1', { service: 'b' });
  writeFileSync(path.join(bad, 'verdicts.json'), '{"runId": "r1", "verdicts": [');
  const error = refusal([good, bad], into);
  expect(error.problem).toMatch(
    new RegExp(`^${path.join(bad, 'verdicts.json').replace(/[.]/g, '\\.')} is not valid JSON`),
  );
  expect(error.hint).toContain('reports folder each shard wrote');
  untouched(into);
  writeFileSync(path.join(bad, 'verdicts.json'), JSON.stringify({ runId: 'r1', verdicts: [{}] }));
  expect(refusal([good, bad], into).problem).toContain('verdict 1 is not one');
  untouched(into);
});

test("a shard's run id that is no run id is refused (it names folders and files)", () => {
  const into = earlierMerge();
  const bad = shard('r1', { service: 'b' });
  writeFileSync(
    path.join(bad, 'verdicts.json'),
    JSON.stringify(summarise([], '/../../x' as string)),
  );
  expect(refusal([bad], into).problem).toBe(
    `${path.join(bad, 'verdicts.json')} gives the run id "/../../x": a run id is 1-40 letters, digits or dashes.`,
  );
  untouched(into);
});

test('a 600 MB verdicts.json is refused by its size, not read', () => {
  const into = earlierMerge();
  const big = shard('r1', { service: 'b' });
  // Sparse: 600 MB on paper, nothing on disk; the old reader died on it with ERR_STRING_TOO_LONG.
  truncateSync(path.join(big, 'verdicts.json'), 600 * 2 ** 20);
  expect(refusal([big], into).problem).toBe(
    `${path.join(big, 'verdicts.json')} is 600 MiB, more than the 128 MiB drvcycle reads from a reports folder.`,
  );
  untouched(into);
});
