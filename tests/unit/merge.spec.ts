/** Merging shard reports folders: what is refused, and how certifications combine. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ConfigError } from '../../src/core/errors.ts';
import { summarise } from '../../src/core/verdict.ts';
import type { Certification, DriverCertification } from '../../src/report/certification.ts';
import { mergeShards } from '../../src/report/merge.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'drvcycle-merge-'));

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
