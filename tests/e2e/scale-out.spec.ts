/**
 * The shipped GitHub workflow's logic, run here: its shard job's commands, read from
 * ci/github/drvcycle-nightly.yml, for a 3-shard matrix on the lab (each shard its own checkout of
 * a driver team's repository, its own reports folder and lab machines, one after another), its
 * upload step's paths copied as the artifact would hold them, then its report job's command on
 * the downloaded shards. One Allure report and one certification with every driver's criteria,
 * every test of `playwright test --list` exactly once, the leaking driver failing the gate; merged
 * without the failing shard, the merge names the missing index and the gate fails on it alone.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
// Only the child runs boot machines: Playwright's own test, so no lab machine boots for it here.
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT, sampleDriver } from '../../src/core/paths.ts';
import type { VerdictSummary } from '../../src/core/verdict.ts';
import type { Certification } from '../../src/report/certification-verdict.ts';
import type { ShardRecord } from '../../src/report/shard-record.ts';
import { certificationCriteria } from '../../src/families/criteria.ts';
import { at, evaluate, parseYaml, stepsOf, type YamlValue } from '../../tools/ci-workflow.ts';

const WORKFLOW = path.join(PACKAGE_ROOT, 'ci/github/drvcycle-nightly.yml');
const SHARDS = 3;
const DRIVERS = [
  { image: sampleDriver('clean'), service: 'dc_so_clean' },
  { image: sampleDriver('device_legacy'), service: 'dc_so_device' },
  { image: sampleDriver('leak_small'), service: 'dc_so_leak' },
];
/** The nightly's numbers made small for a self-test (a nightly project takes them from env). */
const SHORT = { CYCLES: '20', LEAK_CYCLES: '40', SOAK_SECONDS: '2' };

