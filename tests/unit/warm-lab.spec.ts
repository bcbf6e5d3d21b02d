/** Warm lab machines: which parked machine may serve a run, and how one is claimed (pure, files). */
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { warmSecondsFromEnv } from '../../src/config/machine-settings.ts';
import {
  claimParked,
  parkedFolders,
  parkedProblem,
  type ParkedRecord,
  type WarmIdentity,
} from '../../src/machines/warm-lab.ts';
import { scratchDir } from './scratch.ts';

const IDENTITY: WarmIdentity = {
  scope: '/home/dev/mydriver/reports',
  bundle: '/lab/bundles/0f3c9a1b2d4e5f60/drvcycle-agent',
  base: 1765080000000,
  keeper: 1765080100000,
  winedebug: 'fixme-all,+pid,+debugstr,+relay,+loaddll,trace+ntoskrnl',
  hostMode: 'shared',
  tls: true,
  addressRandomization: false,
};

const record = (identity: Partial<WarmIdentity> = {}): ParkedRecord => ({
  format: 1,
  identity: { ...IDENTITY, ...identity },
  url: 'https://127.0.0.1:41234',
  fingerprint: 'AB'.repeat(32),
  agentPid: 4242,
  keptHosts: [['drvcycle', 4300]],
  keptImages: ['/lab/machines/m0/prefix/drive_c/drvcycle/images/host_keeper.sys'],
  cleanState: { services: [], driverHosts: [4300], stagedImages: [], systemFiles: [] },
  parkedAtMs: 1765080200000,
  warmSeconds: 600,
});

test('a parked machine serves only a run booted the same way, and says what differs', () => {
  expect(parkedProblem(record(), IDENTITY)).toBeUndefined();
  expect(parkedProblem(record({ bundle: '/lab/bundles/other/drvcycle-agent' }), IDENTITY)).toBe(
    'the agent bundle was rebuilt',
  );
  expect(parkedProblem(record({ base: 1, keeper: 2 }), IDENTITY)).toBe(
    "the base prefix was made again; the keeper's image was rebuilt",
  );
  expect(parkedProblem(record({ hostMode: 'own', winedebug: '-all' }), IDENTITY)).toBe(
    'it runs with other Wine debug channels; it hosts drivers another way',
  );
  expect(parkedProblem({ ...record(), format: 2 as 1 }, IDENTITY)).toMatch(/another format/);
  expect(parkedProblem(record({ scope: '/elsewhere/reports' }), IDENTITY)).toBe(
    'it was kept for runs of another reports folder',
  );
});

test('DRVCYCLE_WARM_SECONDS: whole seconds from 0 to a day, or unset', () => {
  expect(warmSecondsFromEnv({})).toBeUndefined();
  expect(warmSecondsFromEnv({ DRVCYCLE_WARM_SECONDS: '0' })).toBe(0);
  expect(warmSecondsFromEnv({ DRVCYCLE_WARM_SECONDS: ' 900 ' })).toBe(900);
  for (const bad of ['-1', '1.5', 'ten', '86401'])
    expect(() => warmSecondsFromEnv({ DRVCYCLE_WARM_SECONDS: bad }), bad).toThrow(
      `DRVCYCLE_WARM_SECONDS "${bad}" is not a whole number of seconds from 0 to 86400.`,
    );
});

test.describe('claiming', () => {
  let lab: string;
  let saved: string | undefined;
  test.beforeEach(() => {
    saved = process.env.DRVCYCLE_LAB_DIR;
    lab = scratchDir('drvcycle-warm-');
    process.env.DRVCYCLE_LAB_DIR = lab;
  });
  test.afterEach(() => {
    if (saved === undefined) delete process.env.DRVCYCLE_LAB_DIR;
    else process.env.DRVCYCLE_LAB_DIR = saved;
    rmSync(lab, { recursive: true, force: true });
  });

  const machine = (name: string, parkedAtS?: number, scope = IDENTITY.scope) => {
    const dir = path.join(lab, 'machines', name);
    mkdirSync(dir, { recursive: true });
    if (parkedAtS !== undefined) {
      const file = path.join(dir, `parked.${name.padEnd(12, '0').slice(0, 12)}.json`);
      writeFileSync(file, JSON.stringify(record({ scope })));
      utimesSync(file, parkedAtS, parkedAtS);
    }
    return dir;
  };

  test("a scope's parked machines are listed oldest first; others', busy and discarded folders are not", () => {
    const newer = machine('aaaaaa', 2_000);
    const older = machine('bbbbbb', 1_000);
    const otherProject = machine('eeeeee', 500, '/elsewhere/reports');
    machine('cccccc');
    mkdirSync(path.join(lab, 'machines', '.discarded-1-dddddd'));
    expect(parkedFolders(IDENTITY.scope)).toEqual([older, newer]);
    // Every scope's (lab down of all of them; pruning).
    expect(parkedFolders(undefined)).toEqual([otherProject, older, newer]);
  });

  test('a record is claimed once: the second claim (another run, or the reaper) finds nothing', () => {
    const dir = machine('aaaaaa', 1_000);
    expect(claimParked(dir)).toEqual(record());
    expect(claimParked(dir)).toBeUndefined();
    expect(parkedFolders(undefined)).toEqual([]);
    // The claimed record stays beside the machine, named by the claimer.
    expect(readdirSync(dir)).toEqual([`parked.aaaaaa000000.json.claimed-${process.pid}`]);
  });
});
