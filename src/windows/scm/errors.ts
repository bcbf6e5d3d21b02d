import { DrvcycleError, ErrorCodes } from '../../core/errors.ts';
import { describeWin32Error, isTransientScmError } from '../../core/win32-codes.ts';

export type ScmOperation =
  | 'OpenSCManager'
  | 'CreateService'
  | 'OpenService'
  | 'StartService'
  | 'ControlService'
  | 'QueryServiceStatusEx'
  | 'QueryServiceConfig'
  | 'QueryServiceConfig2'
  | 'ChangeServiceConfig'
  | 'ChangeServiceConfig2'
  | 'DeleteService'
  | 'EnumServicesStatusEx';

export interface ScmErrorDetails {
  readonly operation: ScmOperation;
  readonly service?: string | undefined;
  readonly win32Code: number;
  /** The service state (name) seen right after the failure, when it could be read. */
  readonly state?: string | undefined;
  readonly ntstatus?: number | undefined;
  readonly cycle?: number | undefined;
}

/** A Win32 failure of one SCM call: code, symbolic name, message, operation and service. */
export class ScmError extends DrvcycleError {
  readonly operation: ScmOperation;
  readonly service: string | undefined;
  readonly win32Code: number;
  readonly win32Name: string;
  readonly win32Message: string;
  readonly state: string | undefined;
  readonly ntstatus: number | undefined;
  readonly cycle: number | undefined;

  constructor(details: ScmErrorDetails) {
    const { name, message } = describeWin32Error(details.win32Code);
    const where = details.service ? ` on service "${details.service}"` : '';
    const state = details.state ? ` (state ${details.state})` : '';
    const cycle = details.cycle !== undefined ? ` at cycle ${details.cycle}` : '';
    super(
      ErrorCodes.SCM,
      `${details.operation}${where} failed${cycle}: ${details.win32Code} ${name}: ${message}${state}`,
    );
    this.name = 'ScmError';
    this.operation = details.operation;
    this.service = details.service;
    this.win32Code = details.win32Code;
    this.win32Name = name;
    this.win32Message = message;
    this.state = details.state;
    this.ntstatus = details.ntstatus;
    this.cycle = details.cycle;
  }

  get transient(): boolean {
    return isTransientScmError(this.win32Code);
  }
}

/** A pending state that did not end within its bound. */
export class ScmTimeoutError extends DrvcycleError {
  readonly operation: ScmOperation;
  readonly service: string;
  readonly state: string;
  readonly elapsedMs: number;
  readonly boundMs: number;
  readonly cycle: number | undefined;

  constructor(details: {
    operation: ScmOperation;
    service: string;
    state: string;
    elapsedMs: number;
    boundMs: number;
    cycle?: number | undefined;
  }) {
    const cycle = details.cycle !== undefined ? ` at cycle ${details.cycle}` : '';
    super(
      ErrorCodes.SCM_TIMEOUT,
      `${details.operation} on service "${details.service}" did not finish${cycle}: still ${details.state} after ${Math.round(details.elapsedMs)} ms (bound ${details.boundMs} ms)`,
      {
        hint:
          details.state === 'STOP_PENDING'
            ? "The driver's DriverUnload has not returned. On Windows the machine needs a reboot (or a checkpoint revert) before the service can be removed."
            : "Raise the bound if the driver is legitimately slow, or look at the driver's DriverEntry.",
      },
    );
    this.name = 'ScmTimeoutError';
    this.operation = details.operation;
    this.service = details.service;
    this.state = details.state;
    this.elapsedMs = details.elapsedMs;
    this.boundMs = details.boundMs;
    this.cycle = details.cycle;
  }
}

/** drvcycle refuses to touch a service it did not create. */
export class ForeignServiceError extends DrvcycleError {
  readonly service: string;
  readonly action: string;

  constructor(service: string, action: string, seen: string) {
    super(
      ErrorCodes.FOREIGN_SERVICE,
      `Refusing to ${action} service "${service}": drvcycle did not create it (${seen}).`,
      {
        hint: 'drvcycle only changes services that carry its ownership marker. Choose another service name for the driver under test, or remove that service yourself if it is really yours.',
      },
    );
    this.name = 'ForeignServiceError';
    this.service = service;
    this.action = action;
  }
}
