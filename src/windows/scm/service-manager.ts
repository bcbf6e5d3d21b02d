/**
 * The Service Control Manager over koffi: typed calls, handles always closed, every failure a
 * ScmError with the Win32 code, operation and service. Knows nothing of ownership or retries.
 */
import { advapi32, copyNativeBytes, withNativeBuffer, type ScHandle } from './advapi32.ts';
import {
  BlockingCallPool,
  InlineBlockingCalls,
  type BlockingCalls,
  type BlockingResult,
} from './blocking-pool.ts';
import { ScmError, type ScmOperation } from '../../core/errors.ts';
import {
  decodeEnumServiceStatusProcess,
  decodeQueryServiceConfig,
  decodeServiceDescription,
  decodeServiceStatusProcess,
  SERVICE_STATUS_PROCESS_SIZE,
  type EnumeratedService,
  type ServiceConfig,
} from './scm-layouts.ts';
import { SERVICE_DRIVER, SERVICE_STATE_ALL, stateName, type ServiceStatus } from './status.ts';
import { Win32 } from '../../core/win32-codes.ts';

const SC_MANAGER_ALL_ACCESS = 0xf003f;
const SERVICE_ALL_ACCESS = 0xf01ff;
const SERVICE_QUERY_STATUS = 0x0004;
const SERVICE_QUERY_CONFIG = 0x0001;
const SERVICE_CONFIG_DESCRIPTION = 1;
const SC_STATUS_PROCESS_INFO = 0;
const SC_ENUM_PROCESS_INFO = 0;
const SERVICE_CONTROL_STOP = 1;

export const StartType = { BOOT: 0, SYSTEM: 1, AUTO: 2, DEMAND: 3, DISABLED: 4 } as const;
export const ErrorControl = { IGNORE: 0, NORMAL: 1, SEVERE: 2, CRITICAL: 3 } as const;

export interface CreateServiceSpec {
  readonly name: string;
  readonly displayName: string;
  readonly binaryPath: string;
  readonly type: number;
  readonly startType?: number;
  readonly errorControl?: number;
  readonly loadOrderGroup?: string | undefined;
}

export class ServiceManager {
  private scm: ScHandle | null;
  private readonly pool: BlockingCalls;

  private constructor(scm: ScHandle, pool: BlockingCalls) {
    this.scm = scm;
    this.pool = pool;
  }

