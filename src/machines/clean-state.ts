/**
 * What must be as it was for a machine to serve the next test: its state right after it came up
 * clean (its snapshot of what matters), compared with its state now. Anything a test added or
 * took away is named; an empty list is the proof that the machine may be reused.
 */

/** A machine's state, as far as a test can change it. */
export interface CleanState {
  /** drvcycle-owned services other than the machine's own keepers, with their state. */
  readonly services: readonly { readonly name: string; readonly state: string }[];
  /** Driver host processes (the lab's winedevice.exe), by process id. */
  readonly driverHosts: readonly number[];
  /** Driver images staged by the agent (paths below its staging folder). */
  readonly stagedImages: readonly string[];
  /** Files of the folders drivers are installed into (system32\drivers, the INF folder), by path. */
  readonly systemFiles: readonly string[];
}

/** What the machine itself keeps running between tests (the lab's host keepers). */
export interface KeptState {
  /** Per load-order group, the host its keeper holds open. */
  readonly keptHosts: ReadonlyMap<string, number>;
  /** The keepers' staged images. */
  readonly keptImages: ReadonlySet<string>;
}

/** Why the machine is not as clean as its snapshot says it was; empty when it is. */
export function leftoversAgainst(clean: CleanState, now: CleanState, kept: KeptState): string[] {
  const found: string[] = [];
  if (now.services.length > 0)
    found.push(`services left: ${now.services.map((s) => `${s.name} (${s.state})`).join(', ')}`);
  for (const [group, pid] of kept.keptHosts)
    if (!now.driverHosts.includes(pid))
      found.push(`the driver host of group "${group}" (pid ${pid}) is gone`);
  const known = new Set([...clean.driverHosts, ...kept.keptHosts.values()]);
  const strayHosts = now.driverHosts.filter((pid) => !known.has(pid));
  if (strayHosts.length > 0)
    found.push(`driver hosts no keeper holds: pid ${strayHosts.join(', ')}`);
  const gone = clean.driverHosts.filter((pid) => !now.driverHosts.includes(pid));
  if (gone.length > 0)
    found.push(`the machine's own driver hosts are gone: pid ${gone.join(', ')}`);
  const staged = now.stagedImages.filter((file) => !kept.keptImages.has(file));
  if (staged.length > 0) found.push(`staged images left: ${staged.join(', ')}`);
  const before = new Set(clean.systemFiles);
  const after = new Set(now.systemFiles);
  const added = now.systemFiles.filter((f) => !before.has(f));
  const removed = clean.systemFiles.filter((f) => !after.has(f));
  if (added.length > 0) found.push(`files added: ${added.join(', ')}`);
  if (removed.length > 0) found.push(`files removed: ${removed.join(', ')}`);
  return found;
}
