/** The Target for a runner anywhere: a client of the agent's HTTP/JSON API. */
import { encodeInf } from '../core/team-inf.ts';
import { agentFetch, agentStream, pinMismatchOf, type AgentEndpoint } from './agent-connection.ts';
import { imageDigest } from './staging.ts';
import { fileBody, fileDigest, isFileBody } from './upload.ts';
import {
  AgentRequestError,
  DrvcycleError,
  ErrorCodes,
  reviveError,
  type WireError,
} from '../core/errors.ts';
import type {
  Availability,
  CycleOptions,
  CycleRecord,
  SampleRequest,
  SystemSample,
} from '../core/records.ts';
import type { EventLogRead } from '../windows/events/eventlog.ts';
import type { VerifierSettingsRead } from '../windows/nt/verifier-settings.ts';
import type { StaleCleanup, TimedStatus } from '../windows/scm/driver-services.ts';
import type { ServiceStatus } from '../windows/scm/status.ts';
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

export type { AgentEndpoint } from './agent-connection.ts';

export interface RemoteTargetOptions {
  /** Where the agent is; a function when it can move (a reverted lab machine gets a new port). */
  readonly endpoint: AgentEndpoint | (() => AgentEndpoint);
  readonly runId: string;
  /** Bound on one request, beyond the operation's own timeout. */
  readonly requestSlackMs?: number;
  /** A streamed batch fails when the agent sends nothing (not even a heartbeat) for this long. */
  readonly silenceMs?: number;
  /** During a start, stop or delete, the agent's health is polled this often… */
  readonly heartbeatMs?: number;
  /** …and the machine is lost after this many health checks in a row go unanswered. */
  readonly heartbeatMisses?: number;
  /**
   * The lab's shared driver host of a driver: its keeper's device, which a batch with an I/O
   * table calls after each close (CycleOptions.hostBarrier). Undefined: none.
   */
  readonly hostBarrier?: (driver: DriverRef) => string | undefined;
}

type CycleLine =
  | { record: CycleRecord }
  | { heartbeat: number }
  | { done: true; cycles: number }
  | { error: WireError };

export class RemoteTarget implements Target {
  private readonly options: RemoteTargetOptions;

  constructor(options: RemoteTargetOptions) {
    this.options = options;
  }

  get runId(): string {
    return this.options.runId;
  }

  info(): Promise<TargetInfo> {
    return this.call('GET', '/v1/info');
  }

  health(): Promise<Health> {
    return this.call('GET', '/v1/health', undefined, 5_000);
  }

  /** One round trip: the image travels in the body, the service's settings in the query. */
  async install(image: DriverImage, options: InstallOptions): Promise<InstalledDriver> {
    const settings = {
      runId: this.options.runId,
      ...(options.type ? { type: options.type } : {}),
      ...(options.group ? { group: options.group } : {}),
      ...(options.retry === false ? { retry: 'false' } : {}),
      ...(options.pnp || options.inf !== undefined ? { pnp: 'true' } : {}),
      ...(options.inf !== undefined
        ? { inf: await this.uploadInf(options.name, options.inf) }
        : {}),
      ...(options.catalog !== undefined
        ? { catalog: await this.uploadCatalog(options.name, options.catalog) }
        : {}),
    };
    if ('binaryPath' in image)
      return this.call('PUT', this.path(options), {
        ...settings,
        ...(options.pnp ? { pnp: true } : {}),
        binaryPath: image.binaryPath,
      });
    // A file is streamed from disk (memory stays flat whatever its size); its SHA-256 goes with
    // it, so the agent can tell an image that arrived damaged.
    const sha256 = 'bytes' in image ? imageDigest(image.bytes) : await fileDigest(image.file);
    const query = new URLSearchParams({ ...settings, file: imageFileName(image), sha256 });
    const body = 'bytes' in image ? image.bytes : await fileBody(image.file);
    return this.call('PUT', `${this.path(options)}?${query}`, body);
  }

  /**
   * A team INF goes first, staged by content; the install names it by its SHA-256. Its bytes go
   * as the team wrote them (a text is encoded as SetupAPI reads it back).
   */
  private async uploadInf(service: string, inf: string | Uint8Array): Promise<string> {
    const bytes = typeof inf === 'string' ? encodeInf(inf) : inf;
    const sha256 = imageDigest(bytes);
    const { inf: staged } = await this.call<{ inf: string }>(
      'PUT',
      `${this.path({ name: service })}/inf?${new URLSearchParams({ sha256 })}`,
      bytes,
    );
    return staged;
  }

  /** The package's catalog goes with its INF, staged by content the same way. */
  private async uploadCatalog(service: string, bytes: Uint8Array): Promise<string> {
    const sha256 = imageDigest(bytes);
    const { catalog } = await this.call<{ catalog: string }>(
      'PUT',
      `${this.path({ name: service })}/catalog?${new URLSearchParams({ sha256 })}`,
      bytes,
    );
    return catalog;
  }

  start(driver: DriverRef, options: CallOptions = {}): Promise<TimedStatus> {
    return this.call('POST', `${this.path(driver)}/start`, options, options.timeoutMs, true);
  }

