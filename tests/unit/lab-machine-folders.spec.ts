/**
 * Lab machine folders: two processes of one run id (two shards side by side on one lab) each get
 * their own, and the leftovers of a killed run are still told by their owner file, not by name.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import {
  discardFolder,
  LabMachine,
  labMachineFolder,
  pruneOrphanMachines,
} from '../../src/machines/lab.ts';
import { scratchDir } from './scratch.ts';

test('two processes of one run id get their own folder for the same worker and slot', () => {
  expect(labMachineFolder('run-a', 0, 0, 4101)).toBe('run-a-p4101-m0');
  expect(labMachineFolder('run-a', 1, 1, 4101)).toBe('run-a-p4101-m1.1');
  expect(labMachineFolder('run-a', 0, 0, 4101)).not.toBe(labMachineFolder('run-a', 0, 0, 4102));
  // A process's machines carry its pid: a second one (another shard's worker) gets another name.
  const here = new LabMachine({ index: 0, runId: 'run-a' });
  expect(path.basename(here.dir)).toBe(labMachineFolder('run-a', 0, 0, process.pid));
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/machines/lab.ts').then((m) => console.log(new m.LabMachine({ index: 0, runId: 'run-a' }).dir))",
    ],
    { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  expect(child.status, child.stderr).toBe(0);
  const there = child.stdout.trim();
  expect(there).not.toBe(here.dir);
  expect(path.basename(there)).toBe(labMachineFolder('run-a', 0, 0, child.pid));
  // `lab down` names the folder `lab up` made, from another process.
  expect(new LabMachine({ index: 0, runId: 'run-a', folder: 'manual-x-p1-m0' }).dir).toBe(
    path.join(path.dirname(here.dir), 'manual-x-p1-m0'),
  );
});

test('a killed process’s folders are pruned, a live one’s of the same run id are kept', async () => {
  const lab = scratchDir('drvcycle-lab-folders-');
  const before = process.env.DRVCYCLE_LAB_DIR;
  process.env.DRVCYCLE_LAB_DIR = lab;
  try {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const machines = path.join(lab, 'machines');
    const make = (pid: number) => {
      const dir = path.join(machines, labMachineFolder('run-b', 0, 0, pid));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'owner.pid'), String(pid));
      return path.basename(dir);
    };
    const live = make(process.pid);
    const killed = make(gone);
    const alive = (pid: number) => pid === process.pid;
    expect(await pruneOrphanMachines(alive)).toEqual([killed]);
    expect(readdirSync(machines)).toEqual([live]);
    expect(existsSync(path.join(machines, killed))).toBe(false);
  } finally {
    if (before === undefined) delete process.env.DRVCYCLE_LAB_DIR;
    else process.env.DRVCYCLE_LAB_DIR = before;
  }
});

test('a released machine’s folder leaves at once and is deleted in the background; one whose delete was cut short is pruned later', async () => {
  const lab = scratchDir('drvcycle-lab-folders-');
  const before = process.env.DRVCYCLE_LAB_DIR;
  process.env.DRVCYCLE_LAB_DIR = lab;
  try {
    const machines = path.join(lab, 'machines');
    const dir = path.join(machines, labMachineFolder('run-c', 0));
    mkdirSync(path.join(dir, 'prefix', 'drive_c'), { recursive: true });
    writeFileSync(path.join(dir, 'prefix', 'system.reg'), 'WINE REGISTRY Version 2');
    const discarded = discardFolder(dir)!;
    // Gone from its name at once: no run takes it for a machine, nor its run for a leftover.
    expect(existsSync(dir)).toBe(false);
    expect(path.basename(discarded)).toMatch(/^\.discarded-\d+-run-c-p\d+-m0$/);
    await expect.poll(() => existsSync(discarded), { timeout: 10_000 }).toBe(false);

    // A discarded folder whose rm did not finish: left alone while it may still be at work,
    // pruned once it is long past that.
    const recent = path.join(machines, `.discarded-${Date.now()}-run-d-p1-m0`);
    const stale = path.join(machines, `.discarded-${Date.now() - 3_600_000}-run-e-p1-m0`);
    for (const folder of [recent, stale])
      mkdirSync(path.join(folder, 'prefix'), { recursive: true });
    expect(await pruneOrphanMachines(() => false)).toEqual([path.basename(stale)]);
    expect(readdirSync(machines)).toEqual([path.basename(recent)]);
  } finally {
    if (before === undefined) delete process.env.DRVCYCLE_LAB_DIR;
    else process.env.DRVCYCLE_LAB_DIR = before;
  }
});
