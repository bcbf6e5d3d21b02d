/**
 * A PnP driver's package as drvcycle installs it: the team's INF as written when it can be (its
 * catalog signature intact), its catalog carried, a driver-store image refused on Wine; and the
 * published package removed on uninstall, against a FakeDriverStoreApi that answers as SetupAPI
 * does (SetupCopyOEMInf with SP_COPY_NOOVERWRITE: ERROR_FILE_EXISTS and the published copy's path).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ScmError } from '../../src/core/errors.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { teamInfRefusal } from './team-inf-refusal.ts';
import { teamInfPackage } from '../../src/target/pnp-install.ts';
import { removeDriverPackage } from '../../src/windows/pnp/driver-store.ts';
import {
  ERROR_FILE_EXISTS,
  SP_COPY_NOOVERWRITE,
  SUOI_FORCEDELETE,
  type DriverStoreApi,
} from '../../src/windows/pnp/setupapi.ts';

const TEAM = readFileSync(path.join(PACKAGE_ROOT, 'drivers/src/pnp_team.inf'), 'utf8');
const IMAGE = 'pnp_clean.sys';
const OWNED = { displayName: 'DcTeamPnp (drvcycle:run=r1)', description: 'drvcycle:run=r1' };
/** The sample without its DisplayName: nothing in its service section for drvcycle to replace. */
const BARE = TEAM.replace(/^DisplayName .*\n/m, '');
const utf16 = (text: string) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

const refusal = (fn: () => unknown) => teamInfRefusal(fn).message;

test('a team INF whose service section leaves the marker alone is installed byte for byte', () => {
  const written = utf16(BARE);
  const pkg = teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: written }, OWNED);
  expect(pkg.bytes.equals(written)).toBe(true);
  // Also on the lab, whose host group the service got at creation (AddService leaves it).
  const lab = { runId: 'r1', teamInf: written, onWine: true, loadOrderGroup: 'drvcycle-host' };
  expect(teamInfPackage('DcTeamPnp', IMAGE, lab, { ...OWNED, ...lab }).bytes.equals(written)).toBe(
    true,
  );
  // One that sets DisplayName is rewritten: the marker replaces it.
  const rewritten = teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: TEAM }, OWNED);
  expect(rewritten.bytes.equals(Buffer.from(TEAM))).toBe(false);
  expect(rewritten.text).toContain('DisplayName = "DcTeamPnp (drvcycle:run=r1)"');
  expect(rewritten.text).not.toContain('%DcTeamPnp.SVCDESC%');
});

test('the catalog an INF names must come with it, and none without', () => {
  const signed = BARE.replace('PnpLockdown=1', 'PnpLockdown=1\nCatalogFile=pnp_team.cat');
  expect(
    refusal(() => teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: signed }, OWNED)),
  ).toBe('its [Version] names the catalog pnp_team.cat, and none came with it');
  const catalog = new Uint8Array([0x30, 0x82]);
  expect(
    teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: signed, catalog }, OWNED).inf
      .catalogFile,
  ).toBe('pnp_team.cat');
  expect(
    refusal(() =>
      teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: BARE, catalog }, OWNED),
    ),
  ).toBe('a catalog came with it, but its [Version] names no CatalogFile');
});

test('a driver-store image (DIRID 13) is installed on Windows and refused on Wine, which has no driver store', () => {
  const store = TEAM.replace('DefaultDestDir = 12', 'DefaultDestDir = 13').replace(
    '%12%\\pnp_clean.sys',
    '%13%\\pnp_clean.sys',
  );
  expect(
    teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: store }, OWNED).inf.imageDirid,
  ).toBe('13');
  expect(
    refusal(() =>
      teamInfPackage('DcTeamPnp', IMAGE, { runId: 'r1', teamInf: store, onWine: true }, OWNED),
    ),
  ).toMatch(/^it runs its image from the driver store \(DIRID 13\), which Wine 8 does not have/);
});

/** A fake of SetupCopyOEMInf/SetupUninstallOEMInf: which INFs are published, and under what name. */
class FakeDriverStoreApi {
  readonly calls: string[] = [];
  lastError = 0;
  /** Published copies: the source INF's path → its name in the INF folder. */
  published = new Map<string, string>();
  /** SetupCopyOEMInf's answer for an INF not yet published (0 = it publishes it as oem<N>.inf). */
  publishError = 0;
  uninstallError = 0;