  stop(driver: DriverRef, options: CallOptions = {}): Promise<TimedStatus> {
    return this.call('POST', `${this.path(driver)}/stop`, options, options.timeoutMs, true);
  }

  query(driver: DriverRef): Promise<ServiceStatus> {
    return this.call('GET', this.path(driver));
  }

  async markForDelete(driver: DriverRef, options: CallOptions = {}): Promise<void> {
    await this.call(
      'POST',
      `${this.path(driver)}/mark-for-delete`,
      options,
      options.timeoutMs,
      true,
    );
  }

  async uninstall(driver: DriverRef, options: CallOptions = {}): Promise<void> {
    await this.call('POST', `${this.path(driver)}/uninstall`, options, options.timeoutMs, true);
  }

  /** Stops the driver's batch on the agent after the cycle under way; resolves once it ended. */
  async cancelCycles(driver: DriverRef): Promise<boolean> {
    const { cancelled } = await this.call<{ cancelled: boolean }>(
      'POST',
      `${this.path(driver)}/cycles/cancel`,
      {},
      60_000,
    );
    return cancelled;
  }

  listOwned(): Promise<OwnedService[]> {
    return this.call('GET', '/v1/services');
  }

  samplers(): Promise<Availability> {
    return this.call('GET', '/v1/samplers');
  }

  sample(request: SampleRequest): Promise<SystemSample> {
    return this.call('POST', '/v1/sample', request);
  }

  verifierSettings(): Promise<VerifierSettingsRead> {
    return this.call('GET', '/v1/verifier', undefined, 60_000);
  }

  events(since: Date, until?: Date): Promise<EventLogRead> {
    const query = new URLSearchParams({
      since: since.toISOString(),
      ...(until ? { until: until.toISOString() } : {}),
    });
    return this.call('GET', `/v1/events?${query}`);
  }

  cleanupStale(): Promise<StaleCleanup> {
    return this.call('POST', '/v1/cleanup-stale', { runId: this.options.runId }, 120_000);
  }

