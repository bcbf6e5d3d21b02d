/**
 * `drvcycle lab up` / `lab down`: one lab machine by hand, for a developer to poke at with the
 * `existing` provider (or curl), kept until `lab down`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { labRoot } from '../lab/lab-paths.ts';
import { provisionLab } from '../lab/provision.ts';
import { reportsDir } from '../config/environment.ts';
import { LabMachine } from '../machines/lab.ts';

const stateFile = () => path.join(labRoot(), 'manual-machine.json');

interface ManualMachine {
  readonly url: string;
  readonly tokenFile: string;
  readonly fingerprint: string | undefined;
  readonly dir: string;
  readonly prefix: string;
  readonly runId: string;
}

export async function labUp(): Promise<number> {
  if (existsSync(stateFile())) {
    const running = JSON.parse(readFileSync(stateFile(), 'utf8')) as ManualMachine;
    throw new DrvcycleError(
      ErrorCodes.LAB_MACHINE,
      `A lab machine is already up at ${running.url}.`,
      {
        hint: 'Use it, or take it down first: npx drvcycle lab down',
      },
    );
  }
  await provisionLab();
  const runId = `manual-${Date.now().toString(36)}`;
  const machine = await LabMachine.boot({ index: 0, runId });
  machine.detach();
  const state: ManualMachine = {
    url: machine.url,
    tokenFile: path.join(machine.dir, 'agent.token'),
    fingerprint: machine.fingerprint,
    dir: machine.dir,
    prefix: machine.prefix,
    runId,
  };
  writeFileSync(stateFile(), JSON.stringify(state, null, 2));
  process.stdout.write(
    [
      `lab machine up: ${state.url}`,
      `token file:     ${state.tokenFile}`,
      `certificate:    SHA-256 ${state.fingerprint}`,
      `Wine prefix:    ${state.prefix}  (debug output: ${path.join(state.dir, 'agent.stderr.log')})`,
      '',
      'Run the specs against it:',
      `  DRVCYCLE_MACHINE=existing DRVCYCLE_AGENTS=${state.url} DRVCYCLE_AGENT_TOKEN_FILE=${state.tokenFile} DRVCYCLE_AGENT_FINGERPRINT=${state.fingerprint} npx playwright test --project=lab --workers=1`,
      "  (one worker per agent: two workers on one machine would cycle and remove each other's driver)",
      'Take it down: npx drvcycle lab down',
      '',
    ].join('\n'),
  );
  return 0;
}

export async function labDown(): Promise<number> {
  const warm = await LabMachine.stopWarm(reportsDir());
  if (warm > 0)
    process.stdout.write(
      `${warm} warm lab machine${warm === 1 ? '' : 's'} (kept booted by a run of ${reportsDir()}) stopped.\n`,
    );
  if (!existsSync(stateFile())) {
    if (warm === 0) process.stdout.write('No lab machine is up.\n');
    return 0;
  }
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as ManualMachine;
  const machine = new LabMachine({
    index: 0,
    runId: state.runId,
    folder: path.basename(state.dir),
  });
  await machine.release();
  rmSync(stateFile(), { force: true });
  process.stdout.write(`lab machine at ${state.url} taken down; nothing of it is left running.\n`);
  return 0;
}
