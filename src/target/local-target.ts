/** The Target for a runner (or an agent) on the Windows machine itself: in-process koffi calls. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { VerifierSettingsRead } from '../windows/nt/verifier-settings.ts';
import os from 'node:os';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import { DRVCYCLE_VERSION } from '../core/version.ts';
import { useSystemMessages } from '../core/win32-codes.ts';
import { systemMessage } from '../windows/nt/format-message.ts';
import { wineVersion } from '../windows/nt/wine.ts';
import { realClock } from '../windows/scm/wait.ts';
import type { TimedStatus } from '../windows/scm/driver-services.ts';
import { PnpDriverServices } from '../windows/pnp/pnp-services.ts';
import { runProcess } from '../core/child-process.ts';
import { NO_RETRY } from '../windows/scm/retry.ts';
import { ServiceManager } from '../windows/scm/service-manager.ts';
import { BatchControl } from './batch-thread-control.ts';
import { BatchThreads } from './batch-thread.ts';
import { validateCycleOptions } from './cycle-loop.ts';
import { readCrashDumps } from '../windows/events/crash-dumps.ts';
import { readEventLog, type EventLogRead } from '../windows/events/eventlog.ts';
import { probeSamplers, takeSample, windowsReads } from '../windows/nt/samplers.ts';
import { debugPrivilegeState } from '../windows/nt/privileges.ts';
import type {
  Availability,
  CycleOptions,
  CycleRecord,
  SampleRequest,
  SystemSample,
} from '../core/records.ts';
import type { StaleCleanup } from '../windows/scm/driver-services.ts';
import {
  installedPnpSpec,
  stagedInfOf,
  stagedPnpSpec,
  removeDeployedImage,
  stagedCatalogOf,
  stagedInDriverStore,
  stagePnpDriver,
  unstagePnpDriver,
} from './pnp-install.ts';
import { removeDriverPackage } from '../windows/pnp/driver-store.ts';
import { stageImage, unstageImage } from './staging.ts';
import {
  imageFileName,
  type CallOptions,
  type DriverImage,
  type DriverRef,
  type Health,
  type InstalledDriver,
  type InstallOptions,
  type OwnedService,
  type Target,
  type TargetInfo,
} from './types.ts';
import { binaryPathOnDisk, systemRoot } from '../windows/scm/binary-path.ts';

/**
 * How often a batch thread hands its records over under Wine (the lab). Every hand-over between
 * two threads of the agent costs wineserver round trips beside the cycle: handing over each record
 * makes a shared-host cycle measurably slower than the raw SCM loop, handing over every 50 ms
 * does not (bench/host-modes.ts measures the batch against a raw SCM loop). A lab machine is lost
 * only when its agent or wineserver goes (a driver takes down only its host, which the SCM call
 * reports at once, and a failed cycle is handed over at once). On Windows a bugcheck takes the agent with it, and the records already sent tell which
 * cycle crashed: there every record is handed over as its cycle ends.
 */
const WINE_HAND_OVER_EVERY_MS = 50;

