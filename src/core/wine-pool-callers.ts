/**
 * Who made a pool allocation, from Wine's relay and loaddll channels. With the prefix's
 * `RelayInclude` naming the pool calls (src/lab/relay-include.ts) and `WINEDEBUG=+relay,+loaddll`,
 * each call a module makes into ntoskrnl's pool functions is printed with its arguments and the
 * caller's return address, just before the `trace+ntoskrnl` line of the same thread:
 *   0130:013c:trace:loaddll:build_module Loaded L"C:\\…\\leak_small.sys" at 0000000296AD0000: native
 *   0130:013c:Call ntoskrnl.exe.ExAllocatePoolWithTag(00000000,00000100,734c6344) ret=296ad103c
 *   0130:013c:trace:ntoskrnl:ExAllocatePoolWithTag 256 pool 0 -> 00000000014A0370
 *   0130:013c:Ret {2}ntoskrnl.exe.ExAllocatePoolWithTag() retval=014a0370 ret=296ad103c
 *   0130:013c:trace:loaddll:free_modref Unloaded module L"C:\\…\\leak_small.sys" : native
 * The Ret line's retval is cut to 32 bits, so the allocation's address comes from the trace line;
 * the Call line gives the tag (a little-endian ULONG: 0x734c6344 is "DcLs") and the caller, which
 * is named as an offset into the image loaded at the highest base at or below it in that process.
 * Wine's own pool calls inside ntoskrnl are not relayed: they carry no caller.
 */
import { unescapeWinePath } from './wine-path.ts';

const CALL =
  /^([0-9a-f]+:[0-9a-f]+):Call ntoskrnl\.exe\.(ExAllocatePool(?:WithTag)?)\(([0-9a-f,]*)\) ret=([0-9a-f]+)\s*$/i;
const RET = /^([0-9a-f]+:[0-9a-f]+):Ret {2}ntoskrnl\.exe\.ExAllocatePool/i;
const LOADED =
  /^([0-9a-f]+):[0-9a-f]+:trace:loaddll:build_module Loaded L"(.*)" at ([0-9a-f]+): \w+\s*$/i;
const UNLOADED = /^([0-9a-f]+):[0-9a-f]+:trace:loaddll:free_modref Unloaded module L"(.*)" :/i;

/** No module is this large: a caller further than this above every known base is not in one. */
const MAX_IMAGE_BYTES = 0x4000000n;

export interface CallSite {
  /** The image's file name, lower-cased as Wine printed it (`leak_small.sys`). */
  readonly image: string;
  /** The return address's offset into the image (its RVA). */
  readonly offset: number;
}

export interface PoolCallDetails {
  readonly tag?: string;
  readonly caller?: CallSite;
  /** The caller's absolute address when no known image holds it. */
  readonly address?: string;
}

/** A pool tag as 4 characters (little-endian, as `!poolused` shows it), or hex if unprintable. */
export function poolTagText(tag: number): string {
  const chars = [0, 8, 16, 24].map((shift) => (tag >>> shift) & 0xff);
  if (chars.every((c) => c >= 0x20 && c < 0x7f)) return String.fromCharCode(...chars);
  return `0x${tag.toString(16).padStart(8, '0')}`;
}

export class WinePoolCallers {
  /** Per process: the images it has loaded, by base address. */
  private readonly images = new Map<string, Map<bigint, string>>();
  /** Per thread (`pid:tid`): the relayed pool call whose trace line comes next. */
  private readonly pending = new Map<string, PoolCallDetails>();

  /** Takes the line if it is a relay or loaddll line; true when it was one. */
  feed(line: string): boolean {
    const call = CALL.exec(line);
    if (call) {
      const args = call[3]!.split(',').map((a) => parseInt(a, 16));
      const withTag = call[2]!.endsWith('WithTag');
      const address = BigInt(`0x${call[4]}`);
      this.pending.set(call[1]!.toLowerCase(), {
        ...(withTag && args.length >= 3 ? { tag: poolTagText(args[2]! >>> 0) } : {}),
        ...this.siteOf(call[1]!.split(':')[0]!.toLowerCase(), address),
      });
      return true;
    }
    if (RET.test(line)) {
      this.pending.delete(RET.exec(line)![1]!.toLowerCase());
      return true;
    }
    const loaded = LOADED.exec(line);
    if (loaded) {
      const pid = loaded[1]!.toLowerCase();
      let images = this.images.get(pid);
      if (!images) this.images.set(pid, (images = new Map()));
      images.set(BigInt(`0x${loaded[3]}`), unescapeWinePath(loaded[2]!));
      return true;
    }
    const unloaded = UNLOADED.exec(line);
    if (unloaded) {
      const images = this.images.get(unloaded[1]!.toLowerCase());
      const image = unescapeWinePath(unloaded[2]!);
      for (const [base, path] of images ?? []) if (path === image) images!.delete(base);
      return true;
    }
    return false;
  }

  /** The relayed call behind the pool trace line that thread `pidTid` just printed, if any. */
  take(pidTid: string): PoolCallDetails {
    const key = pidTid.toLowerCase();
    const details = this.pending.get(key) ?? {};
    this.pending.delete(key);
    return details;
  }

  /** The process is gone (or its id now names another): forget its images. */
  forget(pid: string): void {
    this.images.delete(pid.toLowerCase());
    const prefix = `${pid.toLowerCase()}:`;
    for (const key of [...this.pending.keys()])
      if (key.startsWith(prefix)) this.pending.delete(key);
  }

  private siteOf(pid: string, address: bigint): { caller: CallSite } | { address: string } {
    let best: [bigint, string] | undefined;
    for (const [base, path] of this.images.get(pid) ?? [])
      if (base <= address && (!best || base > best[0])) best = [base, path];
    if (!best || address - best[0] >= MAX_IMAGE_BYTES)
      return { address: `0x${address.toString(16)}` };
    return {
      caller: { image: best[1].split('\\').pop()!, offset: Number(address - best[0]) },
    };
  }
}

/** `leak_small.sys+0x103c`, or the bare address. */
export function callSiteText(details: PoolCallDetails): string | undefined {
  if (details.caller) return `${details.caller.image}+0x${details.caller.offset.toString(16)}`;
  return details.address;
}