  asApi(): DriverStoreApi {
    return {
      GetLastError: () => this.lastError,
      SetupCopyOEMInfW: (...args: unknown[]) => {
        const [source, , , style, buffer] = args as [string, null, number, number, Uint16Array];
        this.calls.push(`SetupCopyOEMInfW ${source} style=${style}`);
        const answer = (name: string) => {
          const path16 = Buffer.from(`C:\\Windows\\INF\\${name}\0`, 'utf16le');
          buffer.set(new Uint16Array(path16.buffer, path16.byteOffset, path16.byteLength / 2));
        };
        const name = this.published.get(source);
        if (name === undefined) {
          if (this.publishError) {
            this.lastError = this.publishError;
            return 0;
          }
          const published = `oem${this.published.size + 7}.inf`;
          this.published.set(source, published);
          answer(published);
          return 1;
        }
        answer(name);
        if (style & SP_COPY_NOOVERWRITE) {
          this.lastError = ERROR_FILE_EXISTS;
          return 0;
        }
        return 1;
      },
      SetupUninstallOEMInfW: (...args: unknown[]) => {
        const [name, flags] = args as [string, number];
        this.calls.push(`SetupUninstallOEMInfW ${name} flags=${flags}`);
        if (this.uninstallError) {
          this.lastError = this.uninstallError;
          return 0;
        }
        for (const [source, published] of this.published)
          if (published === name) this.published.delete(source);
        return 1;
      },
    };
  }
}

const STAGED = 'C:\\drvcycle\\images\\pnp\\0123456789abcdef\\DcTeamPnp.inf';

test('uninstall removes the package the installs published, found by SetupCopyOEMInf’s ERROR_FILE_EXISTS', () => {
  const fake = new FakeDriverStoreApi();
  fake.published.set(STAGED, 'oem12.inf');
  expect(removeDriverPackage(STAGED, 'DcTeamPnp', { force: false }, fake.asApi())).toBe(
    'oem12.inf',
  );
  expect(fake.calls).toEqual([
    `SetupCopyOEMInfW ${STAGED} style=${SP_COPY_NOOVERWRITE}`,
    'SetupUninstallOEMInfW oem12.inf flags=0',
  ]);
  expect(fake.published.size).toBe(0);
  // Wine deletes only with SUOI_FORCEDELETE (without it, a FIXME answers success).
  const wine = new FakeDriverStoreApi();
  wine.published.set(STAGED, 'DcTeamPnp.inf');
  removeDriverPackage(STAGED, 'DcTeamPnp', { force: true }, wine.asApi());
  expect(wine.calls.at(-1)).toBe(`SetupUninstallOEMInfW DcTeamPnp.inf flags=${SUOI_FORCEDELETE}`);
});

test('a package never published is published by the look-up and removed at once; one that cannot be is left alone', () => {
  const fake = new FakeDriverStoreApi();
  expect(removeDriverPackage(STAGED, 'DcTeamPnp', { force: false }, fake.asApi())).toBe('oem7.inf');
  expect(fake.published.size).toBe(0);
  const refused = new FakeDriverStoreApi();
  refused.publishError = 0xe0000247; // ERROR_DRIVER_STORE_ADD_FAILED: nothing of it is there
  expect(
    removeDriverPackage(STAGED, 'DcTeamPnp', { force: false }, refused.asApi()),
  ).toBeUndefined();
  expect(refused.calls).toEqual([`SetupCopyOEMInfW ${STAGED} style=${SP_COPY_NOOVERWRITE}`]);
});

test('a package Windows will not remove is an ScmError naming SetupUninstallOEMInf and the code', () => {
  const fake = new FakeDriverStoreApi();
  fake.published.set(STAGED, 'oem12.inf');
  fake.uninstallError = 0xe000023d; // ERROR_INF_IN_USE_BY_DEVICES
  let caught: unknown;
  try {
    removeDriverPackage(STAGED, 'DcTeamPnp', { force: false }, fake.asApi());
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ScmError);
  expect(caught).toMatchObject({
    operation: 'SetupUninstallOEMInf',
    service: 'DcTeamPnp',
    win32Code: 0xe000023d,
  });
});
