/**
 * What the driver left allocated, grouped by call site: the list behind the lab's exact leak
 * verdict (the decision itself is in wine-pool-trace.ts and docs/verdicts.md).
 */
import type { CallSite } from './wine-pool-callers.ts';

export interface PoolAllocation {
  /** The cycle (the driver's load) it was made in. */
  readonly cycle: number;
  readonly size: number;
  /** The POOL_TYPE value the trace printed. */
  readonly poolType?: number | undefined;
  readonly tag?: string | undefined;
  readonly caller?: CallSite | undefined;
  /** The caller's absolute address when no image loaded in the trace holds it. */
  readonly callerAddress?: string | undefined;
}

export interface LeakedAllocation extends PoolAllocation {
  /** The host process ended with it allocated (not just outlived the next cycle). */
  readonly lost?: true;
}

export interface CallSiteGroup {
  /** `leak_small.sys+0x103c`, the bare address, or undefined (a call the trace did not relay). */
  readonly site: string | undefined;
  readonly caller?: CallSite | undefined;
  /** The function the site lies in, where the image has a symbol or export for it. */
  readonly function?: string | undefined;
  readonly tag?: string | undefined;
  readonly size: number;
  readonly poolType: string;
  readonly count: number;
  readonly bytes: number;
  /** Allocations per cycle they were made in (the first cycles, bounded). */
  readonly perCycle: Record<number, number>;
}

/** How many leaked allocations are kept one by one; the rest are only counted in their group. */
export const LISTED_ALLOCATIONS = 50;
const LISTED_CYCLES_PER_GROUP = 100;

const POOL_TYPES: Record<number, string> = {
  0: 'NonPagedPool',
  1: 'PagedPool',
  2: 'NonPagedPoolMustSucceed',
  4: 'NonPagedPoolCacheAligned',
  5: 'PagedPoolCacheAligned',
  6: 'NonPagedPoolCacheAlignedMustS',
  32: 'NonPagedPoolSession',
  33: 'PagedPoolSession',
  512: 'NonPagedPoolNx',
};

export function poolTypeName(type: number | undefined): string {
  if (type === undefined) return 'pool type unknown';
  return POOL_TYPES[type] ?? `pool type ${type}`;
}

export function callSiteOf(a: PoolAllocation): string | undefined {
  if (a.caller) return `${a.caller.image}+0x${a.caller.offset.toString(16)}`;
  return a.callerAddress;
}

interface MutableGroup {
  site: string | undefined;
  caller: CallSite | undefined;
  tag: string | undefined;
  size: number;
  poolType: string;
  count: number;
  bytes: number;
  perCycle: Record<number, number>;
  cyclesListed: number;
}

/** The leaked allocations of one run: the first ones listed, all of them counted by call site. */
export class LeakLedger {
  private readonly listed: LeakedAllocation[] = [];
  private readonly groups = new Map<string, MutableGroup>();
  private total = 0;
  private first: number | undefined;

  add(allocation: LeakedAllocation): void {
    this.total++;
    if (this.first === undefined || allocation.cycle < this.first) this.first = allocation.cycle;
    if (this.listed.length < LISTED_ALLOCATIONS) this.listed.push(allocation);
    const site = callSiteOf(allocation);
    const poolType = poolTypeName(allocation.poolType);
    const key = `${site}|${allocation.tag}|${allocation.size}|${poolType}`;
    let group = this.groups.get(key);
    if (!group) {
      group = {
        site,
        caller: allocation.caller,
        tag: allocation.tag,
        size: allocation.size,
        poolType,
        count: 0,
        bytes: 0,
        perCycle: {},
        cyclesListed: 0,
      };
      this.groups.set(key, group);
    }
    group.count++;
    group.bytes += allocation.size;
    if (group.perCycle[allocation.cycle] !== undefined) group.perCycle[allocation.cycle]!++;
    else if (group.cyclesListed < LISTED_CYCLES_PER_GROUP) {
      group.perCycle[allocation.cycle] = 1;
      group.cyclesListed++;
    }
  }

  copy(): LeakLedger {
    const copy = new LeakLedger();
    copy.listed.push(...this.listed);
    for (const [key, group] of this.groups)
      copy.groups.set(key, { ...group, perCycle: { ...group.perCycle } });
    copy.total = this.total;
    copy.first = this.first;
    return copy;
  }

  /** Adds another ledger's allocations, their cycles shifted (a later machine of the same run). */
  merge(other: LeakLedger, cycleShift: number): void {
    for (const allocation of other.listed)
      if (this.listed.length < LISTED_ALLOCATIONS)
        this.listed.push({ ...allocation, cycle: allocation.cycle + cycleShift });
    for (const [key, group] of other.groups) {
      const perCycle: Record<number, number> = {};
      for (const [cycle, n] of Object.entries(group.perCycle))
        perCycle[Number(cycle) + cycleShift] = n;
      const mine = this.groups.get(key);
      if (!mine) {
        this.groups.set(key, { ...group, perCycle });
        continue;
      }
      mine.count += group.count;
      mine.bytes += group.bytes;
      for (const [cycle, n] of Object.entries(perCycle))
        if (mine.cyclesListed < LISTED_CYCLES_PER_GROUP) {
          mine.perCycle[Number(cycle)] = (mine.perCycle[Number(cycle)] ?? 0) + n;
          mine.cyclesListed++;
        }
    }
    this.total += other.total;
    if (other.first !== undefined) {
      const first = other.first + cycleShift;
      if (this.first === undefined || first < this.first) this.first = first;
    }
  }

