import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { bearerMatches, validateToken } from '../../src/agent/auth.ts';
import {
  isPathAllowed,
  validateCycles,
  validateFileName,
  validateInstall,
  validateRunId,
} from '../../src/agent/validation.ts';

const allow = ['C:\\drvcycle\\images', 'D:\\Drivers\\'];

test('paths inside the allowed folders pass, case-insensitively', () => {
  expect(isPathAllowed('C:\\drvcycle\\images\\ab\\x.sys', allow)).toBe(true);
  expect(isPathAllowed('c:/DRVCYCLE/images/x.sys', allow)).toBe(true);
  expect(isPathAllowed('D:\\Drivers\\x.sys', allow)).toBe(true);
});

test('traversal, prefix tricks and other drives are refused', () => {
  expect(isPathAllowed('C:\\drvcycle\\images\\..\\..\\Windows\\x.sys', allow)).toBe(false);
  expect(isPathAllowed('C:\\drvcycle\\images-evil\\x.sys', allow)).toBe(false);
  expect(isPathAllowed('C:\\drvcycle\\images', allow)).toBe(false);
  expect(isPathAllowed('E:\\drvcycle\\images\\x.sys', allow)).toBe(false);
  expect(() => isPathAllowed('\\\\host\\share\\x.sys', allow)).toThrow(/absolute Windows path/);
});

