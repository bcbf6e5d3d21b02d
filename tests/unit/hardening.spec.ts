/** The agent's input checks that keep it from being misused (pure parts; the lab corpus is e2e). */
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { agentUrl, isLoopback } from '../../src/agent/agent-command.ts';
import { redactQuery } from '../../src/agent/http.ts';
import { validateFileName, validateServiceName } from '../../src/agent/validation.ts';
import { imageDigest, stageImage, stageStream, unstageImage } from '../../src/target/staging.ts';
import { scratchDir } from './scratch.ts';

test('reserved device names are refused as image names, with or without an extension', () => {
  for (const name of ['CON', 'nul', 'aux.sys', 'COM1', 'lpt9.sys', 'CONIN$', 'conout$.sys', 'PRN'])
    expect(() => validateFileName(name), name).toThrow(/Windows reserves it for a device/);
  expect(validateFileName('console.sys')).toBe('console.sys');
  expect(validateFileName('com10.sys')).toBe('com10.sys');
});

test('service names are letters, digits, "_" and "-": no "." or ".."', () => {
  for (const name of ['.', '..', 'a.b', 'a b', '', 'x'.repeat(65)])
    expect(() => validateServiceName(name), name).toThrow(/Invalid service name/);
  expect(validateServiceName('dc_my-driver_2')).toBe('dc_my-driver_2');
});

test('logged URLs keep the query keys the routes read, never a value or another key', () => {
  expect(redactQuery('/v1/services/dc_x?token=s3cret&file=x.sys&runId=r1')).toBe(
    '/v1/services/dc_x?…&file=…&runId=…',
  );
  // A bare `?<token>` is a key without a value.
  const token = '3f9c0a7e5b21d4c86e0f1a2b9d7c4e35a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6';
  expect(redactQuery(`/v1/health?${token}`)).toBe('/v1/health?…');
  expect(redactQuery(`/v1/health?${token}&sha256`)).toBe('/v1/health?…&sha256=…');
  expect(redactQuery('/v1/health')).toBe('/v1/health');
});

test('a plain-HTTP agent beyond loopback is refused, naming TLS, the tunnel and the opt-out', async () => {
  const { plainHttpProblem } = await import('../../src/agent/agent-command.ts');
  const refused = plainHttpProblem('0.0.0.0', false, false);
  expect(refused).toMatchObject({ code: 'DRVCYCLE_CONFIG' });
  expect(refused!.message).toMatch(/--host 0\.0\.0\.0 without TLS: .*token in clear text/);
  expect(refused!.hint).toMatch(/--tls-cert\/--tls-key.*127\.0\.0\.1.*--insecure-plain-http/);
  expect(plainHttpProblem('10.0.0.5', true, false)).toBeUndefined();
  expect(plainHttpProblem('127.0.0.1', false, false)).toBeUndefined();
  expect(plainHttpProblem('::1', false, false)).toBeUndefined();
  expect(plainHttpProblem('10.0.0.5', false, true)).toBeUndefined();
  const { plainHttpUrlProblem } = await import('../../src/core/agent-url.ts');
  expect(plainHttpUrlProblem('http://10.0.0.5:8765')).toMatch(/plain HTTP to another machine/);
  expect(plainHttpUrlProblem('http://{ip}:8765')).toMatch(/plain HTTP to another machine/);
  for (const url of [
    'http://127.0.0.1:8765',
    'http://127.3.0.1:1',
    'http://localhost:1',
    'http://[::1]:8765',
    'https://10.0.0.5:8765',
  ])
    expect(plainHttpUrlProblem(url), url).toBeUndefined();
});

test('the ready URL of an agent bound to any address or IPv6 is one a local client can use', () => {
  expect(agentUrl('::', 4000)).toBe('http://[::1]:4000');
  expect(agentUrl('::1', 4000)).toBe('http://[::1]:4000');
  expect(agentUrl('0.0.0.0', 4000)).toBe('http://127.0.0.1:4000');
  expect(agentUrl('127.0.0.1', 4000)).toBe('http://127.0.0.1:4000');
  expect(isLoopback('::1') && isLoopback('127.0.0.1') && !isLoopback('0.0.0.0')).toBe(true);
});

const image = new TextEncoder().encode('MZ driver bytes');
const folderOf = (bytes: Uint8Array) => imageDigest(bytes).slice(0, 16);

test('staging writes by content, reuses an identical image, and cleans up after itself', async () => {
  const root = scratchDir('drvcycle-staging-');
  const staged = await stageImage(root, 'd.sys', image);
  expect(staged).toBe(path.join(root, folderOf(image), 'd.sys'));
  expect(readFileSync(staged)).toEqual(Buffer.from(image));
  expect(await stageImage(root, 'd.sys', image)).toBe(staged);
  expect(readdirSync(path.dirname(staged))).toEqual(['d.sys']);
  await unstageImage(root, staged);
  expect(readdirSync(root)).toEqual([]);
  // Never outside the staging folder.
  const outside = path.join(scratchDir('drvcycle-outside-'), 'keep.sys');
  writeFileSync(outside, 'x');
  await unstageImage(root, outside);
  expect(readFileSync(outside, 'utf8')).toBe('x');
});