/** A driver team's repository as `npm ci` leaves it: drvcycle and Playwright in node_modules. */
function checkout(dir: string): string {
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    '{ "name": "team-drivers", "private": true, "type": "module" }\n',
  );
  symlinkSync(
    path.join(PACKAGE_ROOT, 'bin/drvcycle.js'),
    path.join(dir, 'node_modules/.bin/drvcycle'),
  );
  symlinkSync(
    path.join(PACKAGE_ROOT, 'node_modules/@playwright/test/cli.js'),
    path.join(dir, 'node_modules/.bin/playwright'),
  );
  symlinkSync(
    path.join(PACKAGE_ROOT, 'node_modules/@playwright'),
    path.join(dir, 'node_modules/@playwright'),
  );
  writeFileSync(
    path.join(dir, 'drivers.jsonl'),
    `${DRIVERS.map((d) => JSON.stringify(d)).join('\n')}\n`,
  );
  // As a team writes it, from drvcycle's sources instead of its build (a checkout has no dist/).
  writeFileSync(
    path.join(dir, 'playwright.config.ts'),
    [
      `import { defineConfig, drvcycleProjects } from ${JSON.stringify(path.join(PACKAGE_ROOT, 'src/index.ts'))};`,
      'export default defineConfig({',
      `  testDir: ${JSON.stringify(path.join(PACKAGE_ROOT, 'specs'))},`,
      '  testIgnore: /self-check/,',
      "  projects: drvcycleProjects({ manifest: 'drivers.jsonl', profiles: ['nightly'] }),",
      '});',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A `run:` step as the runner runs it: bash -e, in the checkout, with the job's environment. */
function runStep(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('bash', ['-e', '-c', command], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** upload-artifact's view of the step's paths: rooted at their common folder (reports/). */
function uploadArtifact(paths: string[], cwd: string, artifact: string): void {
  for (const pattern of paths) {
    const [root, ...rest] = pattern.split('/');
    const relative = rest.join('/');
    const dir = path.join(cwd, root!, path.dirname(relative));
    const name = new RegExp(
      `^${path.basename(relative).replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`,
    );
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).filter((n) => name.test(n)))
      cpSync(path.join(dir, entry), path.join(artifact, path.dirname(relative), entry), {
        recursive: true,
      });
  }
}

const runsOf = (workflow: YamlValue, job: string) =>
  stepsOf(workflow, job).flatMap((s) => (s.run ? [s.run.trim()] : []));

test('the nightly workflow’s shard matrix and merge, run here: one report, one certification, no test lost, a missing shard named', async ({}, testInfo) => {
  test.setTimeout(25 * 60_000);
  const workflow = parseYaml(readFileSync(WORKFLOW, 'utf8'), WORKFLOW);
  const [install, shardCommand, ...more] = runsOf(workflow, 'shard');
  expect([install, more]).toEqual(['npm ci', []]);
  const [, mergeCommand] = runsOf(workflow, 'report');
  const context = {
    // A GitHub run id: digits, unique to this self-test run.
    'github.run_id': `${Date.now()}`,
    'inputs.projects': '',
    'strategy.job-total': String(SHARDS),
  };
  const envOf = (block: YamlValue, extra: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(block as Record<string, YamlValue>).map(([name, value]) => [
        name,
        evaluate(String(value), { ...context, ...extra }),
      ]),
    );
  const workflowEnv = envOf(at(workflow, 'env'), {});
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...workflowEnv };
  delete baseEnv.DRVCYCLE_VERDICTS_FILE;
  delete baseEnv.DRVCYCLE_MANIFEST;

  const upload = stepsOf(workflow, 'shard').find((s) =>
    s.uses?.startsWith('actions/upload-artifact'),
  )!;
  const download = stepsOf(workflow, 'report').find((s) =>
    s.uses?.startsWith('actions/download-artifact'),
  )!;
  const reportCheckout = checkout(testInfo.outputPath('report-job'));
  const records: ShardRecord[] = [];
  const exitCodes: (number | null)[] = [];
  for (let shard = 1; shard <= SHARDS; shard++) {
    const matrix = { 'matrix.shard': String(shard) };
    const dir = checkout(testInfo.outputPath(`shard-job-${shard}`));
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      ...envOf(at(workflow, 'jobs', 'shard', 'env'), matrix),
      ...SHORT,
    };
    const command = evaluate(shardCommand!, { ...context, ...matrix });
    expect(command).toContain(`--shard=${shard}/${SHARDS}`);
    const run = await runStep(command, dir, env, 10 * 60_000);
    await testInfo.attach(`shard-${shard}.txt`, { body: `$ ${command}\n${run.output}` });
    expect([0, 1], run.output.slice(-3000)).toContain(run.code);
    exitCodes.push(run.code);
    const reports = path.join(dir, String(env.DRVCYCLE_REPORTS_DIR));
    records.push(JSON.parse(readFileSync(path.join(reports, 'shard.json'), 'utf8')) as ShardRecord);
    const name = evaluate(String(upload.with!.name), { ...context, ...matrix });
    uploadArtifact(
      String(upload.with!.path)
        .trim()
        .split('\n')
        .map((l) => l.trim()),
      dir,
      path.join(reportCheckout, String(download.with!.path), name),
    );
  }
  // A shard job fails exactly when one of its tests failed (leak_small's leak, and its leak
  // showing in error paths).
  expect(exitCodes).toEqual(
    records.map((r) => (Object.values(r.tests).includes('failed') ? 1 : 0)),
  );
  expect(exitCodes).toContain(1);
  expect(records.map((r) => r.shard)).toEqual([1, 2, 3].map((current) => ({ current, total: 3 })));
  expect(
    records.every((r) => r.status !== undefined && r.runId === workflowEnv.DRVCYCLE_RUN_ID),
  ).toBe(true);

  // No test lost or run twice: the shards' tests are the unsharded list, each exactly once.
  const listed = await runStep(
    'npx playwright test --list --project="$DRVCYCLE_PROJECTS"',
    testInfo.outputPath('shard-job-1'),
    { ...baseEnv, DRVCYCLE_REPORTS_DIR: testInfo.outputPath('list-reports') },
    120_000,
  );
  const all = listed.output
    .split('\n')
    .filter((line) => /^\s+\[nightly-/.test(line))
    .map((line) => line.trim().replace(/:\d+:\d+ › /, ' › '));
  // 14 tests per driver, and the compare spec's, skipped in a nightly with no baseline build.
  expect(all).toHaveLength(DRIVERS.length * 15);
  const sharded = records.flatMap((r) => Object.keys(r.tests));
  expect(sharded.sort()).toEqual([...all].sort());
  expect(records.every((r) => Object.values(r.tests).every((status) => status !== null))).toBe(
    true,
  );

  // The report job: the merge of every downloaded shard, the gate.
  const mergeEnv: NodeJS.ProcessEnv = {
    ...baseEnv,
    ...envOf(at(workflow, 'jobs', 'report', 'env'), {}),
  };
  const merged = path.join(reportCheckout, String(mergeEnv.DRVCYCLE_REPORTS_DIR));
  const merge = await runStep(mergeCommand!, reportCheckout, mergeEnv, 5 * 60_000);
  await testInfo.attach('merge.txt', { body: `$ ${mergeCommand}\n${merge.output}` });
  expect(merge.output).toContain(`merged ${SHARDS} shards into ${merged}`);
  expect(merge.output).toContain('[drvcycle] shards 1, 2, 3 of 3');
  expect(merge.output).not.toContain('INCOMPLETE');
  expect(merge.code, 'the leaking driver fails the gate').toBe(1);
  expect(existsSync(path.join(merged, 'allure-report', 'index.html'))).toBe(true);
  expect(existsSync(path.join(merged, 'playwright-report', 'index.html'))).toBe(true);
  const results = readdirSync(path.join(merged, 'allure-results')).filter((f) =>
    f.endsWith('-result.json'),
  );
  // Each Allure result is one listed test (its project is a parameter), and each test has one.
  const reported = results.map((file) => {
    const result = JSON.parse(readFileSync(path.join(merged, 'allure-results', file), 'utf8')) as {
      fullName: string;
      parameters: { name: string; value: string }[];
    };
    const project = result.parameters.find((p) => p.name === 'Project')!.value;
    return `[${project}] › ${result.fullName}`;
  });
  expect(reported.sort()).toEqual([...all].sort());

  const summary = JSON.parse(
    readFileSync(path.join(merged, 'verdicts.json'), 'utf8'),
  ) as VerdictSummary;
  expect(summary.runId).toBe(workflowEnv.DRVCYCLE_RUN_ID);
  const ran = summary.verdicts.map((v) => `${v.project} › ${v.test}`);
  expect(new Set(ran).size).toBe(ran.length);
  // Every failure is the leaking driver's: its leak, and the pool it leaves behind in error paths.
  const failures = summary.verdicts.filter((v) => v.kind !== 'pass');
  expect(new Set(failures.map((v) => v.driver))).toEqual(new Set(['dc_so_leak']));
  expect(failures.map((v) => v.kind)).toContain('leak');
  expect(failures.every((v) => v.kind === 'leak' || /left 256 pool bytes/.test(v.summary))).toBe(
    true,
  );

  const certification = JSON.parse(
    readFileSync(path.join(merged, 'certification.json'), 'utf8'),
  ) as Certification;
  expect(certification).toMatchObject({ verdict: 'fail', certified: false });
  expect(certification.incomplete).toBeUndefined();
  expect(certification.drivers.map((d) => d.service).sort()).toEqual(
    DRIVERS.map((d) => d.service).sort(),
  );
  for (const driver of certification.drivers) {
    expect(driver.missing, driver.service).toEqual([]);
    expect(driver.criteria.map((c) => c.name).sort(), driver.service).toEqual(
      certificationCriteria('legacy').sort(),
    );
    expect(driver.rehearsal).toMatch(/^a nightly run .* not a certification$/);
  }
  const verdictOf = (service: string) => certification.drivers.find((d) => d.service === service)!;
  expect(verdictOf('dc_so_clean').verdict).toBe('pass');
  expect(verdictOf('dc_so_device').verdict).toBe('pass');
  const leakFailed = verdictOf('dc_so_leak')
    .criteria.filter((c) => !c.passed)
    .map((c) => c.name);
  expect(verdictOf('dc_so_leak').verdict).toBe('fail');
  expect(leakFailed.sort()).toEqual(failures.map((v) => v.test).sort());
  expect(leakFailed).toContain(
    'leaks › memory returns to baseline after unload and does not grow across cycles',
  );

  // The failing shard's artifact lost: the other shards all passed, yet the merge names the
  // missing index and the gate fails on it; the certification of the partial run fails.
  const lost = exitCodes.indexOf(1) + 1;
  const kept = records.map((r) => r.shard.current).filter((index) => index !== lost);
  expect(kept.map((index) => exitCodes[index - 1])).toEqual(kept.map(() => 0));
  const partialEnv = {
    ...mergeEnv,
    DRVCYCLE_REPORTS_DIR: path.join(reportCheckout, 'merged-partial'),
  };
  const shardsDir = path.join(reportCheckout, String(download.with!.path));
  const partial = await runStep(
    `npx drvcycle report --gate ${kept.map((index) => `${shardsDir}/drvcycle-shard-${index}`).join(' ')}`,
    reportCheckout,
    partialEnv,
    5 * 60_000,
  );
  await testInfo.attach(`merge-without-shard-${lost}.txt`, { body: partial.output });
  expect(partial.output).toContain(`[drvcycle] INCOMPLETE: shard ${lost}/3 is missing`);
  expect(partial.output).not.toContain('Quality Gate failed'); // every merged test passed
  expect(partial.output).toContain(`[drvcycle] gate: shard ${lost}/3 is missing`);
  expect(partial.code).toBe(1);
  const partialCertification = JSON.parse(
    readFileSync(path.join(String(partialEnv.DRVCYCLE_REPORTS_DIR), 'certification.json'), 'utf8'),
  ) as Certification;
  expect(partialCertification.verdict).toBe('fail');
  expect(partialCertification.incomplete).toEqual([
    expect.stringMatching(new RegExp(`^shard ${lost}/3 is missing`)),
  ]);
});
