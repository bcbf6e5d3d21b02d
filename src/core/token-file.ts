/**
 * Whether a token file can be trusted: nobody but its owner (POSIX) or SYSTEM and Administrators
 * (Windows) may change it, or whoever can plant a token can use an agent that loads kernel
 * drivers. The decisions are pure, on what stat or the file's security descriptor says; reading
 * the descriptor on Windows is src/windows/nt/file-security.ts.
 */

import { statSync } from 'node:fs';
import { ConfigError } from './errors.ts';

/** What the decision needs of a POSIX stat. */
export interface PosixFileMode {
  readonly mode: number;
  readonly uid: number;
}

/**
 * Why a token file is not safe on POSIX, or undefined: writable by group or others, or owned by
 * another user than `uid` (root may own it). With `secret`, also readable by group or others.
 */
export function posixTokenFileProblem(
  file: string,
  stat: PosixFileMode,
  uid: number,
  secret: boolean,
): string | undefined {
  const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
  if (stat.uid !== uid && stat.uid !== 0)
    return `${file} belongs to user ${stat.uid}, not to this user (${uid}) or root: whoever owns it can change the token.`;
  if (stat.mode & 0o022)
    return `${file} can be changed by ${stat.mode & 0o002 ? 'any user' : 'its group'} (mode ${mode}): whoever can write it chooses the token.`;
  if (secret && stat.mode & 0o044)
    return `${file} can be read by ${stat.mode & 0o004 ? 'any user' : 'its group'} (mode ${mode}): whoever reads it can use the agent.`;
  return undefined;
}

export const posixTokenFileHint = (file: string): string =>
  `Make it yours and private: chmod 600 ${file} (and chown it to the user that runs drvcycle), or write a new one with: npx drvcycle agent --init --token-file ${file}`;

/** SIDs that may own and write an agent's token file (Windows). */
export const TRUSTED_SIDS: ReadonlyMap<string, string> = new Map([
  ['S-1-5-18', 'SYSTEM'],
  ['S-1-5-32-544', 'Administrators'],
  // TrustedInstaller: owns system files, and can do more than Administrators anyway.
  ['S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464', 'TrustedInstaller'],
]);

/** OWNER RIGHTS: an ACE for it grants to the owner, who must be trusted already. */
const OWNER_RIGHTS = 'S-1-3-4';

/** An access control entry, as it is in the DACL. */
export interface Ace {
  /** ACE_HEADER.AceType: 0 allowed, 1 denied, 5/6 object, 9/10 callback, 11/12 callback object. */
  readonly type: number;
  /** ACE_HEADER.AceFlags: 0x08 INHERIT_ONLY_ACE applies only to children, not to this file. */
  readonly flags: number;
  readonly mask: number;
  readonly sid: string;
}

/** A file's security descriptor, decoded: its owner and its DACL (null: no DACL, all access). */
export interface FileSecurity {
  readonly owner: string | undefined;
  readonly dacl: readonly Ace[] | null;
}

const ALLOWED_TYPES = new Set([0x0, 0x5, 0x9, 0xb]);
const INHERIT_ONLY_ACE = 0x08;

/** Rights that change a file, its security or its existence (a generic right included). */
const WRITE_RIGHTS: readonly [number, string][] = [
  [0x2, 'write data'],
  [0x4, 'append data'],
  [0x10000, 'delete'],
  [0x40000, 'change permissions'],
  [0x80000, 'take ownership'],
  [0x10000000, 'full control (GENERIC_ALL)'],
  [0x40000000, 'write (GENERIC_WRITE)'],
];
/** Rights that read a file's data. */
const READ_RIGHTS: readonly [number, string][] = [
  [0x1, 'read data'],
  [0x80000000, 'read (GENERIC_READ)'],
];

function rightsOf(mask: number, rights: readonly [number, string][]): string[] {
  return rights.filter(([bit]) => (mask & bit) >>> 0 === bit).map(([, name]) => name);
}

/**
 * Why a token file is not safe on Windows, or undefined: owned by anyone but SYSTEM or
 * Administrators, no DACL (everyone has full access), or an ACE that grants another account a
 * right to change it (or, with `secret`, to read it). Deny ACEs grant nothing and are skipped, as
 * are inherit-only ones (they do not apply to the file itself).
 */