  async *runCycles(driver: DriverRef, options: CycleOptions): AsyncIterable<CycleRecord> {
    const controller = new AbortController();
    const silenceMs = this.options.silenceMs ?? 15_000;
    const watchdog = setTimeout(() => controller.abort(), silenceMs);
    // Left false only when the consumer stops reading before the batch has ended.
    let settled = false;
    try {
      const barrier = options.io ? this.options.hostBarrier?.(driver) : undefined;
      const response = await this.stream(
        `${this.path(driver)}/cycles`,
        barrier ? { ...options, hostBarrier: barrier } : options,
        controller.signal,
      );
      if (response.status < 200 || response.status > 299)
        throw errorOf(response.status, await response.body.text());
      let pending = '';
      for await (const chunk of response.body) {
        watchdog.refresh();
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = JSON.parse(pending.slice(0, newline)) as CycleLine;
          pending = pending.slice(newline + 1);
          if ('record' in line) yield line.record;
          else if ('error' in line) throw reviveError(line.error);
          else if ('done' in line) {
            settled = true;
            return;
          }
        }
      }
      throw new DrvcycleError(
        ErrorCodes.AGENT_UNREACHABLE,
        `The agent at ${this.endpoint().url} closed the cycle stream before it was done.`,
        {
          hint: 'The agent process or the machine may have died: look at the agent log and the machine console.',
        },
      );
    } catch (error) {
      settled = true;
      if (controller.signal.aborted) {
        throw new DrvcycleError(
          ErrorCodes.AGENT_UNREACHABLE,
          `The agent at ${this.endpoint().url} sent nothing for ${silenceMs} ms during a cycle batch.`,
          {
            hint: 'The machine may have crashed or hung. The provider should recover it before the next test.',
            cause: error,
          },
        );
      }
      throw error instanceof DrvcycleError ? error : this.broken('a cycle batch', error);
    } finally {
      clearTimeout(watchdog);
      controller.abort();
      // The agent ends a batch whose client went away after the cycle under way; waiting for that
      // here means the driver is stopped and the service free when the consumer goes on.
      if (!settled) await this.cancelCycles(driver).catch(() => false);
    }
  }

  async close(): Promise<void> {}

  /** The connection broke under a request (the agent died, the network went): the agent is gone. */
  private broken(during: string, error: unknown): DrvcycleError {
    return new DrvcycleError(
      ErrorCodes.AGENT_UNREACHABLE,
      `The connection to the agent at ${this.endpoint().url} broke during ${during}: ${(error as Error).message}.`,
      {
        hint: 'The agent process or the machine died: the agent log and the machine console say why.',
        cause: error,
      },
    );
  }

  private endpoint(): AgentEndpoint {
    const { endpoint } = this.options;
    return typeof endpoint === 'function' ? endpoint() : endpoint;
  }

  private path(driver: DriverRef): string {
    return `/v1/services/${encodeURIComponent(driver.name)}`;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    operationMs = 30_000,
    watch = false,
  ): Promise<T> {
    const boundMs = operationMs + (this.options.requestSlackMs ?? 15_000);
    const controller = new AbortController();
    let why: 'timeout' | 'lost' | undefined;
    const timer = setTimeout(() => {
      why = 'timeout';
      controller.abort();
    }, boundMs);
    const heartbeat = watch
      ? this.watchHeartbeat(() => {
          why = 'lost';
          controller.abort();
        })
      : undefined;
    try {
      const response = await this.fetch(method, path, body, controller.signal);
      if (!response.ok) throw await errorOfResponse(response);
      return (await response.json()) as T;
    } catch (error) {
      if (why === 'lost') {
        throw new DrvcycleError(
          ErrorCodes.AGENT_UNREACHABLE,
          `The machine stopped answering during ${method} ${path}: ${this.options.heartbeatMisses ?? 3} health checks in a row went unanswered.`,
          {
            hint: 'The machine may have crashed (a bugcheck) or hung. The provider recovers it before the next test.',
            cause: error,
          },
        );
      }
      if (why === 'timeout') {
        throw new DrvcycleError(
          ErrorCodes.AGENT_UNREACHABLE,
          `The agent at ${this.endpoint().url} did not answer ${method} ${path} within ${boundMs} ms.`,
          {
            hint: "The operation's own bound should have ended it first: the agent or the machine is stuck.",
            cause: error,
          },
        );
      }
      throw error instanceof DrvcycleError ? error : this.broken(`${method} ${path}`, error);
    } finally {
      clearTimeout(timer);
      heartbeat?.stop();
    }
  }

  /** Health round trips seen lately: a busy agent answers slower, and that is not a lost machine. */
  private readonly healthLatencies: number[] = [];

  /** How long one health check may take: 5 × the recent median, never under the interval. */
  heartbeatBoundMs(): number {
    const every = this.options.heartbeatMs ?? 2_000;
    const sorted = [...this.healthLatencies].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return Math.round(Math.min(60_000, Math.max(every, 5 * median)));
  }

  /** Polls the agent's health while a long operation runs; calls `onLost` after enough misses. */
  private watchHeartbeat(onLost: () => void): { stop(): void } {
    const every = this.options.heartbeatMs ?? 2_000;
    const allowed = this.options.heartbeatMisses ?? 3;
    let misses = 0;
    let stopped = false;
    const beat = async () => {
      if (stopped) return;
      const sent = performance.now();
      try {
        const response = await this.fetch(
          'GET',
          '/v1/health',
          undefined,
          AbortSignal.timeout(this.heartbeatBoundMs()),
        );
        await response.body?.cancel();
        this.healthLatencies.push(performance.now() - sent);
        if (this.healthLatencies.length > 20) this.healthLatencies.shift();
        misses = 0;
      } catch {
        misses++;
      }
      if (stopped) return;
      if (misses >= allowed) onLost();
      else timer = setTimeout(beat, every);
    };
    let timer = setTimeout(beat, every);
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  private async fetch(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.endpoint().token}` };
    let payload: string | Uint8Array | ReadableStream | undefined;
    if (body instanceof Uint8Array) {
      headers['Content-Type'] = 'application/octet-stream';
      payload = body;
    } else if (isFileBody(body)) {
      headers['Content-Type'] = 'application/octet-stream';
      headers['Content-Length'] = String(body.size);
      payload = body.stream;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await agentFetch(this.endpoint(), path, {
        method,
        headers,
        body: payload ?? null,
        signal,
        // A streamed body (a driver image read from disk) is sent as it is read.
        ...(payload instanceof ReadableStream ? { duplex: 'half' } : {}),
      });
    } catch (error) {
      throw this.unreached(method, path, signal, error);
    }
  }

  /** A POST with a JSON body whose answer is read as it streams (a cycle batch). */
  private async stream(path: string, body: unknown, signal: AbortSignal) {
    try {
      return await agentStream(this.endpoint(), path, {
        headers: {
          Authorization: `Bearer ${this.endpoint().token}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw this.unreached('POST', path, signal, error);
    }
  }

  private unreached(method: string, path: string, signal: AbortSignal, error: unknown): unknown {
    if (signal.aborted || error instanceof DrvcycleError) return error;
    return (
      pinMismatchOf(error) ??
      new DrvcycleError(
        ErrorCodes.AGENT_UNREACHABLE,
        `Cannot reach the drvcycle agent at ${this.endpoint().url} (${method} ${path}).`,
        {
          hint: 'Check that the agent runs (npx drvcycle agent --port … --token-file …) and that the URL and port are right.',
          cause: error,
        },
      )
    );
  }
}

async function errorOfResponse(response: Response): Promise<Error> {
  return errorOf(response.status, await response.text());
}

function errorOf(status: number, text: string): Error {
  try {
    const parsed = JSON.parse(text) as { error?: WireError };
    if (parsed.error) return reviveError(parsed.error);
  } catch {
    // not JSON: fall through
  }
  return new AgentRequestError(
    status,
    status >= 500 ? ErrorCodes.AGENT_INTERNAL : ErrorCodes.INVALID_REQUEST,
    `The agent answered ${status}: ${text.slice(0, 500)}`,
  );
}
