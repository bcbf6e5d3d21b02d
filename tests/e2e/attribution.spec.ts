/**
 * Who is blamed, tried the way it goes wrong in practice: the agent killed mid-batch, a request
 * the agent refuses, Ctrl+C on a long run, a runner killed outright, two runs against one agent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, markMachineDirty, test } from '../../fixtures/index.ts';
import { Collector } from '../../src/collector/collector.ts';
import { labPaths } from '../../src/lab/lab-paths.ts';
import { processesOfPrefix } from '../../src/lab/wine-processes.ts';
import { LabMachine, labMachineFolder, pruneOrphanMachines } from '../../src/machines/lab.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { runCyclePlan, type CyclePlan } from '../../src/families/cycle-plan.ts';
import { startRun } from './child-run.ts';
import { lab, sample } from './support.ts';

/** Child runs get ids of their own, recognisable as this run's. */
const runIdFor = (suffix: string) => `${process.env.DRVCYCLE_RUN_ID}-c${suffix}`.slice(0, 40);

const plan = (count: number): CyclePlan => ({
  family: 'cycles',
  count,
  startTimeoutMs: 30_000,
  stopTimeoutMs: 30_000,
  sampleEvery: 0,
});

test('an agent killed mid-batch is the environment, naming how the agent ended', async ({
  install,
  target,
  machine,
}, testInfo) => {
  const driver = await install(...sample('clean'));
  const collector = new Collector(testInfo.outputPath('killed.ndjson'));
  markMachineDirty(machine);
  const agent = lab(machine).agentPid!;
  // Killed mid-batch: once the batch has delivered some cycles, whatever the machine's speed.
  const killer = setInterval(() => {
    if (collector.cycles < 3) return;
    clearInterval(killer);
    process.kill(agent, 'SIGKILL');
  }, 20);
  try {
    const verdict = await runCyclePlan(
      { target, machine, driver, collector, sampleRequest: {}, reinstall: async () => driver },
      plan(5_000),
    );
    expect(verdict, verdict.summary).toMatchObject({
      kind: 'environment',
      phase: 'load',
      evidence: { cause: 'machine-lost', agentExit: 'killed by SIGKILL' },
    });
    expect(verdict.summary).toMatch(
      /^ENVIRONMENT in load at cycle \d+: the machine stopped answering \(the agent killed by SIGKILL;/,
    );
    expect(collector.cycles).toBeGreaterThan(1);
  } finally {
    clearInterval(killer);
    collector.close();
  }
});

test('a batch the agent refuses is drvcycle failing, not the driver', async ({
  install,
  target,
  machine,
}, testInfo) => {
  const driver = await install(...sample('clean'));
  const collector = new Collector(testInfo.outputPath('refused.ndjson'));
  const verdict = await runCyclePlan(
    { target, machine, driver, collector, sampleRequest: {}, reinstall: async () => driver },
    plan(0),
  );
  collector.close();
  expect(verdict).toMatchObject({
    kind: 'error',
    cycle: 1,
    evidence: { cause: 'drvcycle', errorCode: 'DRVCYCLE_INVALID_REQUEST' },
  });
  expect(verdict.summary).toMatch(
    /^ERROR in load at cycle 1: drvcycle failed, not the driver: Expected `count` to be a whole number/,
  );
});

/** The lab machines a run left on disk, and the processes still running in their prefixes. */
function leftoversOf(runId: string): { dirs: string[]; processes: number[] } {
  const root = labPaths.machinesDir();
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => d.startsWith(`${runId}-`)) : [];
  return {
    dirs,
    processes: dirs.flatMap((d) => processesOfPrefix(path.join(root, d, 'prefix'))),
  };
}

test('Ctrl+C on a long run: interrupted in the summary, in Allure and in verdicts.json; nothing left running', async ({}, testInfo) => {
  test.setTimeout(180_000);
  const run = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
    reports: testInfo.outputPath('reports'),
    runId: runIdFor('1'),
    env: { CYCLES: '5000' },
  });
  await run.waitFor(/\[dc_clean\] cycle \d+\/5000/, 90_000);
  run.signal('SIGINT');
  const exit = await run.exited;
  expect(exit.code, run.output().slice(-3000)).not.toBe(0);

  const { verdicts, runId } = run.verdicts();
  const cycles = verdicts.find((v) => v.test === 'cycles › load/unload cycles')!;
  expect(cycles, JSON.stringify(verdicts)).toMatchObject({
    kind: 'environment',
    status: 'interrupted',
    evidence: { cause: 'interrupted' },
  });
  expect(run.output()).toMatch(
    /INTERRUPTED +lab › cycles\.spec\.ts › cycles › load\/unload cycles[^\n]*\n +ENVIRONMENT: interrupted/,
  );
  expect(run.output()).not.toMatch(/UNLOAD FAILURE|LOAD FAILURE/);

  const results = readdirSync(path.join(run.reports, 'allure-results'))
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => JSON.parse(readFileSync(path.join(run.reports, 'allure-results', f), 'utf8')));
  const allure = results.find((r) => r.name === 'load/unload cycles');
  expect(allure.labels).toContainEqual({ name: 'verdict', value: 'environment' });

  expect(leftoversOf(runId!)).toEqual({ dirs: [], processes: [] });
});