  /** The earliest cycle among the allocations. */
  get firstCycle(): number | undefined {
    return this.first;
  }

  get count(): number {
    return this.total;
  }

  /** The allocations' bytes together. */
  get bytes(): number {
    let bytes = 0;
    for (const group of this.groups.values()) bytes += group.bytes;
    return bytes;
  }

  allocations(): { listed: LeakedAllocation[]; omitted: number } {
    return { listed: [...this.listed], omitted: this.total - this.listed.length };
  }

  /** By call site, the largest first; `name` finds the function of a site where it can. */
  callSites(name: (site: CallSite) => string | undefined = () => undefined): CallSiteGroup[] {
    return [...this.groups.values()]
      .map((g) => {
        const fn = g.caller ? name(g.caller) : undefined;
        return {
          site: g.site,
          caller: g.caller,
          ...(fn ? { function: fn } : {}),
          tag: g.tag,
          size: g.size,
          poolType: g.poolType,
          count: g.count,
          bytes: g.bytes,
          perCycle: { ...g.perCycle },
        };
      })
      .sort((a, b) => b.bytes - a.bytes || b.count - a.count);
  }
}

/** `× 1 per cycle` when two or more cycles in a row each made the same number, else the cycles. */
function rate(group: CallSiteGroup): string {
  const cycles = Object.keys(group.perCycle)
    .map(Number)
    .sort((a, b) => a - b);
  const counts = cycles.map((c) => group.perCycle[c]!);
  const inARow = cycles.length > 1 && cycles.at(-1)! - cycles[0]! + 1 === cycles.length;
  if (inARow && counts.every((n) => n === counts[0])) return `× ${counts[0]} per cycle`;
  const shown = cycles.slice(0, 5).join(', ');
  const more = cycles.length > 5 ? ', …' : '';
  return `× ${group.count} in cycle${cycles.length === 1 ? '' : 's'} ${shown}${more}`;
}

/** `256 B`, `4 KiB`, `1 MiB`: a whole number of the largest unit that divides it. */
export function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** `DcLs 256 B × 1 per cycle (NonPagedPool) from leak_small.sys+0x103c (DriverEntry)` */
export function describeCallSite(group: CallSiteGroup): string {
  const tag = group.tag ?? 'untagged';
  const from = group.site
    ? ` from ${group.site}${group.function ? ` (${group.function})` : ''}`
    : ' from a caller the trace did not name';
  return `${tag} ${sizeText(group.size)} ${rate(group)} (${group.poolType})${from}`;
}

/** The verdict's detail: how many allocations outlived the driver, then the call sites. */
export function describeLeak(groups: readonly CallSiteGroup[], total: number, shown = 3): string {
  const sites = groups.slice(0, shown).map(describeCallSite).join('; ');
  const more =
    groups.length > shown
      ? `; and ${groups.length - shown} more call site${groups.length - shown === 1 ? '' : 's'}`
      : '';
  return `${total} allocation${total === 1 ? '' : 's'} alive after unload: ${sites}${more}`;
}

/** The list a leak verdict attaches (leak-allocations.md): call sites, then the allocations. */
export function leakListMarkdown(input: {
  readonly driver: string;
  readonly leakCycle: number | undefined;
  readonly callSites: readonly CallSiteGroup[];
  readonly allocations: readonly LeakedAllocation[];
  readonly omitted: number;
}): string {
  const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|');
  const lines = [
    input.leakCycle !== undefined
      ? `# ${input.driver}: leak at cycle ${input.leakCycle}`
      : `# ${input.driver}: no leak`,
    '',
    'Allocations of the driver still allocated after the last unload, by call site:',
    '',
    '| tag | size | pool type | count | bytes | call site | function | cycles |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...input.callSites.map(
      (g) =>
        `| ${cell(g.tag ?? 'untagged')} | ${g.size} | ${g.poolType} | ${g.count} | ${g.bytes} | ${cell(g.site ?? 'not named')} | ${cell(g.function ?? '')} | ${Object.keys(g.perCycle).join(', ')} |`,
    ),
    '',
    'Each allocation:',
    '',
    '| cycle | tag | size | pool type | call site | note |',
    '| --- | --- | --- | --- | --- | --- |',
    ...input.allocations.map(
      (a) =>
        `| ${a.cycle} | ${cell(a.tag ?? 'untagged')} | ${a.size} | ${poolTypeName(a.poolType)} | ${cell(callSiteOf(a) ?? 'not named')} | ${a.lost ? 'its host process ended with it allocated' : ''} |`,
    ),
    ...(input.omitted > 0
      ? ['', `${input.omitted} more allocations not listed (counted above).`]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The call sites a leak verdict's evidence carries, described, or none (another signal's verdict). */
export function leakCallSitesOf(evidence: Record<string, unknown>): string[] {
  const sites = evidence.callSites;
  if (!Array.isArray(sites)) return [];
  return sites
    .filter(
      (g): g is CallSiteGroup =>
        typeof g === 'object' &&
        g !== null &&
        typeof (g as CallSiteGroup).size === 'number' &&
        typeof (g as CallSiteGroup).poolType === 'string' &&
        typeof (g as CallSiteGroup).perCycle === 'object',
    )
    .map(describeCallSite);
}
