/**
 * Every error drvcycle raises on purpose: one registry of stable codes (listed in docs/errors.md;
 * tests/unit/errors.spec.ts checks that), messages that say what went wrong and what to
 * do next, and one wire form. Each class turns itself into JSON (`toWire`) and is revived by its
 * code (`reviveError`), so a failure inside the agent reaches the runner as the same typed error
 * with every field, the hint included.
 */
import { describeWin32Error, isTransientScmError } from './win32-codes.ts';

export const ErrorCodes = {
  SCM: 'DRVCYCLE_SCM',
  SCM_TIMEOUT: 'DRVCYCLE_SCM_TIMEOUT',
  SCM_UNEXPECTED_STATE: 'DRVCYCLE_SCM_UNEXPECTED_STATE',
  FOREIGN_SERVICE: 'DRVCYCLE_FOREIGN_SERVICE',
  INVALID_REQUEST: 'DRVCYCLE_INVALID_REQUEST',
  UNAUTHORIZED: 'DRVCYCLE_UNAUTHORIZED',
  PATH_NOT_ALLOWED: 'DRVCYCLE_PATH_NOT_ALLOWED',
  BODY_TOO_LARGE: 'DRVCYCLE_BODY_TOO_LARGE',
  BUSY: 'DRVCYCLE_BUSY',
  AGENT_UNREACHABLE: 'DRVCYCLE_AGENT_UNREACHABLE',
  AGENT_INTERNAL: 'DRVCYCLE_AGENT_INTERNAL',
  AGENT_TLS: 'DRVCYCLE_AGENT_TLS',
  PNP: 'DRVCYCLE_PNP',
  CONFIG: 'DRVCYCLE_CONFIG',
  LAB_SETUP: 'DRVCYCLE_LAB_SETUP',
  LAB_MACHINE: 'DRVCYCLE_LAB_MACHINE',
  VM_COMMAND: 'DRVCYCLE_VM_COMMAND',
  REPORT: 'DRVCYCLE_REPORT',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** An error as JSON: its code, its message without the hint, the hint, and its own fields. */
export interface WireError {
  readonly code: ErrorCode;
  readonly name: string;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly [detail: string]: unknown;
}

export class DrvcycleError extends Error {
  readonly code: ErrorCode;
  /** The next step for the person reading the message. */
  readonly hint: string | undefined;
  /** The message without the hint line. */
  readonly problem: string;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n${options.hint}` : message, { cause: options.cause });
    this.name = 'DrvcycleError';
    this.code = code;
    this.hint = options.hint;
    this.problem = message;
  }

  /** The class's own fields, enough for its reviver to build the same error again. */
  protected details(): Record<string, unknown> {
    return {};
  }

  toWire(): WireError {
    return {
      ...this.details(),
      code: this.code,
      name: this.name,
      message: this.problem,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

export class ConfigError extends DrvcycleError {
  constructor(message: string, hint: string) {
    super(ErrorCodes.CONFIG, message, { hint });
    this.name = 'ConfigError';
  }
}

export type ScmOperation =
  | 'OpenSCManager'
  | 'CreateService'
  | 'OpenService'
  | 'StartService'
  | 'ControlService'
  | 'QueryServiceStatusEx'
  | 'QueryServiceConfig'
  | 'QueryServiceConfig2'
  | 'ChangeServiceConfig2'
  | 'DeleteService'
  | 'EnumServicesStatusEx'
  // PnP devices (SetupAPI, newdev): the device added, found or removed.
  | 'SetupDiCreateDeviceInfoList'
  | 'SetupDiCreateDeviceInfo'
  | 'SetupDiSetDeviceRegistryProperty'
  | 'SetupDiCallClassInstaller(DIF_REGISTERDEVICE)'
  | 'SetupDiCallClassInstaller(DIF_REMOVE)'
  | 'SetupDiGetClassDevs'
  | 'SetupDiEnumDeviceInfo'
  | 'UpdateDriverForPlugAndPlayDevices'
  // The driver package the install published (the driver store), removed with the driver.
  | 'SetupUninstallOEMInf'
  | 'CM_Enable_DevNode'
  | 'CM_Disable_DevNode';

export interface ScmErrorDetails {
  readonly operation: ScmOperation;
  readonly service?: string | undefined;
  readonly win32Code: number;
  /** The service state (name) seen right after the failure, when it could be read. */
  readonly state?: string | undefined;
  readonly ntstatus?: number | undefined;
  readonly cycle?: number | undefined;
  /** The message text as the machine gave it (carried over the wire, so both sides say the same). */
  readonly win32Message?: string | undefined;
}

const atCycle = (cycle: number | undefined) => (cycle !== undefined ? ` at cycle ${cycle}` : '');

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
    const described = describeWin32Error(details.win32Code);
    const name = described.name;
    const message = details.win32Message ?? described.message;
    const where = details.service ? ` on service "${details.service}"` : '';
    const state = details.state ? ` (state ${details.state})` : '';
    super(
      ErrorCodes.SCM,
      `${details.operation}${where} failed${atCycle(details.cycle)}: ${details.win32Code} ${name}: ${message}${state}`,
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

  /** The same failure, numbered with the cycle it happened in. */
  atCycle(cycle: number): ScmError {
    return new ScmError({ ...this.scmDetails(), cycle });
  }

  protected override details(): Record<string, unknown> {
    return { ...this.scmDetails(), win32Name: this.win32Name };
  }

  private scmDetails(): ScmErrorDetails {
    return {
      operation: this.operation,
      service: this.service,
      win32Code: this.win32Code,
      state: this.state,
      ntstatus: this.ntstatus,
      cycle: this.cycle,
      win32Message: this.win32Message,
    };
  }
}

export interface ScmTimeoutDetails {
  readonly operation: ScmOperation;
  readonly service: string;
  readonly state: string;
  readonly elapsedMs: number;
  readonly boundMs: number;
  readonly cycle?: number | undefined;
}

/** A pending state that did not end within its bound. */
export class ScmTimeoutError extends DrvcycleError {
  readonly operation: ScmOperation;
  readonly service: string;
  readonly state: string;
  readonly elapsedMs: number;
  readonly boundMs: number;
  readonly cycle: number | undefined;

  constructor(details: ScmTimeoutDetails) {
    super(
      ErrorCodes.SCM_TIMEOUT,
      `${details.operation} on service "${details.service}" did not finish${atCycle(details.cycle)}: still ${details.state} after ${Math.round(details.elapsedMs)} ms (bound ${details.boundMs} ms)`,
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

  protected override details(): Record<string, unknown> {
    const { operation, service, state, elapsedMs, boundMs, cycle } = this;
    return { operation, service, state, elapsedMs, boundMs, cycle };
  }
}

export type UnexpectedStateOperation =
  | 'StartService'
  | 'ControlService'
  | 'UpdateDriverForPlugAndPlayDevices'
  // Windows unloads a PnP driver with its last device: the service should then be STOPPED.
  | 'SetupDiCallClassInstaller(DIF_REMOVE)'
  | 'CM_Disable_DevNode';

export interface UnexpectedStateDetails {
  readonly operation: UnexpectedStateOperation;
  readonly service: string;
  readonly expected: string;
  readonly state: string;
  readonly cycle?: number | undefined;
}

/** The SCM reported success, but the service did not reach the state the operation promised. */
export class UnexpectedStateError extends DrvcycleError {
  readonly operation: UnexpectedStateOperation;
  readonly service: string;
  readonly expected: string;
  readonly state: string;
  readonly cycle: number | undefined;

  constructor(details: UnexpectedStateDetails) {
    super(
      ErrorCodes.SCM_UNEXPECTED_STATE,
      `${details.operation} on service "${details.service}" reported success${atCycle(details.cycle)}, but the service is ${details.state}, not ${details.expected}.`,
    );
    this.name = 'UnexpectedStateError';
    this.operation = details.operation;
    this.service = details.service;
    this.expected = details.expected;
    this.state = details.state;
    this.cycle = details.cycle;
  }

  protected override details(): Record<string, unknown> {
    const { operation, service, expected, state, cycle } = this;
    return { operation, service, expected, state, cycle };
  }
}

/** drvcycle refuses to touch a service it did not create. */
export class ForeignServiceError extends DrvcycleError {
  readonly service: string;
  readonly action: string;
  readonly seen: string;

  constructor(details: { service: string; action: string; seen: string }) {
    super(
      ErrorCodes.FOREIGN_SERVICE,
      `Refusing to ${details.action} service "${details.service}": drvcycle did not create it (${details.seen}).`,
      {
        hint: 'drvcycle only changes services that carry its ownership marker. Choose another service name for the driver under test, or remove that service yourself if it is really yours.',
      },
    );
    this.name = 'ForeignServiceError';
    this.service = details.service;
    this.action = details.action;
    this.seen = details.seen;
  }

  protected override details(): Record<string, unknown> {
    return { service: this.service, action: this.action, seen: this.seen };
  }
}

/** A request the agent refused, with the HTTP status it answered. */
export class AgentRequestError extends DrvcycleError {
  readonly status: number;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    hint?: string | undefined,
    cause?: unknown,
  ) {
    super(code, message, { ...(hint ? { hint } : {}), ...(cause ? { cause } : {}) });
    this.name = 'AgentRequestError';
    this.status = status;
  }

  protected override details(): Record<string, unknown> {
    return { status: this.status };
  }
}

type Reviver = (wire: WireError) => DrvcycleError;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

const plain: Reviver = (wire) =>
  new DrvcycleError(wire.code, wire.message, wire.hint ? { hint: wire.hint } : {});
const request: Reviver = (wire) =>
  new AgentRequestError(num(wire.status) ?? 400, wire.code, wire.message, wire.hint);

/** How each code comes back to life on the runner's side. */
const REVIVERS: Record<ErrorCode, Reviver> = {
  DRVCYCLE_SCM: (w) =>
    new ScmError({
      operation: w.operation as ScmOperation,
      service: str(w.service),
      win32Code: num(w.win32Code) ?? 0,
      state: str(w.state),
      ntstatus: num(w.ntstatus),
      cycle: num(w.cycle),
      win32Message: str(w.win32Message),
    }),
  DRVCYCLE_SCM_TIMEOUT: (w) =>
    new ScmTimeoutError({
      operation: w.operation as ScmOperation,
      service: str(w.service) ?? '',
      state: str(w.state) ?? 'UNKNOWN',
      elapsedMs: num(w.elapsedMs) ?? 0,
      boundMs: num(w.boundMs) ?? 0,
      cycle: num(w.cycle),
    }),
  DRVCYCLE_SCM_UNEXPECTED_STATE: (w) =>
    new UnexpectedStateError({
      operation: w.operation as UnexpectedStateDetails['operation'],
      service: str(w.service) ?? '',
      expected: str(w.expected) ?? '',
      state: str(w.state) ?? 'UNKNOWN',
      cycle: num(w.cycle),
    }),
  DRVCYCLE_FOREIGN_SERVICE: (w) =>
    new ForeignServiceError({
      service: str(w.service) ?? '',
      action: str(w.action) ?? '',
      seen: str(w.seen) ?? '',
    }),
  DRVCYCLE_INVALID_REQUEST: request,
  DRVCYCLE_UNAUTHORIZED: request,
  DRVCYCLE_PATH_NOT_ALLOWED: request,
  DRVCYCLE_BODY_TOO_LARGE: request,
  DRVCYCLE_BUSY: plain,
  DRVCYCLE_CONFIG: (w) => new ConfigError(w.message, w.hint ?? ''),
  DRVCYCLE_AGENT_UNREACHABLE: plain,
  DRVCYCLE_AGENT_INTERNAL: plain,
  DRVCYCLE_AGENT_TLS: plain,
  DRVCYCLE_PNP: plain,
  DRVCYCLE_LAB_SETUP: plain,
  DRVCYCLE_LAB_MACHINE: plain,
  DRVCYCLE_VM_COMMAND: plain,
  DRVCYCLE_REPORT: plain,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(REVIVERS, value);
}

/** Any thrown value as JSON. Unexpected errors keep their message only: stacks stay in logs. */
export function toWire(error: unknown): WireError {
  if (error instanceof DrvcycleError) return error.toWire();
  return {
    code: ErrorCodes.AGENT_INTERNAL,
    name: 'DrvcycleError',
    message: `drvcycle failed unexpectedly: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    hint: 'This is a drvcycle bug: the log of the process that failed has the stack.',
  };
}

/** The typed error a wire form stands for. */
export function reviveError(wire: WireError): DrvcycleError {
  const revive = isErrorCode(wire.code) ? REVIVERS[wire.code] : undefined;
  if (!revive)
    return new DrvcycleError(ErrorCodes.AGENT_INTERNAL, `${wire.code}: ${wire.message}`, {
      ...(wire.hint ? { hint: wire.hint } : {}),
    });
  return revive(wire);
}