test('staging refuses a link anywhere on its way: the root, a content folder, the file', async () => {
  const elsewhere = scratchDir('drvcycle-elsewhere-');
  const root = scratchDir('drvcycle-staging-');
  symlinkSync(elsewhere, path.join(root, folderOf(image)));
  await expect(stageImage(root, 'd.sys', image)).rejects.toThrow(/is a link/);
  expect(readdirSync(elsewhere)).toEqual([]);

  const linkedRoot = path.join(scratchDir('drvcycle-link-'), 'images');
  symlinkSync(elsewhere, linkedRoot);
  await expect(stageImage(linkedRoot, 'd.sys', image)).rejects.toThrow(/leads to/);

  const root2 = scratchDir('drvcycle-staging-');
  mkdirSync(path.join(root2, folderOf(image)));
  symlinkSync(path.join(elsewhere, 'victim.sys'), path.join(root2, folderOf(image), 'd.sys'));
  await expect(stageImage(root2, 'd.sys', image)).rejects.toThrow(/is a link/);
  expect(readdirSync(elsewhere)).toEqual([]);
});

test('a folder swapped for a link between the checks and the placing cannot overwrite a file elsewhere', async () => {
  // The victim: a "system driver" of the staged image's name, in a folder the link leads to.
  const system = scratchDir('drvcycle-system-');
  writeFileSync(path.join(system, 'd.sys'), 'the system driver');
  const root = scratchDir('drvcycle-staging-');
  const content = path.join(root, folderOf(image));
  const plantLink = () => {
    rmSync(content, { recursive: true, force: true });
    symlinkSync(system, content);
  };
  await expect(
    stageStream(root, 'd.sys', [image], { maxBytes: 1 << 20, beforePlace: plantLink }),
  ).rejects.toThrow(/Refusing to stage a driver image: .*(is a link|other content|landed in)/);
  expect(readFileSync(path.join(system, 'd.sys'), 'utf8')).toBe('the system driver');
  expect(readdirSync(system)).toEqual(['d.sys']);

  // The same with no file of that name there: the image lands beside the link's target, is
  // refused, and nothing there is replaced.
  rmSync(path.join(system, 'd.sys'));
  writeFileSync(path.join(system, 'other.sys'), 'another system driver');
  rmSync(content, { force: true });
  await expect(
    stageStream(root, 'd.sys', [image], { maxBytes: 1 << 20, beforePlace: plantLink }),
  ).rejects.toThrow(/landed in/);
  expect(readFileSync(path.join(system, 'other.sys'), 'utf8')).toBe('another system driver');
  // No temporary file is left in the staging root.
  expect(readdirSync(root)).toEqual([folderOf(image)]);
});

test('the file of a staged image swapped for a link to another file is refused, not reused', async () => {
  const system = scratchDir('drvcycle-system-');
  writeFileSync(path.join(system, 'victim.sys'), image);
  const root = scratchDir('drvcycle-staging-');
  const plantFileLink = (target: string) => {
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync(path.join(system, 'victim.sys'), target);
  };
  await expect(
    stageStream(root, 'd.sys', [image], { maxBytes: 1 << 20, beforePlace: plantFileLink }),
  ).rejects.toThrow(/is a link/);
});

test('removing a staged image never follows a folder swapped for a link', async () => {
  const root = scratchDir('drvcycle-staging-');
  const staged = await stageImage(root, 'd.sys', image);
  const system = scratchDir('drvcycle-system-');
  writeFileSync(path.join(system, 'd.sys'), 'the system driver');
  rmSync(path.dirname(staged), { recursive: true });
  symlinkSync(system, path.dirname(staged));
  await unstageImage(root, staged);
  expect(readFileSync(path.join(system, 'd.sys'), 'utf8')).toBe('the system driver');
});

test('an agent started unelevated on Windows stops at once, saying how to start it', async () => {
  const { elevationProblem } = await import('../../src/windows/nt/elevation.ts');
  expect(elevationProblem(false, false)).toMatch(
    /^The agent is not elevated: .* 5 ERROR_ACCESS_DENIED/,
  );
  expect(elevationProblem(true, false)).toBeUndefined();
  // Wine ignores access rights: the lab's agent never needs it.
  expect(elevationProblem(false, true)).toBeUndefined();
});

test('on Windows the staging root and the token file are left to Administrators and SYSTEM only', async () => {
  const { icaclsArgs, icaclsOwnerArgs } = await import('../../src/agent/acl.ts');
  // Owned by Administrators first: a planted file's owner could otherwise give itself rights back.
  expect(icaclsOwnerArgs('C:\\drvcycle\\token.txt')).toEqual([
    'C:\\drvcycle\\token.txt',
    '/setowner',
    '*S-1-5-32-544',
  ]);
  expect(icaclsArgs('C:\\ProgramData\\drvcycle\\images', true)).toEqual([
    'C:\\ProgramData\\drvcycle\\images',
    '/inheritance:r',
    '/grant:r',
    '*S-1-5-32-544:(OI)(CI)F',
    '/grant:r',
    '*S-1-5-18:(OI)(CI)F',
  ]);
  expect(icaclsArgs('C:\\drvcycle\\token.txt', false)).toContain('*S-1-5-18:F');
});
