/**
 * Every error drvcycle raises on purpose has a stable code, says what went wrong and what to do
 * next. The codes are listed in README.md ("Errors"); tests/unit/errors.spec.ts checks that.
 */
export const ErrorCodes = {
  SCM: 'DRVCYCLE_SCM',
  SCM_TIMEOUT: 'DRVCYCLE_SCM_TIMEOUT',
  FOREIGN_SERVICE: 'DRVCYCLE_FOREIGN_SERVICE',
  INVALID_REQUEST: 'DRVCYCLE_INVALID_REQUEST',
  UNAUTHORIZED: 'DRVCYCLE_UNAUTHORIZED',
  PATH_NOT_ALLOWED: 'DRVCYCLE_PATH_NOT_ALLOWED',
  BODY_TOO_LARGE: 'DRVCYCLE_BODY_TOO_LARGE',
  AGENT_UNREACHABLE: 'DRVCYCLE_AGENT_UNREACHABLE',
  AGENT_INTERNAL: 'DRVCYCLE_AGENT_INTERNAL',
  CONFIG: 'DRVCYCLE_CONFIG',
  LAB_SETUP: 'DRVCYCLE_LAB_SETUP',
  LAB_MACHINE: 'DRVCYCLE_LAB_MACHINE',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class DrvcycleError extends Error {
  readonly code: ErrorCode;
  /** The next step for the person reading the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n${options.hint}` : message, { cause: options.cause });
    this.name = 'DrvcycleError';
    this.code = code;
    this.hint = options.hint;
  }
}

export class ConfigError extends DrvcycleError {
  constructor(message: string, hint: string) {
    super(ErrorCodes.CONFIG, message, { hint });
    this.name = 'ConfigError';
  }
}