  /**
   * Opens the SCM of this machine. There is no remote form: staging, samplers and events act on
   * the machine drvcycle runs on, so a remote machine is reached through an agent running on it.
   */
  static open(
    options: {
      readonly blockingCalls?: 'worker-pool' | 'inline';
      /** The pool's worker script (default: the SCM's calls only; see target/agent-pool-worker.ts). */
      readonly worker?: URL;
    } = {},
  ): ServiceManager {
    const api = advapi32();
    const handle = api.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS) as ScHandle | null;
    if (!handle) throw new ScmError({ operation: 'OpenSCManager', win32Code: lastError() });
    return new ServiceManager(
      handle,
      options.blockingCalls === 'inline'
        ? new InlineBlockingCalls()
        : new BlockingCallPool(options.worker),
    );
  }

  close(): void {
    if (this.scm) advapi32().CloseServiceHandle(this.scm);
    this.scm = null;
    this.pool.close();
  }

  createService(spec: CreateServiceSpec): void {
    const handle = advapi32().CreateServiceW(
      this.handle(),
      spec.name,
      spec.displayName,
      SERVICE_ALL_ACCESS,
      spec.type,
      spec.startType ?? StartType.DEMAND,
      spec.errorControl ?? ErrorControl.NORMAL,
      spec.binaryPath,
      spec.loadOrderGroup || null,
      spec.loadOrderGroup ? [0] : null,
      null,
      null,
      null,
    ) as ScHandle | null;
    if (!handle) throw this.failure('CreateService', spec.name);
    closeHandle(handle);
  }

  exists(name: string): boolean {
    const handle = advapi32().OpenServiceW(
      this.handle(),
      name,
      SERVICE_QUERY_STATUS,
    ) as ScHandle | null;
    if (handle) {
      closeHandle(handle);
      return true;
    }
    const code = lastError();
    if (code === Win32.SERVICE_DOES_NOT_EXIST) return false;
    throw new ScmError({ operation: 'OpenService', service: name, win32Code: code });
  }

  queryStatus(name: string): ServiceStatus {
    return this.withService(name, SERVICE_QUERY_STATUS, (service) => queryStatusOf(service, name));
  }

  queryConfig(name: string): ServiceConfig {
    return this.withService(name, SERVICE_QUERY_CONFIG, (service) =>
      readGrowing(
        'QueryServiceConfig',
        name,
        (buffer, size, needed) => advapi32().QueryServiceConfigW(service, buffer, size, needed),
        decodeQueryServiceConfig,
      ),
    );
  }

  queryDescription(name: string): string {
    return this.withService(name, SERVICE_QUERY_CONFIG, (service) =>
      readGrowing(
        'QueryServiceConfig2',
        name,
        (buffer, size, needed) =>
          advapi32().QueryServiceConfig2W(
            service,
            SERVICE_CONFIG_DESCRIPTION,
            buffer,
            size,
            needed,
          ),
        decodeServiceDescription,
      ),
    );
  }

  setDescription(name: string, description: string): void {
    this.withService(name, SERVICE_ALL_ACCESS, (service) => {
      const ok = advapi32().ChangeServiceConfig2W_Description(service, SERVICE_CONFIG_DESCRIPTION, {
        lpDescription: description,
      });
      if (!ok) throw this.failure('ChangeServiceConfig2', name, service);
    });
  }

  /** StartService returns once DriverEntry has returned; runs on a worker thread. */
  async start(name: string): Promise<void> {
    await this.withServiceAsync(name, SERVICE_ALL_ACCESS, async (service) => {
      const result = await this.pool.run({ call: 'StartService', handle: service });
      if (!result.ok) throw this.failureWith('StartService', name, result.lastError, service);
    });
  }

  /**
   * Sends SERVICE_CONTROL_STOP; for a driver this returns once DriverUnload has returned, with the
   * status the control left the service in (SERVICE_STATUS: no process id or flags, drivers have
   * neither).
   */
  async stop(name: string): Promise<ServiceStatus | undefined> {
    return this.withServiceAsync(name, SERVICE_ALL_ACCESS, async (service) => {
      const result = await this.pool.run({
        call: 'ControlService',
        handle: service,
        control: SERVICE_CONTROL_STOP,
      });
      if (!result.ok) throw this.failureWith('ControlService', name, result.lastError, service);
      const status = result.status;
      return status && typeof status.state === 'number'
        ? { ...status, stateName: stateName(status.state), processId: 0, serviceFlags: 0 }
        : undefined;
    });
  }

  /**
   * A blocking call a layer above this one registered (a PnP device operation,
   * windows/pnp/device-calls.ts), on the same threads as StartService and ControlService.
   */
  runBlocking(name: string, request: unknown): Promise<BlockingResult> {
    return this.pool.run({ call: 'Registered', name, request });
  }

  /**
   * Keeps one handle to the service open until the returned release is called: a cycle batch
   * then costs StartService, a status query and ControlService per cycle, not an open and a close
   * around each of them (each is a round trip to the SCM).
   */
  holdOpen(name: string): () => void {
    const service = this.openService(name, SERVICE_ALL_ACCESS);
    this.held.set(name, service);
    return () => {
      if (this.held.get(name) === service) this.held.delete(name);
      closeHandle(service);
    };
  }

  private readonly held = new Map<string, ScHandle>();

  /** DeleteService only marks the service; the entry goes when its last handle closes. */
  delete(name: string): void {
    this.withService(name, SERVICE_ALL_ACCESS, (service) => {
      if (!advapi32().DeleteService(service)) throw this.failure('DeleteService', name, service);
    });
  }

  listDrivers(): EnumeratedService[] {
    const api = advapi32();
    const scm = this.handle();
    const needed = [0];
    const returned = [0];
    const resume = [0];
    const services: EnumeratedService[] = [];
    let size = 0;
    for (;;) {
      const more = withNativeBuffer(size, (buffer) => {
        const ok = api.EnumServicesStatusExW(
          scm,
          SC_ENUM_PROCESS_INFO,
          SERVICE_DRIVER,
          SERVICE_STATE_ALL,
          buffer,
          size,
          needed,
          returned,
          resume,
          null,
        );
        const code = ok ? 0 : lastError();
        if (!ok && code !== Win32.MORE_DATA)
          throw new ScmError({ operation: 'EnumServicesStatusEx', win32Code: code });
        if (returned[0]! > 0)
          services.push(
            ...decodeEnumServiceStatusProcess(copyNativeBytes(buffer, size), buffer, returned[0]!),
          );
        return !ok;
      });
      if (!more) return services;
      size = Math.max(needed[0]!, size);
    }
  }

  private handle(): ScHandle {
    if (!this.scm) throw new Error('ServiceManager is closed.');
    return this.scm;
  }

  private withService<T>(name: string, access: number, use: (service: ScHandle) => T): T {
    const held = this.held.get(name);
    if (held) return use(held);
    const service = this.openService(name, access);
    try {
      return use(service);
    } finally {
      closeHandle(service);
    }
  }

  private async withServiceAsync<T>(
    name: string,
    access: number,
    use: (service: ScHandle) => Promise<T>,
  ): Promise<T> {
    const held = this.held.get(name);
    if (held) return use(held);
    const service = this.openService(name, access);
    try {
      return await use(service);
    } finally {
      closeHandle(service);
    }
  }

  private openService(name: string, access: number): ScHandle {
    const handle = advapi32().OpenServiceW(this.handle(), name, access) as ScHandle | null;
    if (!handle)
      throw new ScmError({ operation: 'OpenService', service: name, win32Code: lastError() });
    return handle;
  }

  private failure(operation: ScmOperation, name: string, service?: ScHandle): ScmError {
    return this.failureWith(operation, name, lastError(), service);
  }

  /** Builds the error with the state seen right after the failure (a failed query is not fatal). */
  private failureWith(
    operation: ScmOperation,
    name: string,
    win32Code: number,
    service?: ScHandle,
  ): ScmError {
    let state: string | undefined;
    if (service) {
      try {
        state = stateName(queryStatusOf(service, name).state);
      } catch {
        state = undefined;
      }
    }
    return new ScmError({ operation, service: name, win32Code, state });
  }
}