/** The pool's worker script: beside this file in the sources, beside agent.js in the bundle. */
const AGENT_POOL_WORKER = new URL(
  `./agent-pool-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

export interface LocalTargetOptions {
  readonly runId: string;
  /** Where install() puts driver images it is given as a file or bytes. */
  readonly stagingDir: string;
}

export class LocalTarget implements Target {
  private readonly scm: ServiceManager;
  private readonly services: PnpDriverServices;
  private readonly startedAt = Date.now();
  private readonly options: LocalTargetOptions;

  constructor(options: LocalTargetOptions) {
    this.options = options;
    useSystemMessages(systemMessage);
    // Its pool's workers run the PnP device calls too (./agent-pool-worker.ts registers them).
    this.scm = ServiceManager.open({ worker: AGENT_POOL_WORKER });
    this.services = new PnpDriverServices(this.scm, realClock, {
      unloadsWithLastDevice: wineVersion() === null,
    });
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
      stagingDir: this.options.stagingDir,
      ...(debugPrivilegeState() ? { debugPrivilege: debugPrivilegeState() } : {}),
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

  /**
   * Stages the image and creates the service. `runId` is the run whose marker the service gets:
   * the agent passes the runner's, so ownership is the runner's.
   */
  async install(
    image: DriverImage,
    options: InstallOptions & { runId?: string },
  ): Promise<InstalledDriver> {
    const binaryPath =
      'binaryPath' in image
        ? image.binaryPath
        : await stageImage(
            this.options.stagingDir,
            imageFileName(image),
            'bytes' in image ? image.bytes : await readFile(image.file),
          );
    const runId = options.runId ?? this.options.runId;
    if ((options.pnp || options.inf !== undefined) && this.imageOf(options.name) !== undefined) {
      // The service exists: CreateService refuses (1073), before any file, INF or device is touched.
      await this.releaseStaged(binaryPath);
      await this.services.install(
        { name: options.name, binaryPath, type: 'kernel', group: options.group, runId },
        toScm(options),
      );
      // Gone in between: what was just created is not a PnP install. Undo it and say so.
      await this.services.uninstall(options.name, toScm(options));
      throw new DrvcycleError(
        ErrorCodes.PNP,
        `The service "${options.name}" disappeared while its PnP install was being refused.`,
        { hint: 'Something else removes services on this machine: install again.' },
      );
    }
    if (options.pnp || options.inf !== undefined) {
      // The service is created as for any driver (owned, stopped, no driver code run yet) at the
      // image the INF deploys; adding the device (each cycle's load) installs the INF onto it.
      const staged = await stagePnpDriver(this.options.stagingDir, options.name, binaryPath, {
        runId,
        loadOrderGroup: options.group,
        teamInf: options.inf,
        catalog: options.catalog,
        onWine: wineVersion() !== null,
      }).finally(() =>
        // Its image now lives beside the INF, or the install was refused: the upload goes.
        this.releaseStaged(binaryPath),
      );
      const config = await this.services
        .install(
          {
            name: options.name,
            binaryPath: staged.deployed,
            type: 'kernel',
            group: options.group,
            runId,
          },
          toScm(options),
        )
        .catch(async (error: unknown) => {
          if (!staged.driverStore) removeDeployedImage(staged.deployed);
          await unstagePnpDriver(this.options.stagingDir, staged.spec, staged.deployed);
          throw error;
        });
      return {
        name: options.name,
        binaryPath: staged.deployed,
        type: 'kernel',
        group: options.group,
        runId,
        config,
        pnp: { hardwareId: staged.spec.hardwareId },
      };
    }
    const type = options.type ?? 'kernel';
    const config = await this.services.install(
      { name: options.name, binaryPath, type, group: options.group, runId },
      toScm(options),
    );
    return { name: options.name, binaryPath, type, group: options.group, runId, config };
  }

  start(driver: DriverRef, options: CallOptions = {}): Promise<TimedStatus> {
    return this.services.start(driver.name, toScm(options));
  }

  stop(driver: DriverRef, options: CallOptions = {}): Promise<TimedStatus> {
    return this.services.stop(driver.name, toScm(options));
  }

  async query(driver: DriverRef) {
    return this.services.query(driver.name);
  }

  markForDelete(driver: DriverRef, options: CallOptions = {}): Promise<void> {
    return this.services.markForDelete(driver.name, toScm(options));
  }

  /**
   * Ends the driver's batch first (if one runs): nothing is removed under a running cycle. The
   * image it was staged from goes too, unless another service drvcycle owns still uses it.
   */
  async uninstall(driver: DriverRef, options: CallOptions = {}): Promise<void> {
    await this.cancelCycles(driver);
    const image = this.imageOf(driver.name);
    const stagedInf = image && stagedInfOf(this.options.stagingDir, driver.name, image);
    if (image && stagedInf) {
      const spec = stagedPnpSpec(driver.name, stagedInf);
      // Its devices go first: stopping a PnP driver under a live device breaks the host.
      await this.services.pnpRemoveDevices(driver.name, spec.hardwareId);
      await this.services.uninstall(driver.name, toScm(options));
      // A driver-store image is Windows' copy in the package's folder: it goes with the package.
      if (!stagedInDriverStore(stagedInf)) removeDeployedImage(image);
      try {
        // The package its devices' installs published (oemNN.inf; the driver store on Windows).
        const onWine = wineVersion() !== null;
        const published = removeDriverPackage(stagedInf, driver.name, { force: onWine });
        if (onWine && published) removeWinePackageRest(published, stagedInf);
      } finally {
        await unstagePnpDriver(this.options.stagingDir, spec, image);
      }
      return;
    }
    await this.services.uninstall(driver.name, toScm(options));
    if (image) await this.releaseStaged(image);
  }

  /** A staged image goes once no service drvcycle owns uses it (unstageImage keeps others' files). */
  private async releaseStaged(image: string): Promise<void> {
    const same = (other: string | undefined) => other?.toLowerCase() === image.toLowerCase();
    if (!this.services.listOwned().some((s) => same(this.imageOf(s.name))))
      await unstageImage(this.options.stagingDir, image);
  }

  /** A PnP driver's deployed image: the service's image path, which its INF set. */
  private pnpImageOf(name: string): string {
    const image = this.imageOf(name);
    if (!image)
      throw new DrvcycleError(
        ErrorCodes.PNP,
        `The PnP driver "${name}" has no service image path.`,
        {
          hint: 'Install the driver again.',
        },
      );
    return image;
  }

  /** The service's binary path as a file (see binaryPathOnDisk), if the service exists. */
  private imageOf(name: string): string | undefined {
    try {
      return binaryPathOnDisk(this.services.config(name).binaryPath);
    } catch {
      return undefined;
    }
  }

  async listOwned(): Promise<OwnedService[]> {
    return this.services.listOwned();
  }

  /**
   * Uninstalls owned services of every run but `currentRunId` (default: this target's): removes
   * what earlier runs left, each service the way its own uninstall does (a PnP driver's
   * devices first: stopping it under a live device breaks the host, and leaves the device).
   */
  cleanupStale(currentRunId = this.options.runId): Promise<StaleCleanup> {
    return this.services.cleanupStale(currentRunId, {}, (name, timeoutMs) =>
      this.uninstall({ name }, { timeoutMs }),
    );
  }

  private availability: Availability | undefined;
  private readonly batches = new Map<string, { control: BatchControl; done: Promise<void> }>();
  private readonly batchThreads = new BatchThreads();
  private readonly reads = windowsReads();

  /** Probed once, on first use: each probe makes a few system calls. */
  private probedSamplers(): Availability {
    this.availability ??= probeSamplers(wineVersion() !== null, this.reads);
    return this.availability;
  }

  async samplers(): Promise<Availability> {
    return this.probedSamplers();
  }

  async sample(request: SampleRequest): Promise<SystemSample> {
    return takeSample(request, await this.samplers(), this.reads);
  }

  async verifierSettings(): Promise<VerifierSettingsRead> {
    if (wineVersion() !== null)
      return { available: false, reason: 'Wine has no Driver Verifier (the lab is a rehearsal)' };
    const verifier = path.win32.join(systemRoot(), 'System32', 'verifier.exe');
    try {
      const { stdout } = await runProcess(verifier, ['/querysettings'], { timeoutMs: 30_000 });
      return { available: true, text: stdout };
    } catch (error) {
      return {
        available: false,
        reason: `${verifier} /querysettings failed: ${(error as Error).message}`,
      };
    }
  }

  /** The event log's entries in the window, and the crash dumps written since its start. */
  async events(since: Date, until?: Date): Promise<EventLogRead> {
    const log = readEventLog(since, until);
    const dumps = await readCrashDumps(since);
    return { ...log, events: [...log.events, ...dumps] };
  }

  /**
   * One batch per service at a time; a second one is refused (DRVCYCLE_BUSY). The batch runs on
   * a thread of its own (batch-thread.ts); this thread stays free and bounds its calls.
   */
  runCycles(driver: DriverRef, options: CycleOptions): AsyncIterable<CycleRecord> {
    if (this.batches.has(driver.name))
      throw new DrvcycleError(
        ErrorCodes.BUSY,
        `Service "${driver.name}" is already cycling in another batch.`,
        { hint: 'Wait for that batch to end, or cancel it (cancelCycles) first.' },
      );
    const availability = options.sampleEvery ? this.probedSamplers() : undefined;
    const pnp = options.pnp
      ? installedPnpSpec(this.options.stagingDir, driver.name, this.pnpImageOf(driver.name))
      : undefined;
    const control = new BatchControl();
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.batches.set(driver.name, { control, done });
    const { services, scm, batchThreads, batches } = this;
    const onWindows = wineVersion() === null;
    return (async function* () {
      try {
        // Refusals keep their types: checked here before the batch thread takes over.
        validateCycleOptions(options);
        services.requireOwned(driver.name, 'cycle');
        yield* batchThreads.run(
          {
            name: driver.name,
            options,
            ...(pnp ? { pnp } : {}),
            ...(availability ? { sample: { request: options.sample ?? {}, availability } } : {}),
            unloadsWithLastDevice: onWindows,
            handOverEveryMs: onWindows ? 0 : WINE_HAND_OVER_EVERY_MS,
          },
          control,
          (name) => scm.queryStatus(name),
        );
      } finally {
        batches.delete(driver.name);
        ended();
      }
    })();
  }

  /**
   * Stops the driver's running batch after the cycle under way and waits until it has ended.
   * Returns whether there was one.
   */
  async cancelCycles(driver: DriverRef): Promise<boolean> {
    const batch = this.batches.get(driver.name);
    if (!batch) return false;
    batch.control.cancel();
    await batch.done;
    return true;
  }

  async close(): Promise<void> {
    this.batchThreads.close();
    this.scm.close();
  }
}

function toScm(options: CallOptions) {
  return { timeoutMs: options.timeoutMs, ...(options.retry === false ? { retry: NO_RETRY } : {}) };
}

/**
 * What Wine 8's SetupAPI leaves of a package it unpublished (Windows removes all of it with the
 * package): the .pnf beside the INF's copy in C:\windows\inf, and the copy of its catalog
 * SetupCopyOEMInf added to catroot (CryptCATAdminAddCatalog), the latter only while it is still
 * the staged catalog's bytes.
 */
function removeWinePackageRest(published: string, stagedInf: string): void {
  const infFolder = path.win32.join(systemRoot(), 'inf');
  rmSync(path.win32.join(infFolder, published.replace(/\.inf$/i, '.pnf')), { force: true });
  const catalog = stagedCatalogOf(stagedInf);
  if (!catalog) return;
  const added = path.win32.join(systemRoot(), 'system32', 'catroot', DRIVER_ACTION_VERIFY, catalog);
  const staged = path.win32.join(path.win32.dirname(stagedInf), catalog);
  if (existsSync(added) && existsSync(staged) && readFileSync(added).equals(readFileSync(staged)))
    rmSync(added, { force: true });
}

/** The catroot folder of driver catalogs (DRIVER_ACTION_VERIFY, softpub.h). */
const DRIVER_ACTION_VERIFY = '{F750E6C3-38EE-11D1-85E5-00C04FC295EE}';
