/**
 * Builds the repro record of a failed verdict from what the test ran with: the resolved settings,
 * the image's hash, the run's seed and drvcycle variables, and the machine's kind and facts.
 */
import { readFile } from 'node:fs/promises';
import type { IoTable } from '../core/io-table.ts';
import type { ReproRecord } from '../core/repro-record.ts';
import type { Verdict } from '../core/verdict.ts';
import { DRVCYCLE_VERSION } from '../core/version.ts';
import type { MachineSettings } from '../config/machine-settings.ts';
import type { Settings } from '../config/settings.ts';
import type { TargetInfo } from '../target/types.ts';
import { driverFileFacts } from './driver-file.ts';

export interface ReproCaptureInput {
  readonly verdict: Pick<Verdict, 'cycle' | 'phase' | 'evidence'>;
  readonly family: string | undefined;
  readonly settings: Settings;
  readonly seed: number;
  readonly machineName: string;
  readonly machineSettings: Pick<MachineSettings, 'provider'> & { hostMode?: string | undefined };
  readonly target: TargetInfo | undefined;
  /** The run's drvcycle variables, by name (RECORDED_SETTINGS of the process's environment). */
  readonly environment: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/**
 * A fuzzing table the run drew a seed for (none given) records the drawn one, which the verdict's
 * evidence names (`io.fuzzSeed`): the rerun fuzzes with the same bytes.
 */
export function withDrawnSeed(io: IoTable, evidence: Record<string, unknown>): IoTable {
  const drawn = (evidence.io as { fuzzSeed?: unknown } | undefined)?.fuzzSeed;
  if (!io.fuzz || io.fuzz.seed !== undefined || typeof drawn !== 'number') return io;
  return { ...io, fuzz: { ...io.fuzz, seed: drawn } };
}

export async function captureRepro(input: ReproCaptureInput): Promise<ReproRecord> {
  const { settings, target } = input;
  const image = await readFile(settings.driver.imagePath).then(driverFileFacts, () => undefined);
  const { driver } = settings;
  // A comparison's verdict: the baseline it was judged against, by its hash, and how it was judged.
  const baseline =
    input.family === 'compare' && settings.baseline
      ? {
          ...settings.baseline,
          ...(await readFile(settings.baseline.imagePath).then(driverFileFacts, () => ({
            sha256: 'unreadable',
            bytes: 0,
          }))),
        }
      : undefined;
  return {
    drvcycleVersion: DRVCYCLE_VERSION,
    seed: input.seed,
    family: input.family,
    cycle: input.verdict.cycle,
    phase: input.verdict.phase,
    driver: {
      imagePath: driver.imagePath,
      // An image gone since the test started: the record says so, and repro refuses it.
      sha256: image?.sha256 ?? 'unreadable',
      bytes: image?.bytes ?? 0,
      serviceName: driver.serviceName,
      type: driver.type,
      group: driver.group,
      kind: driver.kind,
      poolTags: driver.poolTags,
      ...(driver.pnpStrategy ? { pnpStrategy: driver.pnpStrategy } : {}),
      ...(driver.infPath ? { infPath: driver.infPath } : {}),
      ...(driver.catalogPath ? { catalogPath: driver.catalogPath } : {}),
      ...(driver.io ? { io: withDrawnSeed(driver.io, input.verdict.evidence) } : {}),
    },
    ...(baseline
      ? {
          baseline: {
            imagePath: baseline.imagePath,
            sha256: baseline.sha256,
            bytes: baseline.bytes,
            serviceName: baseline.serviceName,
          },
          compare: settings.compare,
        }
      : {}),
    settings: {
      profile: settings.profile,
      cycles: settings.cycles,
      leakCycles: settings.leakCycles,
      soakSeconds: settings.soakSeconds,
      startTimeoutMs: settings.startTimeoutMs,
      stopTimeoutMs: settings.stopTimeoutMs,
      errorPathStopTimeoutMs: settings.errorPathStopTimeoutMs,
      sampleEvery: settings.sampleEvery,
      leakThresholds: { ...settings.leakThresholds },
    },
    machine: {
      provider: input.machineSettings.provider,
      name: input.machineName,
      ...(input.machineSettings.hostMode ? { labHost: input.machineSettings.hostMode } : {}),
      facts: target
        ? {
            os: target.os,
            osVersion: target.osVersion,
            arch: target.arch,
            wineVersion: target.wineVersion,
            hostname: target.hostname,
            agentVersion: target.agentVersion,
          }
        : {},
    },
    environment: { ...input.environment },
    cwd: input.cwd,
  };
}