export function windowsTokenFileProblem(
  file: string,
  security: FileSecurity,
  secret: boolean,
): string | undefined {
  if (!security.owner || !TRUSTED_SIDS.has(security.owner))
    return `${file} is owned by ${security.owner ?? 'nobody'}, not by SYSTEM or Administrators: its owner can change the token.`;
  if (security.dacl === null)
    return `${file} has no access list (a NULL DACL): every account can change the token.`;
  for (const ace of security.dacl) {
    if (!ALLOWED_TYPES.has(ace.type) || ace.flags & INHERIT_ONLY_ACE) continue;
    if (TRUSTED_SIDS.has(ace.sid) || ace.sid === OWNER_RIGHTS) continue;
    const writes = rightsOf(ace.mask, WRITE_RIGHTS);
    if (writes.length > 0)
      return `${file} lets ${ace.sid}${wellKnown(ace.sid)} ${writes.join(', ')} (access mask 0x${(ace.mask >>> 0).toString(16)}): whoever can write it chooses the token.`;
    const reads = secret ? rightsOf(ace.mask, READ_RIGHTS) : [];
    if (reads.length > 0)
      return `${file} lets ${ace.sid}${wellKnown(ace.sid)} ${reads.join(', ')} (access mask 0x${(ace.mask >>> 0).toString(16)}): whoever reads it can use the agent.`;
  }
  return undefined;
}

const WELL_KNOWN: Record<string, string> = {
  'S-1-1-0': 'Everyone',
  'S-1-3-0': 'CREATOR OWNER',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-546': 'Guests',
  'S-1-5-4': 'INTERACTIVE',
};
const wellKnown = (sid: string) =>
  WELL_KNOWN[sid] ? ` (${WELL_KNOWN[sid]})` : /^S-1-5-21-/.test(sid) ? ' (a user or group)' : '';

export const windowsTokenFileHint = (file: string): string =>
  `Leave it to SYSTEM and Administrators, from an elevated prompt: icacls "${file}" /inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F and icacls "${file}" /setowner *S-1-5-32-544 — or write a new one with: drvcycle agent --init --token-file "${file}"`;

/** A SID in its binary form (at `offset` of `bytes`), as a string: S-1-5-32-544. */
export function sidString(bytes: Uint8Array, offset: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const revision = view.getUint8(offset);
  const count = view.getUint8(offset + 1);
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + view.getUint8(offset + 2 + i);
  const parts = [
    `S-${revision}`,
    authority >= 2 ** 32 ? `0x${authority.toString(16)}` : String(authority),
  ];
  for (let i = 0; i < count; i++) parts.push(String(view.getUint32(offset + 8 + 4 * i, true)));
  return parts.join('-');
}

const SE_DACL_PRESENT = 0x0004;
const SE_SELF_RELATIVE = 0x8000;

/**
 * A self-relative SECURITY_DESCRIPTOR (what GetSecurityDescriptorLength measures and
 * MakeSelfRelativeSD makes), decoded to its owner and DACL.
 * https://learn.microsoft.com/openspecs/windows_protocols/ms-dtyp/7d4dac05-9cef-4563-a058-f108abecce1d
 */
export function decodeSecurityDescriptor(bytes: Uint8Array): FileSecurity {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 20 || view.getUint8(0) !== 1)
    throw new Error(`Not a security descriptor (${bytes.byteLength} bytes).`);
  const control = view.getUint16(2, true);
  if (!(control & SE_SELF_RELATIVE)) throw new Error('Not a self-relative security descriptor.');
  const ownerAt = view.getUint32(4, true);
  const daclAt = view.getUint32(16, true);
  const owner = ownerAt ? sidString(bytes, ownerAt) : undefined;
  if (!(control & SE_DACL_PRESENT) || daclAt === 0) return { owner, dacl: null };
  const count = view.getUint16(daclAt + 4, true);
  const dacl: Ace[] = [];
  let at = daclAt + 8;
  for (let i = 0; i < count; i++) {
    const type = view.getUint8(at);
    const flags = view.getUint8(at + 1);
    const size = view.getUint16(at + 2, true);
    const mask = view.getUint32(at + 4, true);
    let sidAt = at + 8;
    if (type === 0x5 || type === 0x6 || type === 0xb || type === 0xc) {
      // Object ACEs: a flags word, then the GUIDs it says are present, then the SID.
      const objectFlags = view.getUint32(at + 8, true);
      sidAt = at + 12 + (objectFlags & 1 ? 16 : 0) + (objectFlags & 2 ? 16 : 0);
    }
    dacl.push({ type, flags, mask, sid: sidString(bytes, sidAt) });
    at += size;
  }
  return { owner, dacl };
}

/**
 * On POSIX: refuses (ConfigError) a token file another user owns or others can write (with
 * `secret`, read). `what` names the file as the user gave it (a flag or a variable).
 */
export function assertPosixTokenFile(file: string, what: string, secret: boolean): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const problem = posixTokenFileProblem(file, statSync(file), process.getuid(), secret);
  if (problem)
    throw new ConfigError(
      `Refusing the token file (${what}): ${problem}`,
      posixTokenFileHint(file),
    );
}
