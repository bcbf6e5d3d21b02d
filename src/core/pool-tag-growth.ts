/**
 * On Windows with Driver Verifier, a leak arrives as bugcheck 0xC4/0x62 at unload: the count of
 * allocations not freed, and no tag or size. The pool-tag samples the cycles took before the
 * machine went down still say which of the driver's tags grew: the last one against the baseline
 * taken before the first load (verified on Windows: not yet).
 */
import type { SystemSample } from './records.ts';

type PoolTags = NonNullable<SystemSample['poolTags']>;

export interface TagGrowth {
  readonly tag: string;
  /** Paged plus non-paged bytes more than at the baseline. */
  readonly bytes: number;
  /** Allocations outstanding (allocs − frees) more than at the baseline. */
  readonly allocations: number;
}

const outstanding = (t: PoolTags[string] | undefined) =>
  t ? { bytes: t.pagedBytes + t.nonPagedBytes, allocations: t.allocs - t.frees } : undefined;

/** The tags that hold more in `last` than in `baseline` (a tag absent there counts from 0). */
export function poolTagGrowth(baseline: PoolTags | undefined, last: PoolTags): TagGrowth[] {
  const grown: TagGrowth[] = [];
  for (const [tag, now] of Object.entries(last)) {
    const before = outstanding(baseline?.[tag]) ?? { bytes: 0, allocations: 0 };
    const after = outstanding(now)!;
    const bytes = after.bytes - before.bytes;
    const allocations = after.allocations - before.allocations;
    if (bytes > 0 || allocations > 0) grown.push({ tag, bytes, allocations });
  }
  return grown.sort((a, b) => b.bytes - a.bytes || a.tag.localeCompare(b.tag));
}

/** `DcLs +256 B (+1 allocation)` */
export function describeTagGrowth(growth: readonly TagGrowth[]): string {
  return growth
    .map(
      (g) =>
        `${g.tag} +${g.bytes} B (+${g.allocations} allocation${g.allocations === 1 ? '' : 's'})`,
    )
    .join(', ');
}

/** The latest sample before the failed cycle that carries pool tags, with its cycle. */
export interface TaggedSample {
  readonly cycle: number;
  readonly poolTags: PoolTags;
}
