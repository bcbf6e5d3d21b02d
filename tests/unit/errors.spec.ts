import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  AgentRequestError,
  ConfigError,
  DrvcycleError,
  ErrorCodes,
  ForeignServiceError,
  reviveError,
  ScmError,
  ScmTimeoutError,
  toWire,
  UnexpectedStateError,
  type ErrorCode,
  type WireError,
} from '../../src/core/errors.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

test('every error code is documented in docs/errors.md', () => {
  const table = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = (code: string) => new RegExp(`\\|\\s*\`${code}\`\\s*\\|`).test(table);
  expect(Object.values(ErrorCodes).filter((code) => !documented(code))).toEqual([]);
});

test('an error with a hint puts the next step on its own line', () => {
  const error = new DrvcycleError(ErrorCodes.CONFIG, 'CYCLES=x is not a number.', {
    hint: 'Set CYCLES=100.',
  });
  expect(error.message).toBe('CYCLES=x is not a number.\nSet CYCLES=100.');
  expect(error.problem).toBe('CYCLES=x is not a number.');
  expect(error.hint).toBe('Set CYCLES=100.');
  expect(error.code).toBe('DRVCYCLE_CONFIG');
});

const plain = (code: ErrorCode) => () =>
  new DrvcycleError(code, `Something went wrong (${code}).`, { hint: `What to do about ${code}.` });
const request = (status: number, code: ErrorCode) => () =>
  new AgentRequestError(
    status,
    code,
    `The agent refused the request (${status}).`,
    'Send another.',
  );

/** A representative error for every code: typed so that a new code without a case fails to compile. */
const REPRESENTATIVES: Record<ErrorCode, () => DrvcycleError> = {
  DRVCYCLE_SCM: () =>
    new ScmError({
      operation: 'ControlService',
      service: 'dc_x',
      win32Code: 1061,
      state: 'STOP_PENDING',
      ntstatus: 0xc0000135,
      cycle: 7,
    }),
  DRVCYCLE_SCM_TIMEOUT: () =>
    new ScmTimeoutError({
      operation: 'ControlService',
      service: 'dc_x',
      state: 'STOP_PENDING',
      elapsedMs: 3004.6,
      boundMs: 3000,
      cycle: 4,
    }),
  DRVCYCLE_SCM_UNEXPECTED_STATE: () =>
    new UnexpectedStateError({
      operation: 'StartService',
      service: 'dc_x',
      expected: 'RUNNING',
      state: 'STOPPED',
      cycle: 2,
    }),
  DRVCYCLE_FOREIGN_SERVICE: () =>
    new ForeignServiceError({
      service: 'Beep',
      action: 'delete',
      seen: 'display name "Beep", no drvcycle marker',
    }),
  DRVCYCLE_INVALID_REQUEST: request(400, ErrorCodes.INVALID_REQUEST),
  DRVCYCLE_UNAUTHORIZED: request(401, ErrorCodes.UNAUTHORIZED),
  DRVCYCLE_PATH_NOT_ALLOWED: request(403, ErrorCodes.PATH_NOT_ALLOWED),
  DRVCYCLE_BODY_TOO_LARGE: request(413, ErrorCodes.BODY_TOO_LARGE),
  DRVCYCLE_CONFIG: () =>
    new ConfigError('CYCLES=0 is out of range.', 'Set CYCLES to a number such as 50.'),
  DRVCYCLE_BUSY: plain(ErrorCodes.BUSY),
  DRVCYCLE_AGENT_UNREACHABLE: plain(ErrorCodes.AGENT_UNREACHABLE),
  DRVCYCLE_AGENT_INTERNAL: plain(ErrorCodes.AGENT_INTERNAL),
  DRVCYCLE_AGENT_TLS: plain(ErrorCodes.AGENT_TLS),
  DRVCYCLE_PNP: plain(ErrorCodes.PNP),
  DRVCYCLE_LAB_SETUP: plain(ErrorCodes.LAB_SETUP),
  DRVCYCLE_LAB_MACHINE: plain(ErrorCodes.LAB_MACHINE),
  DRVCYCLE_VM_COMMAND: plain(ErrorCodes.VM_COMMAND),
  DRVCYCLE_REPORT: plain(ErrorCodes.REPORT),
};

/** Through JSON, as the agent sends it. */
const overTheWire = (error: unknown): WireError =>
  JSON.parse(JSON.stringify(toWire(error))) as WireError;

test('every error code has a representative in the wire round trip', () => {
  expect(Object.keys(REPRESENTATIVES).sort()).toEqual(Object.values(ErrorCodes).sort());
});

