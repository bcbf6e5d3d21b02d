/**
 * Warm lab machines: a run's clean machine left booted for the next run to take, so a driver
 * developer's next `dev` run skips the boot (a prefix copy, Wine's start-up, the agent, the
 * keeper's host: 2-4 s quiet, 8-12 s under load). A parked machine's folder holds its record,
 * `parked.<nonce>.json`; a detached reaper stops it and deletes the folder after
 * DRVCYCLE_WARM_SECONDS unless a run claimed it first. Claiming is renaming the record away:
 * atomic, so two runs never take one machine, and the reaper never stops a machine that a run
 * took (or that was parked again, under a new nonce, after it).
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { startDetachedWithPid } from '../core/child-process.ts';
import { labPaths } from '../lab/lab-paths.ts';
import { labBundle } from '../lab/lab-agent.ts';
import { baseReadyMark } from '../lab/prefix.ts';
import { sampleDriver } from '../core/paths.ts';
import type { CleanState } from './clean-state.ts';

/** What a machine was booted from and with: a parked machine serves only a run that matches. */
/** How long a run keeps its clean machines booted, and for which runs. */
export interface WarmSettings {
  readonly seconds: number;
  /** The runs that may take them: those writing to the same reports folder (one project's). */
  readonly scope: string;
}

export interface WarmIdentity {
  /** The reports folder of the run that kept it (WarmSettings.scope). */
  readonly scope: string;
  /** The unpacked agent bundle (content-addressed: a rebuilt agent is another folder). */
  readonly bundle: string;
  /** When the base prefix was last made (its ready mark's mtime). */
  readonly base: number;
  /** When the keeper's image was last built. */
  readonly keeper: number;
  readonly winedebug: string;
  readonly hostMode: string;
  readonly tls: boolean;
  readonly addressRandomization: boolean;
}

export interface ParkedRecord {
  readonly format: 1;
  readonly identity: WarmIdentity;
  readonly url: string;
  readonly fingerprint?: string;
  /** The agent's process (the Linux side of Wine's node.exe). */
  readonly agentPid: number;
  readonly keptHosts: readonly (readonly [string, number])[];
  readonly keptImages: readonly string[];
  readonly cleanState: CleanState;
  readonly parkedAtMs: number;
  readonly warmSeconds: number;
}

export function warmIdentity(options: {
  scope: string;
  winedebug: string;
  hostMode: string;
  tls: boolean;
  addressRandomization: boolean;
}): WarmIdentity {
  const mtime = (file: string) => (existsSync(file) ? statSync(file).mtimeMs : 0);
  return {
    bundle: labBundle.dir(),
    base: mtime(baseReadyMark()),
    keeper: mtime(sampleDriver('host_keeper')),
    ...options,
  };
}

/** Why a parked machine may not serve a run with `current`; undefined when it may. */
export function parkedProblem(record: ParkedRecord, current: WarmIdentity): string | undefined {
  if (record.format !== 1) return `its record is of another format (${String(record.format)})`;
  const names: Record<keyof WarmIdentity, string> = {
    scope: 'it was kept for runs of another reports folder',
    bundle: 'the agent bundle was rebuilt',
    base: 'the base prefix was made again',
    keeper: "the keeper's image was rebuilt",
    winedebug: 'it runs with other Wine debug channels',
    hostMode: 'it hosts drivers another way',
    tls: 'its agent serves another protocol',
    addressRandomization: 'its address randomisation differs',
  };
  const changed = (Object.keys(names) as (keyof WarmIdentity)[]).filter(
    (key) => record.identity[key] !== current[key],
  );
  return changed.length > 0 ? changed.map((key) => names[key]).join('; ') : undefined;
}

const PARKED = /^parked\.[0-9a-f]{12}\.json$/;

/**
 * Parks the machine in `dir`: its record, then the reaper that stops it after `seconds`. Returns
 * the reaper's pid (the machine's owner while it is parked: a pruning run leaves it alone).
 */
export function parkMachine(dir: string, record: ParkedRecord): number | undefined {
  const nonce = randomBytes(6).toString('hex');
  const file = `parked.${nonce}.json`;
  const written = path.join(dir, `.${file}.tmp`);
  writeFileSync(written, JSON.stringify(record));
  renameSync(written, path.join(dir, file));
  // The record renamed away (claimed, or parked anew under another nonce): nothing to do. Else
  // stop the prefix's wineserver, SIGKILL every process whose environment names the prefix (its
  // clients outlive a killed server), as a release does, and delete the folder.
  const script = [
    'sleep "$1"',
    'mv "$2/$3" "$2/$3.expired" 2>/dev/null || exit 0',
    'WINEPREFIX="$2/prefix" wineserver -k9 >/dev/null 2>&1',
    'for attempt in 1 2 3 4 5 6 7 8 9 10; do left=0; for e in /proc/[0-9]*/environ; do ' +
      'if grep -qzxF -e "WINEPREFIX=$2/prefix" -e "WINEPREFIX=$2/prefix/" "$e" 2>/dev/null; then ' +
      'p=${e#/proc/}; kill -9 "${p%/environ}" 2>/dev/null && left=1; fi; done; ' +
      '[ "$left" = 0 ] && break; sleep 0.2; done',
    'rm -rf "$2"',
  ].join('; ');
  return startDetachedWithPid('sh', [
    '-c',
    script,
    'drvcycle-warm-reaper',
    String(record.warmSeconds),
    dir,
    file,
  ]);
}

/**
 * Ends the reaper of a machine whose record was claimed (it would find nothing to do, but sleep
 * on until then): the owner named in the folder, when it is that machine's reaper.
 */
export function stopReaper(dir: string, ownerFile: string): void {
  try {
    const pid = Number(readFileSync(path.join(dir, ownerFile), 'utf8'));
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (command.includes('drvcycle-warm-reaper') && command.includes(dir))
      process.kill(-pid, 'SIGKILL'); // its process group: the shell and its sleep
  } catch {
    // gone already, or not a reaper
  }
}

/** Takes a parked machine's record out of its folder: the machine is the caller's from then on. */
export function claimParked(dir: string): ParkedRecord | undefined {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!PARKED.test(name)) continue;
    const claimed = path.join(dir, `${name}.claimed-${process.pid}`);
    try {
      renameSync(path.join(dir, name), claimed);
    } catch {
      continue; // another run, or the reaper, was first
    }
    try {
      return JSON.parse(readFileSync(claimed, 'utf8')) as ParkedRecord;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The machines folders holding a machine parked for `scope`, oldest record first. */
export function parkedFolders(scope: string | undefined): string[] {
  const root = labPaths.machinesDir();
  if (!existsSync(root)) return [];
  const found: { dir: string; at: number }[] = [];
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue;
    const dir = path.join(root, name);
    try {
      const record = readdirSync(dir).find((entry) => PARKED.test(entry));
      if (!record) continue;
      const file = path.join(dir, record);
      const kept = JSON.parse(readFileSync(file, 'utf8')) as ParkedRecord;
      if (scope === undefined || kept.identity?.scope === scope)
        found.push({ dir, at: statSync(file).mtimeMs });
    } catch {
      // a folder on its way out, or a record being claimed
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.dir);
}