function lastError(): number {
  return advapi32().GetLastError() as number;
}

function closeHandle(handle: ScHandle): void {
  advapi32().CloseServiceHandle(handle);
}

function queryStatusOf(service: ScHandle, name: string): ServiceStatus {
  const buffer = Buffer.alloc(SERVICE_STATUS_PROCESS_SIZE);
  const needed = [0];
  if (
    !advapi32().QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, buffer, buffer.length, needed)
  ) {
    throw new ScmError({
      operation: 'QueryServiceStatusEx',
      service: name,
      win32Code: lastError(),
    });
  }
  return decodeServiceStatusProcess(buffer);
}

/** The usual two-call pattern: ask for the size (122), then read into a buffer that big. */
function readGrowing<T>(
  operation: ScmOperation,
  name: string,
  call: (buffer: bigint | null, size: number, needed: number[]) => unknown,
  decode: (bytes: Uint8Array, base: bigint) => T,
): T {
  const needed = [0];
  if (!call(null, 0, needed)) {
    const code = lastError();
    if (code !== Win32.INSUFFICIENT_BUFFER)
      throw new ScmError({ operation, service: name, win32Code: code });
  }
  const size = needed[0]!;
  return withNativeBuffer(size, (buffer) => {
    if (!call(buffer, size, needed))
      throw new ScmError({ operation, service: name, win32Code: lastError() });
    return decode(copyNativeBytes(buffer, size), buffer);
  });
}
