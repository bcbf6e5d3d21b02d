/**
 * One worker per machine: with the `existing` (or a VM) provider, more workers than machines is
 * refused before anything runs, as two workers on one agent cycle and remove each other's service.
 */
import { expect, test } from '@playwright/test';
import {
  checkWorkersPerMachine,
  machineSettingsFromEnv,
} from '../../src/config/machine-settings.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { MachineSettings } from '../../src/config/machine-settings.ts';
import { acquireMachine } from '../../src/machines/providers.ts';

const agents = (...urls: string[]) => ({ urls, token: 't' });
const existing = (...urls: string[]): MachineSettings => ({
  provider: 'existing',
  agents: agents(...urls),
});

test("two workers on one agent (lab up's recipe with Playwright's default workers) are refused, with the fix", () => {
  expect(() => checkWorkersPerMachine(existing('http://127.0.0.1:8765'), 2)).toThrow(ConfigError);
  let caught: ConfigError | undefined;
  try {
    checkWorkersPerMachine(existing('http://127.0.0.1:8765'), 2);
  } catch (error) {
    caught = error as ConfigError;
  }
  expect(caught?.problem).toBe(
    "The run has 2 workers but 1 agent (DRVCYCLE_AGENTS): two workers would share one machine and cycle, stop and remove each other's driver service.",
  );
  expect(caught?.hint).toBe(
    'Run with --workers=1, or give one agent per worker in DRVCYCLE_AGENTS (or DRVCYCLE_AGENTS_FILE).',
  );
});

test('as many workers as agents, or fewer, is fine; the lab gives each worker its own prefix', () => {
  expect(() => checkWorkersPerMachine(existing('http://a:1'), 1)).not.toThrow();
  expect(() => checkWorkersPerMachine(existing('http://a:1', 'http://b:1'), 2)).not.toThrow();
  expect(() => checkWorkersPerMachine(existing('http://a:1', 'http://b:1'), 3)).toThrow(
    /3 workers but 2 agents/,
  );
  expect(() => checkWorkersPerMachine({ provider: 'lab' }, 8)).not.toThrow();
});

test('VM providers: one VM per worker', () => {
  const vms: MachineSettings = {
    provider: 'hyperv',
    agents: agents('http://a:1'),
    vms: ['vm1'],
    snapshot: 'clean',
    consoleLog: undefined,
    powershell: 'powershell.exe',
    libvirtUri: undefined,
  };
  expect(() => checkWorkersPerMachine(vms, 2)).toThrow(/2 workers but 1 VM \(DRVCYCLE_VMS\)/);
});

test('a worker past the last agent gets no machine (a config without the global check)', async () => {
  // No agent is contacted: the refusal comes first (the URL would not answer anyway).
  await expect(acquireMachine(existing('http://127.0.0.1:9'), 1, 'r')).rejects.toThrow(
    /Worker 1 has no machine of its own: DRVCYCLE_AGENTS lists 1/,
  );
});

test('with a pool of machines per worker, every worker needs that many machines of its own', () => {
  const pooled: MachineSettings = {
    ...existing('http://a:1', 'http://b:1', 'http://c:1'),
    machinesPerWorker: 2,
  };
  expect(() => checkWorkersPerMachine(pooled, 1)).not.toThrow();
  expect(() => checkWorkersPerMachine(pooled, 2)).toThrow(
    /2 workers of 2 machines each \(DRVCYCLE_MACHINES_PER_WORKER\) but 3 agents/,
  );
  try {
    checkWorkersPerMachine(pooled, 2);
  } catch (error) {
    expect((error as ConfigError).hint).toMatch(/Give 4 agents .*--workers=1/);
  }
});

test('DRVCYCLE_MACHINES_PER_WORKER: the lab keeps two by default, other providers one; bad values are refused', () => {
  expect(machineSettingsFromEnv({}).machinesPerWorker).toBe(2);
  expect(machineSettingsFromEnv({ DRVCYCLE_MACHINES_PER_WORKER: '1' }).machinesPerWorker).toBe(1);
  expect(() => machineSettingsFromEnv({ DRVCYCLE_MACHINES_PER_WORKER: 'two' })).toThrow(
    /DRVCYCLE_MACHINES_PER_WORKER "two" is not a whole number from 1 to 8/,
  );
  expect(() => machineSettingsFromEnv({ DRVCYCLE_MACHINES_PER_WORKER: '0' })).toThrow(ConfigError);
});
