/**
 * The lab's driver-host keepers (drivers/src/host_keeper.c): one service per load-order group,
 * started by the machine itself (not by a test), so never a test's leftover. Each keeper has a
 * device named after its service, which the agent calls to wait for the host (target/host-barrier.ts).
 */
export const HOST_KEEPER_PREFIX = 'drvcycle_host';

const KEEPER_SERVICE = /^drvcycle_host(?:_[0-9a-f]{8})?$/;

export function isHostKeeper(name: string): boolean {
  return KEEPER_SERVICE.test(name);
}

/** A keeper's Win32 device path: `\\.\<service>`. */
export function keeperDevicePath(keeper: string): string {
  return `\\\\.\\${keeper}`;
}

/** Whether `path` is a keeper's device path (the only device the agent opens on its own). */
export function isKeeperDevicePath(path: string): boolean {
  return path.startsWith('\\\\.\\') && isHostKeeper(path.slice(4));
}
