/**
 * Errors as JSON, so a failure inside the agent reaches the runner as the same typed error with
 * the same Win32 code, state and cycle.
 */
import { DrvcycleError, ErrorCodes, type ErrorCode } from '../core/errors.ts';
import { UnexpectedStateError } from '../windows/scm/driver-services.ts';
import {
  ForeignServiceError,
  ScmError,
  ScmTimeoutError,
  type ScmOperation,
} from '../windows/scm/errors.ts';

export interface WireError {
  readonly type: string;
  readonly code: ErrorCode | 'UNEXPECTED';
  readonly message: string;
  readonly hint?: string | undefined;
  readonly operation?: ScmOperation | undefined;
  readonly service?: string | undefined;
  readonly win32Code?: number | undefined;
  readonly win32Name?: string | undefined;
  readonly state?: string | undefined;
  readonly cycle?: number | undefined;
  readonly elapsedMs?: number | undefined;
  readonly boundMs?: number | undefined;
  readonly expected?: string | undefined;
  readonly action?: string | undefined;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof UnexpectedStateError) {
    return {
      type: 'UnexpectedStateError',
      code: error.code,
      message: error.message,
      operation: error.operation,
      service: error.service,
      state: error.state,
      expected: error.expected,
      cycle: error.cycle,
      win32Code: 0,
    };
  }
  if (error instanceof ScmError) {
    return {
      type: 'ScmError',
      code: error.code,
      message: error.message,
      operation: error.operation,
      service: error.service,
      win32Code: error.win32Code,
      win32Name: error.win32Name,
      state: error.state,
      cycle: error.cycle,
    };
  }
  if (error instanceof ScmTimeoutError) {
    return {
      type: 'ScmTimeoutError',
      code: error.code,
      message: error.message,
      hint: error.hint,
      operation: error.operation,
      service: error.service,
      state: error.state,
      elapsedMs: error.elapsedMs,
      boundMs: error.boundMs,
      cycle: error.cycle,
    };
  }
  if (error instanceof ForeignServiceError) {
    return {
      type: 'ForeignServiceError',
      code: error.code,
      message: error.message,
      service: error.service,
      action: error.action,
    };
  }
  if (error instanceof DrvcycleError) {
    return { type: 'DrvcycleError', code: error.code, message: error.message, hint: error.hint };
  }
  return {
    type: 'Error',
    code: 'UNEXPECTED',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.type) {
    case 'ScmError':
      return new ScmError({
        operation: wire.operation!,
        service: wire.service,
        win32Code: wire.win32Code ?? 0,
        state: wire.state,
        cycle: wire.cycle,
      });
    case 'UnexpectedStateError':
      return new UnexpectedStateError(
        wire.operation as 'StartService' | 'ControlService',
        wire.service ?? '',
        wire.expected ?? '',
        wire.state ?? '',
        wire.cycle,
      );
    case 'ScmTimeoutError':
      return new ScmTimeoutError({
        operation: wire.operation!,
        service: wire.service ?? '',
        state: wire.state ?? 'UNKNOWN',
        elapsedMs: wire.elapsedMs ?? 0,
        boundMs: wire.boundMs ?? 0,
        cycle: wire.cycle,
      });
    case 'ForeignServiceError': {
      const error = new ForeignServiceError(wire.service ?? '', wire.action ?? '', '');
      error.message = wire.message;
      return error;
    }
    default: {
      const code = wire.code === 'UNEXPECTED' ? ErrorCodes.AGENT_INTERNAL : wire.code;
      const error = new DrvcycleError(code, wire.message);
      if (wire.code === 'UNEXPECTED')
        error.message = `The agent failed unexpectedly: ${wire.message}`;
      return error;
    }
  }
}
