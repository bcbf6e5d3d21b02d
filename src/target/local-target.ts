/** The Target for a runner (or an agent) on the Windows machine itself: in-process koffi calls. */
import { DRVCYCLE_VERSION } from '../core/version.ts';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { wineVersion } from '../windows/nt/wine.ts';
import { DriverServices, type TimedStatus } from '../windows/scm/driver-services.ts';
import { NO_RETRY } from '../windows/scm/retry.ts';
import { ServiceManager } from '../windows/scm/service-manager.ts';
import { runCycles } from './cycles.ts';
import { readEventLog } from '../windows/events/eventlog.ts';
import {
  HostProcessReader,
  probeSamplers,
  takeSample,
  type Availability,
  type SampleRequest,
  type SystemSample,
} from '../windows/nt/samplers.ts';
import type {
  CycleOptions,
  CycleRecord,
  DriverSpec,
  Health,
  OperationOptions,
  ServiceRef,
  StaleCleanup,
  Target,
  TargetInfo,
} from './types.ts';

export interface LocalTargetOptions {
  readonly runId: string;
  /** Where stageImage() puts driver images. */
  readonly stagingDir: string;
  /** A remote machine name (\\host) for the SCM; the local machine when unset. */
  readonly machine?: string;
}

export class LocalTarget implements Target {
  private readonly scm: ServiceManager;
  private readonly services: DriverServices;
  private readonly startedAt = Date.now();
  private readonly options: LocalTargetOptions;

  constructor(options: LocalTargetOptions) {
    this.options = options;
    this.scm = ServiceManager.open(options.machine);
    this.services = new DriverServices(this.scm, options.runId);
  }

  get runId(): string {
    return this.options.runId;
  }

  async info(): Promise<TargetInfo> {
    return {
      hostname: os.hostname(),
      os: os.type(),
      osVersion: `${os.version()} ${os.release()}`,
      arch: os.arch(),
      wineVersion: wineVersion(),
      agentVersion: DRVCYCLE_VERSION,
      pid: process.pid,
    };
  }

  async health(): Promise<Health> {
    let scm = true;
    try {
      this.scm.exists('drvcycle-health-probe');
    } catch {
      scm = false;
    }
    return { ok: scm, scm, uptimeMs: Date.now() - this.startedAt };
  }

  /** Images go to <stagingDir>\<sha256 prefix>\<fileName>, so two versions never collide. */
  async stageImage(fileName: string, bytes: Uint8Array): Promise<string> {
    const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    const dir = path.win32.join(this.options.stagingDir, digest);
    await mkdir(dir, { recursive: true });
    const target = path.win32.join(dir, fileName);
    await writeFile(target, bytes);
    return target;
  }

  async installDriver(spec: DriverSpec): Promise<ServiceRef> {
    const config = await this.services.install(spec);
    return { name: spec.name, imagePath: spec.imagePath, runId: this.options.runId, config };
  }

  start(ref: ServiceRef, options: OperationOptions = {}): Promise<TimedStatus> {
    return this.services.start(ref.name, toScm(options));
  }

  stop(ref: ServiceRef, options: OperationOptions = {}): Promise<TimedStatus> {
    return this.services.stop(ref.name, toScm(options));
  }

  async query(ref: ServiceRef) {
    return this.services.query(ref.name);
  }

  delete(ref: ServiceRef, options: OperationOptions = {}): Promise<void> {
    return this.services.remove(ref.name, toScm(options));
  }

  remove(ref: ServiceRef, options: OperationOptions = {}): Promise<void> {
    return this.services.teardown(ref.name, toScm(options));
  }

  async listOwned() {
    return this.services.listOwned();
  }

  cleanupStale(): Promise<StaleCleanup> {
    return this.services.cleanupStale();
  }

  private availability: Availability | undefined;
  private readonly hosts = new HostProcessReader();

  /** Probed once, on first use: each probe makes a few system calls. */
  private probedSamplers(): Availability {
    this.availability ??= probeSamplers(wineVersion() !== null);
    return this.availability;
  }

  async samplers(): Promise<Availability> {
    return this.probedSamplers();
  }

  async sample(request: SampleRequest): Promise<SystemSample> {
    return takeSample(request, await this.samplers(), this.hosts);
  }

  async events(since: Date, until?: Date) {
    return readEventLog(since, until);
  }

  runCycles(ref: ServiceRef, options: CycleOptions): AsyncIterable<CycleRecord> {
    const availability = options.sampleEvery ? this.probedSamplers() : undefined;
    return runCycles(
      this.services,
      ref.name,
      options,
      availability ? () => takeSample(options.sample ?? {}, availability, this.hosts) : undefined,
    );
  }

  async close(): Promise<void> {
    this.scm.close();
  }
}

function toScm(options: OperationOptions) {
  return { timeoutMs: options.timeoutMs, ...(options.retry === false ? { retry: NO_RETRY } : {}) };
}
