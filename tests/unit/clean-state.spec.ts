import { expect, test } from '@playwright/test';
import { leftoversAgainst, type CleanState } from '../../src/machines/clean-state.ts';

// A lab machine as it was read right after boot (Wine's own driver hosts 7514 and 7529, the
// stock system32\drivers and INF files) and after a test that kept the shared host (7697).
const PREFIX = '/work/labs/x/machines/run-m0/prefix/drive_c';
const clean: CleanState = {
  services: [],
  driverHosts: [7514, 7529],
  stagedImages: [],
  systemFiles: [
    `${PREFIX}/windows/inf/machine.inf`,
    `${PREFIX}/windows/system32/drivers/mountmgr.sys`,
  ],
};
const keeperImage = `${PREFIX}/drvcycle/images/1303fd720efc07e8/host_keeper.sys`;
const kept = { keptHosts: new Map([['drvcycle-host', 7697]]), keptImages: new Set([keeperImage]) };

test('a machine with only its keeper added is clean', () => {
  const now = { ...clean, driverHosts: [7514, 7529, 7697], stagedImages: [keeperImage] };
  expect(leftoversAgainst(clean, now, kept)).toEqual([]);
});

test('what a test left is named: services, hosts, staged images, files added and removed', () => {
  const now: CleanState = {
    services: [{ name: 'dc_ep_hang_in_unload', state: 'STOP_PENDING' }],
    driverHosts: [7514, 7756],
    stagedImages: [keeperImage, `${PREFIX}/drvcycle/images/0ae330d8359ff544/clean.sys`],
    systemFiles: [`${PREFIX}/windows/inf/machine.inf`, `${PREFIX}/windows/inf/oem7.inf`],
  };
  expect(leftoversAgainst(clean, now, kept)).toEqual([
    'services left: dc_ep_hang_in_unload (STOP_PENDING)',
    'the driver host of group "drvcycle-host" (pid 7697) is gone',
    'driver hosts no keeper holds: pid 7756',
    "the machine's own driver hosts are gone: pid 7529",
    `staged images left: ${PREFIX}/drvcycle/images/0ae330d8359ff544/clean.sys`,
    `files added: ${PREFIX}/windows/inf/oem7.inf`,
    `files removed: ${PREFIX}/windows/system32/drivers/mountmgr.sys`,
  ]);
});
