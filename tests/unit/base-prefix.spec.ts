/** The lab's base prefix: a registry changed after the lab made it (Wine run in it by hand) is caught. */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  baseReadyMark,
  baseRegistryChange,
  isBasePrefixReady,
  recordBaseRegistry,
} from '../../src/lab/prefix.ts';
import { scratchDir } from './scratch.ts';

/** A folder with a base prefix's marks and registry files (their first lines as Wine writes them). */
function fakeBasePrefix(): string {
  const prefix = scratchDir('drvcycle-base-');
  for (const name of ['system.reg', 'user.reg', 'userdef.reg'])
    writeFileSync(
      path.join(prefix, name),
      'WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n#arch=win64\n',
    );
  writeFileSync(baseReadyMark(prefix), '1');
  return prefix;
}

test('a base prefix whose registry changed after it was recorded says why, and stays a finished prefix', () => {
  const prefix = fakeBasePrefix();
  // Made before the record existed: nothing to compare.
  expect(baseRegistryChange(prefix)).toBeUndefined();
  expect(isBasePrefixReady(prefix)).toBe(true);
  recordBaseRegistry(prefix);
  expect(baseRegistryChange(prefix)).toBeUndefined();
  // What a Wine program run in it saves on exit.
  appendFileSync(path.join(prefix, 'user.reg'), '\n[Software\\\\Wine\\\\Debug] 1796656000\n');
  expect(baseRegistryChange(prefix)).toBe(
    `its registry changed since the lab made it (a Wine program ran in ${prefix})`,
  );
  // Finished all the same: provisioning makes it again, a revert names the change, not a missing prefix.
  expect(isBasePrefixReady(prefix)).toBe(true);
  // Recorded again (provisioning finished after a rebuild): unchanged.
  recordBaseRegistry(prefix);
  expect(baseRegistryChange(prefix)).toBeUndefined();
});
