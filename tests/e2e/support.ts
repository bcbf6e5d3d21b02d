/** Helpers for the lab end-to-end tests. */
import { agentFetch } from '../../src/target/agent-connection.ts';
import { execFile } from 'node:child_process';
import { wineEnv } from '../../src/lab/wine-env.ts';
import { LabMachine } from '../../src/machines/lab.ts';
import type { Machine } from '../../src/machines/machine.ts';
import { MachinePool } from '../../src/machines/machine-pool.ts';
import { sampleDriver } from '../../src/core/paths.ts';
import type { DriverImage, DriverRef, InstallOptions } from '../../src/target/types.ts';

/** A sample driver as install's arguments: `install(...sample('clean'))`. */
export function sample(name: string, serviceName = `dc_${name}`): [DriverImage, InstallOptions] {
  return [{ file: sampleDriver(name) }, { name: serviceName }];
}

/** Wine's own sc.exe, run beside the agent: how a service drvcycle did not create comes to be. */
export function wineSc(
  machine: LabMachine,
  args: string[],
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'wine',
      ['sc', ...args],
      { env: wineEnv(machine.prefix), timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
}

export function refTo(name: string): DriverRef {
  return { name };
}

/**
 * These tests reach into the Wine prefix, so they need the lab's machine: the one of the worker's
 * pool that serves the tests now (call again after a revert: another may serve then).
 */
export function lab(pool: Machine): LabMachine {
  const machine = pool instanceof MachinePool ? pool.current : pool;
  if (!(machine instanceof LabMachine))
    throw new Error('This end-to-end test needs the embedded lab (DRVCYCLE_MACHINE=lab).');
  return machine;
}

/** A raw request to a lab machine's agent over its pinned TLS connection (headers as given). */
export function rawAgentFetch(machine: Machine, path: string, init: RequestInit = {}) {
  const agent = lab(machine);
  return agentFetch(
    { url: agent.url, token: '', ...(agent.fingerprint ? { fingerprint: agent.fingerprint } : {}) },
    path,
    init,
  );
}
