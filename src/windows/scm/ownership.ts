/**
 * Ownership of services: every service drvcycle creates carries a marker with the run id, both in
 * its display name (set atomically by CreateService, so a crash right after creation still leaves
 * an owned service) and in its description (for people reading services.msc).
 */
import { assertRunId } from '../../core/run-id.ts';

const MARKER = /\bdrvcycle:run=([A-Za-z0-9-]{1,40})\b/;

export type Ownership =
  { readonly owned: true; readonly runId: string } | { readonly owned: false };

export function ownedDisplayName(service: string, runId: string): string {
  assertRunId(runId);
  return `${service} (drvcycle:run=${runId})`;
}

export function ownedDescription(runId: string, created: Date): string {
  assertRunId(runId);
  return `Driver under test, created by drvcycle at ${created.toISOString()}; drvcycle removes it. drvcycle:run=${runId}`;
}

export function readOwnership(service: { displayName: string; description: string }): Ownership {
  const match = MARKER.exec(service.displayName) ?? MARKER.exec(service.description);
  return match?.[1] ? { owned: true, runId: match[1] } : { owned: false };
}

/** Services left by earlier runs (a crashed runner never removed them): owned, other run id. */
export function isStale(ownership: Ownership, currentRunId: string): boolean {
  return ownership.owned && ownership.runId !== currentRunId;
}

export function describeOwnership(ownership: Ownership): string {
  return ownership.owned ? `owned by drvcycle run ${ownership.runId}` : 'no drvcycle marker';
}
