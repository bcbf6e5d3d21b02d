/**
 * The CI files drvcycle ships for a sharded nightly (ci/github/drvcycle-nightly.yml, the GitLab
 * example in ci/gitlab and in docs/nightly-and-certification.md): their matrix and steps call
 * exactly drvcycle's commands, each shard's artifact holds every file the merge reads, and the
 * merge job finds what the shard jobs upload. tests/e2e/scale-out.spec.ts runs the same commands.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { RUN_ID_PATTERN } from '../../src/core/run-id.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import {
  at,
  evaluate,
  parseYaml,
  stepsOf,
  type WorkflowStep,
  type YamlValue,
} from '../../tools/ci-workflow.ts';

const read = (file: string) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
const GITHUB = 'ci/github/drvcycle-nightly.yml';
const GITLAB = 'ci/gitlab/drvcycle-nightly.gitlab-ci.yml';
const github = parseYaml(read(GITHUB), GITHUB);
const gitlab = parseYaml(read(GITLAB), GITLAB);

/** What the merge reads of a shard's reports folder (src/report/merge.ts, shard-record.ts). */
const MERGE_READS = [
  'allure-results/x-result.json',
  'blob-report/report-1.zip',
  'verdicts.json',
  'environment.json',
  'certification.json',
  'shard.json',
];

