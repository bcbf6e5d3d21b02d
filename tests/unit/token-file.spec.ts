/**
 * Token files nobody else can change: the decision on Windows security descriptors (real bytes,
 * made by ConvertStringSecurityDescriptorToSecurityDescriptorW from the SDDL beside each, in the
 * lab's Wine prefix), on POSIX modes, and the agent and runner refusing a file others can write.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runAgent } from '../../src/agent/agent-command.ts';
import { agentsFromEnv } from '../../src/config/machine-settings.ts';
import {
  decodeSecurityDescriptor,
  posixTokenFileProblem,
  windowsTokenFileProblem,
} from '../../src/core/token-file.ts';
import { scratchDir } from './scratch.ts';

const FILE = 'C:\\ProgramData\\drvcycle\\token.txt';
const USER = 'S-1-5-21-1004336348-1177238915-682003330-1001';

/** Self-relative security descriptors as Windows (here: Wine 8's advapi32) lays them out. */
const DESCRIPTORS = {
  // What `icacls … /inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F` and /setowner leave.
  'O:BAG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)':
    '010004941400000024000000000000003000000001020000000000052000000020020000010100000000000512000000020034000200000000001400ff011f0001010000000000051200000000001800ff011f0001020000000000052000000020020000',
  'O:BAD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)':
    '01000494140000000000000000000000240000000102000000000005200000002002000002004c000300000000001400ff011f0001010000000000051200000000001800ff011f0001020000000000052000000020020000000018008900120001020000000000052000000021020000',
  // Inherited from a folder where Users may modify (ProgramData's subfolders let them write).
  'O:BAD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1201bf;;;BU)':
    '01000484140000000000000000000000240000000102000000000005200000002002000002004c000300000000101400ff011f0001010000000000051200000000101800ff011f000102000000000005200000002002000000101800bf01120001020000000000052000000021020000',
  // Planted by a standard user, then its rights fixed: the owner is still that user.
  [`O:${USER}D:PAI(A;;FA;;;SY)(A;;FA;;;BA)`]:
    '0100049414000000000000000000000030000000010500000000000515000000dcf4dc3b833d2b46828ba628e9030000020034000200000000001400ff011f0001010000000000051200000000001800ff011f0001020000000000052000000020020000',
  'O:BAD:PAI(D;;FA;;;WD)(A;;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;FA;;;CO)':
    '01000494140000000000000000000000240000000102000000000005200000002002000002005c000400000001001400ff011f0001010000000000010000000000001400ff011f0001010000000000051200000000001800ff011f0001020000000000052000000020020000000b1400ff011f00010100000000000300000000',
  [`O:BAD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;GA;;;${USER})`]:
    '010004941400000000000000000000002400000001020000000000052000000020020000020058000300000000001400ff011f0001010000000000051200000000001800ff011f00010200000000000520000000200200000000240000000010010500000000000515000000dcf4dc3b833d2b46828ba628e9030000',
  'O:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x100000;;;AU)':
    '0100049414000000000000000000000020000000010100000000000512000000020048000300000000001400ff011f0001010000000000051200000000001800ff011f0001020000000000052000000020020000000014000000100001010000000000050b000000',
} as const;

const decode = (sddl: keyof typeof DESCRIPTORS | string) =>
  decodeSecurityDescriptor(Buffer.from(DESCRIPTORS[sddl as keyof typeof DESCRIPTORS], 'hex'));

test('security descriptors decode to their owner and DACL: SIDs, types, flags, masks', () => {
  expect(decode('O:BAG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)')).toEqual({
    owner: 'S-1-5-32-544',
    dacl: [
      { type: 0, flags: 0, mask: 0x1f01ff, sid: 'S-1-5-18' },
      { type: 0, flags: 0, mask: 0x1f01ff, sid: 'S-1-5-32-544' },
    ],
  });
  expect(decode(`O:${USER}D:PAI(A;;FA;;;SY)(A;;FA;;;BA)`).owner).toBe(USER);
  expect(decode('O:BAD:PAI(D;;FA;;;WD)(A;;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;FA;;;CO)').dacl).toEqual([
    { type: 1, flags: 0, mask: 0x1f01ff, sid: 'S-1-1-0' },
    { type: 0, flags: 0, mask: 0x1f01ff, sid: 'S-1-5-18' },
    { type: 0, flags: 0, mask: 0x1f01ff, sid: 'S-1-5-32-544' },
    { type: 0, flags: 0x0b, mask: 0x1f01ff, sid: 'S-1-3-0' },
  ]);
});