for (const [code, make] of Object.entries(REPRESENTATIVES)) {
  test(`${make().name} with code ${code} comes back from the wire as the same error`, () => {
    const original = make();
    expect(original.code).toBe(code);
    const wire = overTheWire(original);
    expect(wire).toMatchObject({ code, name: original.name, message: original.problem });
    expect(wire).not.toHaveProperty('type');
    expect(wire.hint).toBe(original.hint);

    const revived = reviveError(wire);
    expect(revived.constructor).toBe(original.constructor);
    expect(revived.code).toBe(code);
    expect(revived.name).toBe(original.name);
    expect(revived.message).toBe(original.message);
    expect(revived.problem).toBe(original.problem);
    expect(revived.hint).toBe(original.hint);
    // Every field the class has of its own (operation, service, win32Code, state, status…).
    const fields = Object.keys(original) as (keyof typeof original)[];
    expect(fields.length).toBeGreaterThanOrEqual(4);
    for (const field of fields) expect(revived[field], field).toEqual(original[field]);
    expect(revived.toWire()).toEqual(original.toWire());
  });
}

test('every detail of an SCM error survives, the numbers as numbers', () => {
  const revived = reviveError(overTheWire(REPRESENTATIVES.DRVCYCLE_SCM()));
  expect(revived).toBeInstanceOf(ScmError);
  expect(revived).toMatchObject({
    operation: 'ControlService',
    service: 'dc_x',
    win32Code: 1061,
    win32Name: 'ERROR_SERVICE_CANNOT_ACCEPT_CTRL',
    state: 'STOP_PENDING',
    ntstatus: 0xc0000135,
    cycle: 7,
  });
  expect((revived as ScmError).transient).toBe(true);
  expect(reviveError(overTheWire(REPRESENTATIVES.DRVCYCLE_PATH_NOT_ALLOWED()))).toMatchObject({
    status: 403,
  });
});

test('an unexpected thrown value becomes an internal error without its stack', () => {
  const thrown = new RangeError('x');
  expect(thrown.stack).toContain('    at ');
  const wire = overTheWire(thrown);
  expect(wire.code).toBe('DRVCYCLE_AGENT_INTERNAL');
  expect(wire.message).toBe('drvcycle failed unexpectedly: RangeError: x');
  expect(JSON.stringify(wire)).not.toContain('    at ');
  const revived = reviveError(wire);
  expect(revived).toBeInstanceOf(DrvcycleError);
  expect(revived.code).toBe('DRVCYCLE_AGENT_INTERNAL');
  expect(revived.message).not.toContain('    at ');
  expect(revived.hint).toMatch(/the log of the process that failed has the stack/);
  expect(overTheWire('a string').message).toBe('drvcycle failed unexpectedly: a string');
});

test('a code this version does not know comes back as an internal error naming it', () => {
  const revived = reviveError({
    code: 'DRVCYCLE_FROM_THE_FUTURE' as ErrorCode,
    name: 'FutureError',
    message: 'Something new.',
    hint: 'Upgrade drvcycle.',
  });
  expect(revived.constructor).toBe(DrvcycleError);
  expect(revived.code).toBe('DRVCYCLE_AGENT_INTERNAL');
  expect(revived.message).toBe('DRVCYCLE_FROM_THE_FUTURE: Something new.\nUpgrade drvcycle.');
});

test('every error-path case is in the table of docs/verdicts.md', async () => {
  const { ERROR_PATH_CASES } = await import('../../src/families/error-paths.ts');
  const table = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'verdicts.md'), 'utf8');
  for (const c of ERROR_PATH_CASES) {
    const escaped = c.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(table, c.title).toMatch(new RegExp(`\\|\\s*${escaped}\\s*\\|`));
  }
});

test('the version the agent reports is the package version', async () => {
  const { DRVCYCLE_VERSION } = await import('../../src/core/version.ts');
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(DRVCYCLE_VERSION).toBe(pkg.version);
});

test('typed errors survive the wire with every field', () => {
  const timeout = reviveError(
    toWire(
      new ScmTimeoutError({
        operation: 'ControlService',
        service: 's',
        state: 'STOP_PENDING',
        elapsedMs: 10,
        boundMs: 5,
        cycle: 3,
      }),
    ),
  );
  expect(timeout).toBeInstanceOf(ScmTimeoutError);
  expect(timeout).toMatchObject({ state: 'STOP_PENDING', elapsedMs: 10, boundMs: 5, cycle: 3 });
  const unexpected = reviveError(toWire(new RangeError('bad')));
  expect(unexpected).toMatchObject({ code: 'DRVCYCLE_AGENT_INTERNAL' });
  expect(unexpected.message).toMatch(/^drvcycle failed unexpectedly: RangeError: bad/);
});
