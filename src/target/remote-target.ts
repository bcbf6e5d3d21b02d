/** The Target for a runner anywhere: a client of the agent's HTTP/JSON API. */
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';
import type { TimedStatus } from '../windows/scm/driver-services.ts';
import type {
  Availability,
  EventLogRead,
  SampleRequest,
  SystemSample,
  CycleOptions,
  CycleRecord,
  DriverSpec,
  Health,
  OperationOptions,
  ServiceRef,
  ServiceStatus,
  StaleCleanup,
  Target,
  TargetInfo,
} from './types.ts';
import { fromWireError, type WireError } from './wire-errors.ts';

export interface AgentEndpoint {
  /** The agent's base URL, e.g. http://127.0.0.1:8765 */
  readonly url: string;
  readonly token: string;
}

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

  async stageImage(fileName: string, bytes: Uint8Array): Promise<string> {
    const result = await this.call<{ imagePath: string }>(
      'PUT',
      `/v1/images/${encodeURIComponent(fileName)}`,
      bytes,
    );
    return result.imagePath;
  }

  async installDriver(spec: DriverSpec): Promise<ServiceRef> {
    const result = await this.call<ServiceRef>('POST', '/v1/services', { ...spec });
    return { ...result, runId: this.options.runId };
  }

  start(ref: ServiceRef, options: OperationOptions = {}): Promise<TimedStatus> {
    return this.call('POST', `${this.path(ref)}/start`, options, options.timeoutMs, true);
  }

  stop(ref: ServiceRef, options: OperationOptions = {}): Promise<TimedStatus> {
    return this.call('POST', `${this.path(ref)}/stop`, options, options.timeoutMs, true);
  }

  query(ref: ServiceRef): Promise<ServiceStatus> {
    return this.call('GET', this.path(ref));
  }

  async delete(ref: ServiceRef, options: OperationOptions = {}): Promise<void> {
    await this.call('POST', `${this.path(ref)}/delete`, options, options.timeoutMs, true);
  }

  async remove(ref: ServiceRef, options: OperationOptions = {}): Promise<void> {
    await this.call('POST', `${this.path(ref)}/remove`, options, options.timeoutMs, true);
  }

  listOwned(): Promise<{ name: string; runId: string; state: string }[]> {
    return this.call('GET', '/v1/services');
  }

  samplers(): Promise<Availability> {
    return this.call('GET', '/v1/samplers');
  }

  sample(request: SampleRequest): Promise<SystemSample> {
    return this.call('POST', '/v1/sample', request);
  }

  events(since: Date, until?: Date): Promise<EventLogRead> {
    const query = new URLSearchParams({
      since: since.toISOString(),
      ...(until ? { until: until.toISOString() } : {}),
    });
    return this.call('GET', `/v1/events?${query}`);
  }

  cleanupStale(): Promise<StaleCleanup> {
    return this.call('POST', '/v1/cleanup-stale', {}, 120_000);
  }

  async *runCycles(ref: ServiceRef, options: CycleOptions): AsyncIterable<CycleRecord> {
    const controller = new AbortController();
    const silenceMs = this.options.silenceMs ?? 15_000;
    let watchdog = setTimeout(() => controller.abort(), silenceMs);
    try {
      const response = await this.fetch(
        'POST',
        `${this.path(ref)}/cycles`,
        options,
        controller.signal,
      );
      if (!response.ok) throw await errorOf(response);
      const decoder = new TextDecoder();
      let pending = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), silenceMs);
        pending += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = JSON.parse(pending.slice(0, newline)) as CycleLine;
          pending = pending.slice(newline + 1);
          if ('record' in line) yield line.record;
          else if ('error' in line) throw fromWireError(line.error);
          else if ('done' in line) return;
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
      throw error;
    } finally {
      clearTimeout(watchdog);
      controller.abort();
    }
  }

  async close(): Promise<void> {}

  private endpoint(): AgentEndpoint {
    const { endpoint } = this.options;
    return typeof endpoint === 'function' ? endpoint() : endpoint;
  }

  private path(ref: ServiceRef): string {
    return `/v1/services/${encodeURIComponent(ref.name)}`;
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
      if (!response.ok) throw await errorOf(response);
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
      throw error;
    } finally {
      clearTimeout(timer);
      heartbeat?.stop();
    }
  }

  /** Polls the agent's health while a long operation runs; calls `onLost` after enough misses. */
  private watchHeartbeat(onLost: () => void): { stop(): void } {
    const every = this.options.heartbeatMs ?? 2_000;
    const allowed = this.options.heartbeatMisses ?? 3;
    let misses = 0;
    let stopped = false;
    const beat = async () => {
      if (stopped) return;
      try {
        const response = await this.fetch(
          'GET',
          '/v1/health',
          undefined,
          AbortSignal.timeout(every),
        );
        await response.body?.cancel();
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
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      headers['Content-Type'] = 'application/octet-stream';
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await fetch(new URL(path, this.endpoint().url), {
        method,
        headers,
        body: payload ?? null,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new DrvcycleError(
        ErrorCodes.AGENT_UNREACHABLE,
        `Cannot reach the drvcycle agent at ${this.endpoint().url} (${method} ${path}).`,
        {
          hint: 'Check that the agent runs (npx drvcycle agent --port … --token-file …) and that the URL and port are right.',
          cause: error,
        },
      );
    }
  }
}

async function errorOf(response: Response): Promise<Error> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: WireError };
    if (parsed.error) return fromWireError(parsed.error);
  } catch {
    // not JSON: fall through
  }
  return new DrvcycleError(
    ErrorCodes.AGENT_INTERNAL,
    `The agent answered ${response.status}: ${text.slice(0, 500)}`,
  );
}