test('a Windows token file: only SYSTEM and Administrators may own or change it, or read it', () => {
  const problem = (sddl: string, secret = true) =>
    windowsTokenFileProblem(FILE, decode(sddl), secret);
  expect(problem('O:BAG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)')).toBeUndefined();
  // A deny grants nothing; an inherit-only ACE (for a folder's children) does not apply to it.
  expect(
    problem('O:BAD:PAI(D;;FA;;;WD)(A;;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;FA;;;CO)'),
  ).toBeUndefined();
  // SYNCHRONIZE alone changes nothing.
  expect(problem('O:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x100000;;;AU)')).toBeUndefined();

  expect(problem(`O:${USER}D:PAI(A;;FA;;;SY)(A;;FA;;;BA)`)).toBe(
    `${FILE} is owned by ${USER}, not by SYSTEM or Administrators: its owner can change the token.`,
  );
  expect(problem('O:BAD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1201bf;;;BU)')).toBe(
    `${FILE} lets S-1-5-32-545 (Users) write data, append data (access mask 0x1201bf): whoever can write it chooses the token.`,
  );
  expect(problem(`O:BAD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;GA;;;${USER})`)).toMatch(
    /lets S-1-5-21-.* \(a user or group\) full control \(GENERIC_ALL\) \(access mask 0x10000000\)/,
  );
  // Read by Users: refused for the agent's own token (a reader can use the agent) …
  expect(problem('O:BAD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)')).toMatch(
    /lets S-1-5-32-545 \(Users\) read data .*whoever reads it can use the agent/,
  );
  // … and not for a check of writers alone.
  expect(problem('O:BAD:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)', false)).toBeUndefined();

  // No DACL at all (SE_DACL_PRESENT with no ACL, or no SE_DACL_PRESENT): every account has full access.
  const nullDacl = Buffer.from(DESCRIPTORS['O:BAG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)'], 'hex');
  nullDacl.writeUInt32LE(0, 16);
  expect(windowsTokenFileProblem(FILE, decodeSecurityDescriptor(nullDacl), true)).toMatch(
    /no access list \(a NULL DACL\)/,
  );
  expect(() => decodeSecurityDescriptor(new Uint8Array(8))).toThrow(/Not a security descriptor/);
});

test("a POSIX token file: this user's (or root's), and nobody else may write it (or read it)", () => {
  const uid = 1000;
  expect(posixTokenFileProblem('t', { mode: 0o100600, uid }, uid, true)).toBeUndefined();
  expect(posixTokenFileProblem('t', { mode: 0o100400, uid: 0 }, uid, true)).toBeUndefined();
  expect(posixTokenFileProblem('t', { mode: 0o100644, uid }, uid, false)).toBeUndefined();
  expect(posixTokenFileProblem('t', { mode: 0o100620, uid }, uid, false)).toMatch(
    /can be changed by its group \(mode 620\)/,
  );
  expect(posixTokenFileProblem('t', { mode: 0o100666, uid }, uid, false)).toMatch(
    /can be changed by any user \(mode 666\)/,
  );
  expect(posixTokenFileProblem('t', { mode: 0o100600, uid: 1001 }, uid, false)).toMatch(
    /belongs to user 1001, not to this user \(1000\) or root/,
  );
  expect(posixTokenFileProblem('t', { mode: 0o100644, uid }, uid, true)).toMatch(
    /can be read by any user \(mode 644\): whoever reads it can use the agent/,
  );
});

const STRONG = '3f9c0a7e5b21d4c86e0f1a2b9d7c4e35a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6';

function tokenFile(mode: number, text = STRONG): string {
  const file = path.join(scratchDir('drvcycle-token-'), 'token');
  writeFileSync(file, `${text}\n`);
  chmodSync(file, mode);
  return file;
}

test('the agent refuses a token file others can change or read, saying how to fix it', async () => {
  test.skip(process.platform === 'win32', 'the POSIX check');
  for (const [mode, why] of [
    [0o666, /can be changed by any user \(mode 666\)/],
    [0o620, /can be changed by its group/],
    [0o604, /can be read by any user/],
  ] as const) {
    const file = tokenFile(mode);
    await expect(runAgent(['--token-file', file])).rejects.toMatchObject({
      code: 'DRVCYCLE_CONFIG',
      message: expect.stringMatching(why),
      hint: expect.stringContaining(`chmod 600 ${file}`),
    });
  }
  // A weak token, even in a private file.
  await expect(runAgent(['--token-file', tokenFile(0o600, 'a'.repeat(32))])).rejects.toMatchObject({
    code: 'DRVCYCLE_CONFIG',
    message: expect.stringContaining('only 1 different ones'),
  });
});

test('agent --init replaces a planted token file with a new one of its own, mode 600', async () => {
  test.skip(process.platform === 'win32', 'POSIX modes');
  const planted = tokenFile(0o666, 'planted');
  const before = statSync(planted);
  await runAgent(['--init', '--token-file', planted]);
  const after = statSync(planted);
  expect(after.ino).not.toBe(before.ino);
  expect(after.mode & 0o777).toBe(0o600);
});

test('the runner refuses a token file others can change, and warns of plain HTTP to another machine', async () => {
  test.skip(process.platform === 'win32', 'the POSIX check');
  const env = { DRVCYCLE_AGENTS: 'https://10.9.9.9:8765', DRVCYCLE_AGENT_TOKEN_FILE: '' };
  expect(() => agentsFromEnv({ ...env, DRVCYCLE_AGENT_TOKEN_FILE: tokenFile(0o646) })).toThrow(
    /Refusing the token file \(DRVCYCLE_AGENT_TOKEN_FILE\): .* can be changed by any user/,
  );
  expect(agentsFromEnv({ ...env, DRVCYCLE_AGENT_TOKEN_FILE: tokenFile(0o644) }).token).toBe(STRONG);

  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    written.push(String(chunk));
    return true;
  }) as typeof write;
  try {
    agentsFromEnv({
      DRVCYCLE_AGENTS: 'http://10.9.9.8:8765,http://127.0.0.1:8765,https://10.9.9.7:8765',
      DRVCYCLE_AGENT_TOKEN_FILE: tokenFile(0o600),
    });
  } finally {
    process.stderr.write = write;
  }
  expect(written).toHaveLength(1);
  expect(written[0]).toMatch(
    /^drvcycle: WARNING: http:\/\/10\.9\.9\.8:8765 is plain HTTP to another machine: every request would carry the agent's token in clear text/,
  );
});