for (const when of ['booting', 'booted'] as const) {
  test(`a runner that exits with its lab machine ${when}, unreleased (Ctrl+C during the machine fixture's set-up), leaves no process behind`, async ({}, testInfo) => {
    const runId = runIdFor(
      `${when === 'booting' ? '3' : '4'}${testInfo.repeatEachIndex}r${testInfo.retry}`,
    );
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'boot-then-exit.ts'), runId, when],
      { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(child.status, `${child.stdout}\n${child.stderr}`).toBe(0);
    const left = leftoversOf(runId);
    // The files stay, owned by a process that is gone: the next run's set-up prunes them.
    const folder = labMachineFolder(runId, 0, 0, child.pid);
    expect(left.dirs).toEqual([folder]);
    expect(left.processes).toEqual([]);
    expect(await pruneOrphanMachines()).toContain(folder);
    expect(leftoversOf(runId).dirs).toEqual([]);
  });
}

test('a runner killed outright leaves no driver cycling, and the next run starts clean', async ({}, testInfo) => {
  test.setTimeout(240_000);
  const first = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
    reports: testInfo.outputPath('first'),
    runId: runIdFor('2'),
    env: { CYCLES: '5000' },
  });
  await first.waitFor(/\[dc_clean\] cycle \d+\/5000/, 90_000);
  first.signal('SIGKILL');
  await first.exited;
  // Its worker's machine (the worker's pid is in the folder's name), left behind.
  const [orphan = ''] = leftoversOf(first.runId).dirs.filter((d) => d.endsWith('-m0'));
  expect(
    orphan !== '' && existsSync(path.join(labPaths.machinesDir(), orphan)),
    'the killed run left its lab machine behind',
  ).toBe(true);
  // The agent outlives the runner, but its batch ended when the runner's connection went away.
  const loads = () =>
    (
      readFileSync(path.join(labPaths.machinesDir(), orphan, 'agent.stderr.log'), 'utf8').match(
        /DriverEntry/g,
      ) ?? []
    ).length;
  // The agent says when the batch has ended (the driver stopped), and why.
  await expect
    .poll(
      () => readFileSync(path.join(labPaths.machinesDir(), orphan, 'agent.stdout.log'), 'utf8'),
      {
        timeout: 30_000,
      },
    )
    .toMatch(
      /batch of dc_clean ended after \d+ cycles?: its runner went away, the batch was cancelled/,
    );
  const before = loads();
  // After that line nothing loads the driver again (a batch left running would, every few ms).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(loads(), 'DriverEntry still running after the runner died').toBe(before);

  const second = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
    reports: testInfo.outputPath('second'),
    runId: runIdFor('3'),
    env: { CYCLES: '3' },
  });
  const exit = await second.exited;
  expect(exit.code, second.output().slice(-3000)).toBe(0);
  expect(second.output()).toContain('lab machines left by killed runs');
  expect(existsSync(path.join(labPaths.machinesDir(), orphan))).toBe(false);
  expect(processesOfPrefix(path.join(labPaths.machinesDir(), orphan, 'prefix'))).toEqual([]);
});

test('the existing provider over two runs against one agent: the second run sweeps what a killed first run left', async ({}, testInfo) => {
  test.setTimeout(240_000);
  const agent = await LabMachine.boot({ index: 70, runId: `existing-${Date.now().toString(36)}` });
  try {
    const env = {
      DRVCYCLE_MACHINE: 'existing',
      DRVCYCLE_AGENTS: agent.url,
      DRVCYCLE_AGENT_TOKEN_FILE: path.join(agent.dir, 'agent.token'),
      DRVCYCLE_AGENT_FINGERPRINT: agent.fingerprint ?? '',
    };
    const first = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
      reports: testInfo.outputPath('first'),
      runId: runIdFor('4'),
      env: { ...env, CYCLES: '5000' },
    });
    await first.waitFor(/\[dc_clean\] cycle \d+\/5000/, 90_000);
    first.signal('SIGKILL');
    await first.exited;
    const left = await agent.target().listOwned();
    expect(left.map((s) => s.name)).toEqual(['dc_clean']);

    const second = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
      reports: testInfo.outputPath('second'),
      runId: runIdFor('5'),
      env: { ...env, CYCLES: '3' },
    });
    const exit = await second.exited;
    expect(exit.code, second.output().slice(-3000)).toBe(0);
    expect(second.output()).toContain('removed services of earlier runs: dc_clean');
    expect(
      second.verdicts().verdicts.find((v) => v.kind !== 'pass' && v.status !== 'skipped'),
    ).toBeUndefined();
    expect(await agent.target().listOwned()).toEqual([]);
  } finally {
    await agent.release();
  }
});
