/**
 * A run against an agent another client interferes with, as it happens with the `existing`
 * provider: the batch cancelled from outside is not a pass, and two workers on one agent are
 * refused before anything runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { LabMachine } from '../../src/machines/lab.ts';
import { startRun } from './child-run.ts';

/** Child runs get ids of their own, recognisable as this run's. */
const runIdFor = (suffix: string) => `${process.env.DRVCYCLE_RUN_ID}-x${suffix}`.slice(0, 40);

test('a batch cancelled by another client of the agent is not a pass: the verdict names how many of the cycles ran', async ({}, testInfo) => {
  test.setTimeout(240_000);
  const agent = await LabMachine.boot({ index: 71, runId: `cut-${Date.now().toString(36)}` });
  try {
    const run = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=1'], {
      reports: testInfo.outputPath('run'),
      runId: runIdFor('1'),
      env: {
        DRVCYCLE_MACHINE: 'existing',
        DRVCYCLE_AGENTS: agent.url,
        DRVCYCLE_AGENT_TOKEN_FILE: path.join(agent.dir, 'agent.token'),
        DRVCYCLE_AGENT_FINGERPRINT: agent.fingerprint ?? '',
        CYCLES: '3000',
      },
    });
    await run.waitFor(/\[dc_clean\] cycle \d+\/3000/, 120_000);
    // Another client of the same agent (its own run id) cancels the batch: POST …/cycles/cancel.
    expect(await agent.target().cancelCycles({ name: 'dc_clean' })).toBe(true);
    const exit = await run.exited;
    expect(exit.code, run.output().slice(-3000)).toBe(1);
    const cycles = run.verdicts().verdicts.find((v) => v.test === 'cycles › load/unload cycles');
    expect(cycles, run.output().slice(-3000)).toMatchObject({
      kind: 'environment',
      evidence: { cause: 'batch-cut-short', cyclesAsked: 3000 },
    });
    const ran = cycles!.evidence.cyclesRan as number;
    expect(ran).toBeGreaterThan(0);
    expect(ran).toBeLessThan(3000);
    expect(cycles!.summary).toMatch(
      new RegExp(`^ENVIRONMENT: ${ran} of 3000 cycles ran: the batch ended early`),
    );
    expect(run.output()).not.toMatch(/PASS: \d+ cycles/);
  } finally {
    await agent.release();
  }
});

test("two workers on one agent (lab up's recipe without --workers=1) are refused before any machine is used", async ({}, testInfo) => {
  test.setTimeout(120_000);
  const tokenFile = testInfo.outputPath('agent.token');
  mkdirSync(path.dirname(tokenFile), { recursive: true });
  writeFileSync(tokenFile, 'unused\n', { mode: 0o600 });
  const run = startRun(['specs/cycles.spec.ts', '--project=lab', '--workers=2'], {
    reports: testInfo.outputPath('run'),
    runId: runIdFor('2'),
    env: {
      DRVCYCLE_MACHINE: 'existing',
      // Nothing listens here: the refusal comes before any agent is asked.
      DRVCYCLE_AGENTS: 'http://127.0.0.1:9',
      DRVCYCLE_AGENT_TOKEN_FILE: tokenFile,
    },
  });
  const exit = await run.exited;
  expect(exit.code).toBe(1);
  expect(run.output()).toContain(
    "ConfigError: The run has 2 workers but 1 agent (DRVCYCLE_AGENTS): two workers would share one machine and cycle, stop and remove each other's driver service.",
  );
  expect(run.output()).toContain('Run with --workers=1');
  expect(run.output()).not.toContain('does not answer its health check');
});