test('install requests are normalised and typed', () => {
  expect(
    validateInstall(
      'dc_x',
      { binaryPath: 'C:\\drvcycle\\images\\a\\..\\b\\x.sys', runId: 'r1' },
      allow,
    ),
  ).toEqual({
    name: 'dc_x',
    runId: 'r1',
    binaryPath: 'C:\\drvcycle\\images\\b\\x.sys',
    type: 'kernel',
    group: undefined,
  });
  expect(() =>
    validateInstall(
      'dc_x',
      { binaryPath: 'C:\\drvcycle\\images\\x.sys', runId: 'r1', type: 'user' },
      allow,
    ),
  ).toThrow(/"kernel" or "filesystem"/);
  expect(() =>
    validateInstall('dc_x', { binaryPath: 'C:\\drvcycle\\images\\x.sys' }, allow),
  ).toThrow(/Expected `runId`/);
  expect(() =>
    validateInstall('dc_x', { binaryPath: 'C:\\Windows\\x.sys', runId: 'r1' }, allow),
  ).toThrow(/outside the agent's allowed folders/);
  expect(() => validateInstall('dc_x', { binaryPath: 42, runId: 'r1' }, allow)).toThrow(
    /Expected `binaryPath`/,
  );
});

test('an uploaded image is named by its query: file name, group and retry=false', () => {
  expect(
    validateInstall(
      'dc_x',
      { file: 'My Driver.sys', runId: 'r1', type: 'filesystem', group: 'g 1', retry: 'false' },
      allow,
    ),
  ).toEqual({
    name: 'dc_x',
    runId: 'r1',
    fileName: 'My Driver.sys',
    type: 'filesystem',
    group: 'g 1',
    retry: false,
  });
  expect(() => validateInstall('dc_x', { runId: 'r1' }, allow)).toThrow(/Invalid image file name/);
  expect(() => validateInstall('dc_x', { file: '..\\x.sys', runId: 'r1' }, allow)).toThrow(
    /Invalid image file name/,
  );
  expect(() =>
    validateInstall('dc_x', { file: 'x.sys', runId: 'r1', retry: 'true' }, allow),
  ).toThrow(/`retry` to be false or absent/);
  expect(() =>
    validateInstall('dc_x', { file: 'x.sys', runId: 'r1', group: 'a/b' }, allow),
  ).toThrow(/Invalid load-order group "a\/b"/);
});

test('run ids are letters, digits and dashes', () => {
  expect(validateRunId('20261125T100000-abc123')).toBe('20261125T100000-abc123');
  for (const bad of [undefined, '', 'a b', 'x'.repeat(41), 42, '../x'])
    expect(() => validateRunId(bad), JSON.stringify(bad)).toThrow(/Expected `runId`/);
});

test('file names may have spaces and non-ASCII letters, but no folders or reserved characters', () => {
  expect(validateFileName('My Drïver 2.sys')).toBe('My Drïver 2.sys');
  for (const bad of [
    '..',
    'a\\b.sys',
    'a/b.sys',
    'x:y.sys',
    'x.sys.',
    '',
    'a\u0001.sys',
    'x'.repeat(121),
  ]) {
    expect(() => validateFileName(bad), JSON.stringify(bad)).toThrow(/Invalid image file name/);
  }
});

test('cycle options are bounded', () => {
  expect(validateCycles({ count: 3, stopTimeoutMs: 500 })).toEqual({
    count: 3,
    stopTimeoutMs: 500,
  });
  expect(() => validateCycles({ count: 1.5 })).toThrow(/whole number/);
  expect(() => validateCycles({ count: 2, startTimeoutMs: 'soon' })).toThrow(/startTimeoutMs/);
});

test('the host barrier is only ever a lab keeper’s device, and only with an I/O table', () => {
  const io = { device: '\\\\.\\DcIoClean', operations: [{ name: 'get', ioctl: '0x222000' }] };
  for (const keeper of ['\\\\.\\drvcycle_host', '\\\\.\\drvcycle_host_0a1b2c3d'])
    expect(validateCycles({ count: 1, io, hostBarrier: keeper }).hostBarrier).toBe(keeper);
  // Without a table nothing is opened: the barrier is dropped.
  expect(validateCycles({ count: 1, hostBarrier: '\\\\.\\drvcycle_host' })).toEqual({ count: 1 });
  for (const bad of [
    '\\\\.\\PhysicalDrive0',
    '\\\\.\\drvcycle_host_XYZ',
    '\\\\.\\drvcycle_host\\..\\C:',
    'drvcycle_host',
    42,
  ])
    expect(() => validateCycles({ count: 1, io, hostBarrier: bad }), String(bad)).toThrow(
      /Expected `hostBarrier` to be a lab keeper's device/,
    );
});

test('tokens: minimum length, and the bearer check', () => {
  expect(() => validateToken('short')).toThrow(/at least 32 characters \(got 5\)/);
  const token = validateToken(`${STRONG}\r\n`);
  expect(token).toBe(STRONG);
  expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
  expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
  expect(bearerMatches(`Basic ${token}`, token)).toBe(false);
  expect(bearerMatches(undefined, token)).toBe(false);
  expect(bearerMatches('Bearer ', token)).toBe(false);
});

const STRONG = '3f9c0a7e5b21d4c86e0f1a2b9d7c4e35a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6';

test('weak tokens are refused, each saying why and how to make a strong one', () => {
  const weak: [string, RegExp][] = [
    ['a'.repeat(32), /only 1 different ones/],
    ['a'.repeat(64), /only 1 different ones/],
    ['ab'.repeat(32), /only 2 different ones/],
    // A tiny alphabet: 40 random-looking binary digits are ~40 bits.
    ['0110100110010110011010011001011001101001', /only 2 different ones/],
    ['deadbeef'.repeat(8), /repetition of its first 8 characters/],
    ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', /run of consecutive characters/],
    [`${STRONG.slice(0, 20)} ${STRONG.slice(20)}`, /whitespace/],
    [`${STRONG.slice(0, 20)}\t${STRONG.slice(20)}`, /whitespace/],
    [`${STRONG.slice(0, 20)}\u0000${STRONG.slice(20)}`, /not printable ASCII/],
    [`${STRONG.slice(0, 20)}é${STRONG.slice(20)}`, /not printable ASCII/],
  ];
  for (const [token, why] of weak) {
    expect(() => validateToken(token), JSON.stringify(token)).toThrow(why);
    expect(() => validateToken(token)).toThrow(/drvcycle agent --init .*openssl rand -hex 32/);
  }
  // What --init and openssl write pass, a 128-bit hex token too.
  for (const token of [
    STRONG,
    randomBytes(32).toString('hex'),
    randomBytes(16).toString('hex'),
    randomBytes(32).toString('base64url'),
  ])
    expect(validateToken(token), token).toBe(token);
});

test('a PnP install and a PnP batch: `pnp` is true or absent, a group goes into its INF', () => {
  expect(validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'true' }, allow)).toMatchObject(
    { pnp: true, fileName: 'p.sys' },
  );
  expect(validateInstall('dc_p', { file: 'p.sys', runId: 'r1' }, allow)).not.toHaveProperty('pnp');
  expect(() => validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'yes' }, allow)).toThrow(
    'Expected `pnp` to be true or absent.',
  );
  // The lab's kept host: the runner names its group, the INF drvcycle writes carries it.
  expect(
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'true', group: 'g' }, allow),
  ).toMatchObject({ pnp: true, group: 'g' });
  // A team INF, uploaded before, is named by its SHA-256.
  const sha = 'AB'.repeat(32);
  expect(
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'true', inf: sha }, allow),
  ).toMatchObject({ pnp: true, infSha256: sha.toLowerCase() });
  expect(() =>
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'true', inf: '../x.inf' }, allow),
  ).toThrow('Expected `inf`: the SHA-256 (64 hex digits) of the INF uploaded for this service.');
  // Its catalog, uploaded the same way, goes only with the INF.
  expect(
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', inf: sha, catalog: sha }, allow),
  ).toMatchObject({ infSha256: sha.toLowerCase(), catalogSha256: sha.toLowerCase() });
  expect(() =>
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', inf: sha, catalog: 'x.cat' }, allow),
  ).toThrow(
    'Expected `catalog`: the SHA-256 (64 hex digits) of the catalog uploaded for this service.',
  );
  expect(() =>
    validateInstall('dc_p', { file: 'p.sys', runId: 'r1', pnp: 'true', catalog: sha }, allow),
  ).toThrow('A `catalog` goes with the team INF that names it: send `inf` too.');
  expect(validateCycles({ count: 3, pnp: true })).toEqual({ count: 3, pnp: true });
  expect(validateCycles({ count: 3, pnp: false })).toEqual({ count: 3 });
  expect(() => validateCycles({ count: 3, pnp: 'true' })).toThrow(
    /Expected `pnp` to be true or false/,
  );
});