/** upload-artifact's and GitLab's path lines: `*` within one path segment. */
const matches = (pattern: string, file: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}(/.*)?$`,
  ).test(file);

const runs = (steps: WorkflowStep[]) => steps.flatMap((s) => (s.run ? [s.run.trim()] : []));
const lines = (value: YamlValue) =>
  String(value)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

test('the YAML subset reads block and flow forms and refuses what it does not know', () => {
  expect(
    parseYaml(
      [
        'a: 1 # one',
        "b: 'x # not a comment'",
        'c:',
        '  - d: [1, two]',
        '    e: { f: g }',
        '  - |',
        '    line 1',
        '      line 2',
        'h:',
        '- i',
      ].join('\n'),
    ),
  ).toEqual({
    a: 1,
    b: 'x # not a comment',
    c: [{ d: [1, 'two'], e: { f: 'g' } }, 'line 1\n  line 2\n'],
    h: ['i'],
  });
  expect(() => parseYaml('a: &x 1\nb: *x', 'f.yml')).toThrow(/f\.yml:1: .*anchors/);
  expect(() => parseYaml('a: 1\n---\nb: 2', 'f.yml')).toThrow(/several documents/);
  expect(() => parseYaml('a: 1\na: 2', 'f.yml')).toThrow(/f\.yml:2: the key a twice/);
  expect(() => evaluate('${{ github.event.schedule }}', {})).toThrow(/has no value/);
  expect(() => evaluate("${{ format('{0}', 1) }}", {})).toThrow(/does not evaluate/);
  expect(evaluate("${{ inputs.projects || 'nightly-*' }}", { 'inputs.projects': '' })).toBe(
    'nightly-*',
  );
});

test('GitHub: a scheduled and manual workflow whose shard matrix runs drvcycle lab --shard=i/n', () => {
  expect(at(github, 'on', 'schedule', 0, 'cron')).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
  expect(at(github, 'on')).toHaveProperty('workflow_dispatch');
  const strategy = at(github, 'jobs', 'shard', 'strategy');
  expect(at(strategy, 'fail-fast')).toBe(false);
  const shards = at(strategy, 'matrix', 'shard') as number[];
  expect(shards).toEqual(Array.from({ length: shards.length }, (_, i) => i + 1));
  expect(shards.length).toBeGreaterThan(1);
  // Each job's run steps, exactly: install, then the lab job on its shard.
  const steps = stepsOf(github, 'shard');
  expect(runs(steps)).toEqual([
    'npm ci',
    [
      'if [ -f merged/history/history.jsonl ]; then export DRVCYCLE_SHARD_TIMES=merged/history/history.jsonl; fi',
      'npx drvcycle lab --project="$DRVCYCLE_PROJECTS" --shard=${{ matrix.shard }}/${{ strategy.job-total }}',
    ].join('\n'),
  ]);
  const context = { 'matrix.shard': '3', 'strategy.job-total': String(shards.length) };
  expect(evaluate(runs(steps)[1]!, context)).toContain(`--shard=3/${shards.length}`);
  // Every shard cuts by the same times: the history the report job saves, restored before the
  // lab job (the same latest entry for every shard: one nightly at a time).
  const restore = steps.find((s) => s.uses?.startsWith('actions/cache/restore'))!;
  expect(steps.indexOf(restore)).toBeLessThan(
    steps.findIndex((s) => s.run?.includes('drvcycle lab')),
  );
  const save = stepsOf(github, 'report').find((s) => s.uses?.startsWith('actions/cache/save'))!;
  expect(restore.with!.path).toBe(save.with!.path);
  expect(`${String(restore.with!.path)}/history.jsonl`).toBe('merged/history/history.jsonl');
  expect(String(restore.with!['restore-keys'])).toBe(
    String(save.with!.key).replace('${{ github.run_id }}', ''),
  );
  expect(at(github, 'concurrency', 'cancel-in-progress')).toBe(false);
  expect(at(github, 'jobs', 'shard', 'env', 'DRVCYCLE_REPORTS_DIR')).toBe('reports');
  // The lab starts Wine under setarch -R, which Docker's default seccomp profile refuses.
  expect(read('src/machines/lab.ts')).toContain("'--addr-no-randomize'");
  expect(at(github, 'jobs', 'shard', 'container', 'options')).toContain('seccomp=unconfined');
  // Every shard's run is one run: the same id, a re-run job included (no run_attempt in it).
  const runId = evaluate(String(at(github, 'env', 'DRVCYCLE_RUN_ID')), {
    'github.run_id': '99999999999',
  });
  expect(runId).toMatch(RUN_ID_PATTERN);
  expect(String(at(github, 'env', 'DRVCYCLE_RUN_ID'))).not.toContain('run_attempt');
  expect(evaluate(String(at(github, 'env', 'DRVCYCLE_PROJECTS')), { 'inputs.projects': '' })).toBe(
    'nightly-*',
  );
});

test('GitHub: every shard uploads what the merge reads, failed or not, and the merge job finds it', () => {
  const upload = stepsOf(github, 'shard').find((s) =>
    s.uses?.startsWith('actions/upload-artifact'),
  )!;
  expect(upload.if).toBe('${{ !cancelled() }}');
  expect(upload.with!.overwrite).toBe(true); // a re-run shard job replaces its artifact
  const paths = lines(upload.with!.path!);
  for (const file of MERGE_READS)
    expect(
      paths.some((p) => matches(p, `reports/${file}`)),
      `${file} in the artifact`,
    ).toBe(true);
  // upload-artifact roots an artifact at the paths' common folder: reports/ itself.
  expect(new Set(paths.map((p) => p.split('/')[0]))).toEqual(new Set(['reports']));

  const report = at(github, 'jobs', 'report');
  expect(at(report, 'needs')).toBe('shard');
  expect(at(report, 'if')).toBe('${{ !cancelled() }}');
  const steps = stepsOf(github, 'report');
  const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
  const pattern = String(download.with!.pattern);
  expect(matches(pattern, evaluate(String(upload.with!.name), { 'matrix.shard': '2' }))).toBe(true);
  expect(runs(steps)).toEqual([
    'npm ci',
    `npx drvcycle report --gate ${String(download.with!.path)}/${pattern}`,
  ]);
  // The Allure history of earlier nights: restored before the merge, saved after it, failed or not.
  const reportsDir = String(at(report, 'env', 'DRVCYCLE_REPORTS_DIR'));
  const restore = steps.find((s) => s.uses?.startsWith('actions/cache/restore'))!;
  const save = steps.find((s) => s.uses?.startsWith('actions/cache/save'))!;
  const merge = steps.findIndex((s) => s.run?.includes('drvcycle report'));
  expect(steps.indexOf(restore)).toBeLessThan(merge);
  expect(steps.indexOf(save)).toBeGreaterThan(merge);
  expect(save.if).toBe('${{ !cancelled() }}');
  for (const step of [restore, save]) expect(step.with!.path).toBe(`${reportsDir}/history`);
  expect(String(restore.with!['restore-keys'])).toBe(
    String(save.with!.key).replace('${{ github.run_id }}', ''),
  );
  const merged = steps.find((s) => s.with?.name === 'drvcycle-report')!;
  expect(merged.if).toBe('${{ !cancelled() }}');
  for (const file of ['allure-report/index.html', 'certification.json', 'shards.json'])
    expect(lines(merged.with!.path!).some((p) => matches(p, `${reportsDir}/${file}`))).toBe(true);
});

test('GitLab: a parallel job on CI_NODE_INDEX/CI_NODE_TOTAL, artifacts always, a merge job, as the docs show', () => {
  const shard = at(gitlab, 'drvcycle-shard');
  expect(at(shard, 'parallel')).toBeGreaterThan(1);
  expect(at(shard, 'script')).toEqual([
    'export DRVCYCLE_REPORTS_DIR="shards/shard-$CI_NODE_INDEX"',
    'npm ci',
    'npx drvcycle lab --project="$DRVCYCLE_PROJECTS" --shard="$CI_NODE_INDEX/$CI_NODE_TOTAL"',
  ]);
  expect(at(shard, 'artifacts', 'when')).toBe('always');
  const paths = at(shard, 'artifacts', 'paths') as string[];
  for (const file of MERGE_READS)
    expect(paths.some((p) => matches(p, `shards/shard-2/${file}`))).toBe(true);
  const report = at(gitlab, 'drvcycle-report');
  expect(at(report, 'when')).toBe('always');
  expect(at(report, 'needs')).toEqual(['drvcycle-shard']);
  expect(at(report, 'script')).toEqual(['npm ci', 'npx drvcycle report --gate shards/shard-*']);
  expect(at(report, 'cache', 'paths')).toEqual([
    `${String(at(report, 'variables', 'DRVCYCLE_REPORTS_DIR'))}/history/`,
  ]);
  // The docs show the shipped file as it is.
  expect(read('docs/nightly-and-certification.md')).toContain(
    `\`\`\`yaml\n${read(GITLAB).replace(/^(#.*\n)+/, '')}\`\`\``,
  );
});

test('the package ships the CI files', () => {
  const pkg = JSON.parse(read('package.json')) as { files: string[] };
  expect(pkg.files).toContain('ci');
});
