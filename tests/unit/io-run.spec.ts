/**
 * The I/O run between a load and its unload, over a fake device (pure logic: the calls' order, their
 * bounds, cancels, expectations, fuzz calls), and the verdicts that name the failing operation.
 * The real device calls run on the lab (tests/e2e/io.spec.ts).
 */
import { expect, test } from '@playwright/test';
import { classifyCycleFailure } from '../../src/core/classify.ts';
import {
  parseIoTable,
  STATUS_CANCELLED,
  withOperations,
  type IoTable,
} from '../../src/core/io-table.ts';
import { classifyIoFailure } from '../../src/core/io-verdict.ts';
import {
  runIoTable,
  STATUS_FILE_DELETED,
  type DeviceCall,
  type DeviceCallWatch,
  type DeviceOpener,
} from '../../src/target/io-run.ts';
import { CallAbandonedError } from '../../src/windows/scm/blocking-call-watch.ts';
import type { IoCall, IoDevice, IoRequest } from '../../src/windows/io/device-io.ts';

/** How the fake driver answers one request: at once, after a while, only on cancel, or never. */
type Behaviour =
  | { readonly status: number; readonly afterMs?: number; readonly bytes?: number }
  | { readonly pendsUntilCancel: true }
  | { readonly never: true };

const WIN32: Record<number, number> = {
  0: 0,
  [STATUS_CANCELLED]: 995,
  0xc000000d: 87,
  0xc0000023: 122,
  [STATUS_FILE_DELETED]: 5,
};

/** A fake device (unit tests only): answers by the request, on a clock the waits advance. */
class FakeDevice implements IoDevice {
  readonly requests: IoRequest[] = [];
  closed = false;
  time = 0;
  private readonly answer: (request: IoRequest) => Behaviour;
  constructor(answer: (request: IoRequest) => Behaviour) {
    this.answer = answer;
  }
  call(request: IoRequest): IoCall {
    this.requests.push(request);
    const behaviour = this.answer(request);
    const started = this.time;
    let endsAt: number | undefined =
      'status' in behaviour ? started + (behaviour.afterMs ?? 0) : undefined;
    let status = 'status' in behaviour ? behaviour.status : STATUS_CANCELLED;
    const clock = (advance?: number) => (advance === undefined ? this.time : (this.time = advance));
    return {
      wait(ms) {
        if (endsAt !== undefined && endsAt <= clock() + ms) {
          clock(Math.max(clock(), endsAt));
          return {
            ntstatus: status,
            win32: WIN32[status] ?? 31,
            bytes: 'bytes' in behaviour ? (behaviour.bytes ?? 0) : 0,
          };
        }
        clock(clock() + ms);
        return undefined;
      },
      cancel() {
        if ('pendsUntilCancel' in behaviour && endsAt === undefined) {
          endsAt = clock();
          status = STATUS_CANCELLED;
        }
      },
      release() {},
    };
  }
  close() {
    this.closed = true;
  }
}

function run(table: IoTable, device: FakeDevice, seed?: number) {
  const open: DeviceOpener = () => device;
  return runIoTable(table, open, {
    cycle: 3,
    now: () => device.time,
    ...(seed !== undefined ? { seed } : {}),
  });
}

const TABLE = parseIoTable(
  {
    device: '\\\\.\\DcIoClean',
    operations: [
      { name: 'get', ioctl: '0x222000', outputSize: 4 },
      { name: 'alloc', ioctl: '0x222004', inputHex: '01000000', repeat: 3 },
      {
        name: 'alloc-short',
        ioctl: '0x222004',
        inputHex: '01',
        expect: 'STATUS_INVALID_PARAMETER',
      },
      { name: 'read', read: 16, timeoutMs: 1000 },
    ],
  },
  'io.json',
);

const clean = (request: IoRequest): Behaviour =>
  request.kind === 'ioctl' && request.code === 0x222004 && request.inputLength < 4
    ? { status: 0xc000000d }
    : { status: 0, afterMs: 2, bytes: request.outputLength };

test('a clean run makes every call in order with its buffers, records each operation and closes the device', () => {
  const device = new FakeDevice(clean);
  const result = run(TABLE, device);
  expect(result.failure).toBeUndefined();
  expect(device.closed).toBe(true);
  expect(device.requests.map((r) => [r.kind, r.code, r.inputLength, r.outputLength])).toEqual([
    ['ioctl', 0x222000, 0, 4],
    ['ioctl', 0x222004, 4, 0],
    ['ioctl', 0x222004, 4, 0],
    ['ioctl', 0x222004, 4, 0],
    ['ioctl', 0x222004, 1, 0],
    ['read', undefined, 0, 16],
  ]);
  expect([...device.requests[1]!.input!]).toEqual([1, 0, 0, 0]);
  expect(result.operations).toEqual([
    { name: 'get', calls: 1, ntstatus: 0, win32: 0, bytes: 4, totalMs: 2, maxMs: 2 },
    { name: 'alloc', calls: 3, ntstatus: 0, win32: 0, bytes: 0, totalMs: 6, maxMs: 2 },
    {
      name: 'alloc-short',
      calls: 1,
      ntstatus: 0xc000000d,
      win32: 87,
      bytes: 0,
      totalMs: 0,
      maxMs: 0,
    },
    { name: 'read', calls: 1, ntstatus: 0, win32: 0, bytes: 16, totalMs: 2, maxMs: 2 },
  ]);
});

test('a status the operation does not expect fails the run there, naming the operation, its code and buffers', () => {
  const device = new FakeDevice(() => ({ status: 0xc000000d }));
  const { failure, operations } = run(TABLE, device);
  expect(operations.map((o) => o.name)).toEqual(['get']);
  expect(failure).toEqual({
    kind: 'unexpected-status',
    operation: 'get',
    code: 0x222000,
    description:
      'get (IOCTL 0x00222000 (device 0x22, function 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS))',
    call: 1,
    elapsedMs: 0,
    request: { inputLength: 0, outputLength: 4 },
    ntstatus: 0xc000000d,
    win32: 87,
    expected: 'success',
  });
  expect(device.closed).toBe(true);
  const verdict = classifyIoFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    cycle: 3,
    failure: failure!,
    crashLines: [],
    state: 'RUNNING',
  });
  expect(verdict.kind).toBe('unexpected-status');
  expect(verdict.summary).toBe(
    'UNEXPECTED STATUS in io at cycle 3: get (IOCTL 0x00222000 (device 0x22, function 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)), call 1 with no input and a 4-byte output ended with 0xC000000D STATUS_INVALID_PARAMETER (Win32 87 ERROR_INVALID_PARAMETER); expected success',
  );
  expect(verdict.evidence).toMatchObject({
    operation: 'get',
    ioctl: '0x00222000',
    expected: 'success',
  });
});

test('a call past its bound is a hang: cancelled, and whether it then ended is said', () => {
  for (const [behaviour, afterCancel, words] of [
    [
      { pendsUntilCancel: true },
      'ended',
      'it ended at once: the driver completes it only when it is cancelled',
    ],
    [
      { never: true },
      'still-pending',
      'it still did not end: the driver neither completes nor cancels it',
    ],
    // A dispatch routine that sleeps past the bound (io_slow_get under a tight bound).
    [
      { status: 0, afterMs: 1300 },
      'ended',
      'it ended 300 ms later: the driver was still working on it past its bound',
    ],
  ] as const) {
    const device = new FakeDevice((r) => (r.kind === 'read' ? behaviour : { status: 0 }));
    const { failure } = run(
      parseIoTable(
        {
          device: '\\\\.\\A',
          operations: [
            { name: 'get', ioctl: 1 },
            { name: 'read', read: 16, timeoutMs: 1000 },
          ],
        },
        'x',
      ),
      device,
    );
    expect(failure).toMatchObject({
      kind: 'hang',
      operation: 'read',
      boundMs: 1000,
      elapsedMs: 1000,
      afterCancel,
    });
    expect(device.closed).toBe(true);
    const verdict = classifyIoFailure({
      driver: 'dc_x',
      scenario: 'cycles',
      cycle: 1,
      failure: failure!,
      crashLines: [],
      state: 'RUNNING',
    });
    expect(verdict.kind).toBe('hang');
    expect(verdict.summary).toContain(
      'HANG in io at cycle 1: read (ReadFile 16 bytes), call 1 with no input and a 16-byte output did not complete within 1000 ms; cancelled then, ',
    );
    expect(verdict.summary).toContain(words);
  }
});

test('cancelAfterMs: a call meant to wait is cancelled then and must end (STATUS_CANCELLED by default)', () => {
  const table = parseIoTable(
    {
      device: '\\\\.\\A',
      operations: [{ name: 'read', read: 16, cancelAfterMs: 50, timeoutMs: 1000 }],
    },
    'x',
  );
  const cancelled = new FakeDevice(() => ({ pendsUntilCancel: true }));
  expect(run(table, cancelled)).toEqual({
    operations: [
      {
        name: 'read',
        calls: 1,
        ntstatus: STATUS_CANCELLED,
        win32: 995,
        bytes: 0,
        totalMs: 50,
        maxMs: 50,
      },
    ],
  });
  // A driver with no cancel routine: the call outlives its bound.
  const stuck = new FakeDevice(() => ({ never: true }));
  expect(run(table, stuck).failure).toMatchObject({
    kind: 'hang',
    operation: 'read',
    elapsedMs: 1000,
  });
});

test('a crash in a call (the host died: its crash line) is a crash naming the call, whatever its status', () => {
  const device = new FakeDevice((r) =>
    r.inputLength === 1 ? { status: STATUS_FILE_DELETED, afterMs: 4600 } : { status: 0 },
  );
  const { failure } = run(TABLE, device);
  const line =
    'wine: Unhandled page fault on write access to 0000000000000000 at address 00000002FCF712E3 (thread 0144), starting debugger...';
  const verdict = classifyIoFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    cycle: 1,
    failure: failure!,
    crashLines: [line],
    state: 'RUNNING',
  });
  expect(verdict.kind).toBe('crash');
  expect(verdict.summary).toBe(
    `CRASH in io at cycle 1: the driver host died in alloc-short (IOCTL 0x00222004 (device 0x22, function 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)), call 1 with a 1-byte input and no output: ${line} (the call ended with 0xC0000123 STATUS_FILE_DELETED after 4600 ms)`,
  );
  expect(verdict.evidence).toMatchObject({
    operation: 'alloc-short',
    ioctl: '0x00222004',
    request: { inputLength: 1, inputHex: '01' },
    crashLines: [line],
  });
  // The cycle's record goes through the one classifier.
  const viaCycle = classifyCycleFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    record: {
      cycle: 1,
      outcome: 'io-failed',
      startMs: 10,
      stopMs: null,
      state: 'RUNNING',
      ioFailure: failure!,
    },
    debugOutput: `0040:0044:trace:x\n${line}\n`,
  });
  expect(viaCycle).toEqual(verdict);
});

test('a device that will not open after a load is named with its Win32 code', () => {
  const result = runIoTable(TABLE, () => ({ win32: 2, path: '\\\\.\\DcIoClean' }), { cycle: 1 });
  expect(result.failure).toMatchObject({ kind: 'open-failed', operation: 'open', win32: 2 });
  const verdict = classifyIoFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    cycle: 1,
    failure: result.failure!,
    crashLines: [],
    state: 'RUNNING',
  });
  expect(verdict.summary).toBe(
    'UNEXPECTED STATUS in io at cycle 1: the driver loaded, but its device would not open: open \\\\.\\DcIoClean failed with Win32 2 ERROR_FILE_NOT_FOUND (the driver did not create it, or the I/O table names another device)',
  );
});

test('fuzz mode: hostile calls after each operation, any status but the device gone, the seed in the failure', () => {
  const table = parseIoTable(
    {
      device: '\\\\.\\A',
      fuzz: { seed: 42, randomCalls: 2 },
      operations: [{ name: 'alloc', ioctl: '0x222004', inputHex: '01000000' }],
    },
    'x',
  );
  const device = new FakeDevice(() => ({ status: 0xc000000d }));
  const ok = run(
    parseIoTable(
      {
        ...JSON.parse(JSON.stringify(table)),
        operations: [{ name: 'alloc', ioctl: '0x222004', inputHex: '01000000', expect: 'any' }],
      },
      'x',
    ),
    device,
    42,
  );
  expect(ok.failure).toBeUndefined();
  // zero, short input, huge, misaligned, NULL input, NULL output, 2 random, cancel; after the call itself.
  expect(ok.operations[0]!.calls).toBe(10);
  expect(
    device.requests.slice(1).map((r) => [r.inputLength, r.input === null, r.misaligned ?? false]),
  ).toEqual([
    [0, false, false],
    [3, false, false],
    [65536, false, false],
    [4, false, true],
    [16, true, false],
    [4, false, false],
    [device.requests[7]!.inputLength, false, false],
    [device.requests[8]!.inputLength, false, false],
    [4, false, false],
  ]);
  expect(device.requests[6]!.nullOutput).toBe(true);
  // The same seed and cycle draw the same random calls.
  const again = new FakeDevice(() => ({ status: 0 }));
  run(table, again, 42);
  expect(again.requests.slice(7, 9).map((r) => [...(r.input ?? [])])).toEqual(
    device.requests.slice(7, 9).map((r) => [...(r.input ?? [])]),
  );
  // The host dying under a fuzz call (STATUS_FILE_DELETED under Wine) fails it, with case and seed.
  const dying = new FakeDevice((r) =>
    r.inputLength === 3 ? { status: STATUS_FILE_DELETED } : { status: 0 },
  );
  const { failure } = run(table, dying, 42);
  expect(failure).toMatchObject({
    kind: 'unexpected-status',
    operation: 'alloc',
    call: 3,
    request: { fuzz: 'short input', seed: 42, inputLength: 3 },
  });
  const verdict = classifyIoFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    cycle: 3,
    failure: failure!,
    crashLines: ['wine: Unhandled page fault on write access to 0000000000000000'],
    state: 'RUNNING',
  });
  expect(verdict.summary).toContain(
    'call 3 with a 3-byte input and no output (fuzz case "short input", seed 42)',
  );
  expect(verdict.evidence).toMatchObject({ seed: 42, ioctl: '0x00222004' });
});

test('a table cut to some operations (ddmin, a leak phase) fuzzes each kept one with the same calls', () => {
  const table = { ...TABLE, fuzz: { seed: 7, randomCalls: 3 } };
  const randomInputs = (t: IoTable, name: string) => {
    const device = new FakeDevice(() => ({ status: 0 }));
    const cut = {
      ...t,
      operations: t.operations.map((op) => ({ ...op, expect: ['any' as const] })),
    };
    run(cut, device, 7);
    const code = t.operations.find((op) => op.name === name)!;
    return device.requests
      .filter((r) => code.kind === 'read' && r.kind === 'read')
      .map((r) => [r.outputLength]);
  };
  // read is the 4th operation of the table, the only one of the cut: the same random lengths.
  expect(randomInputs(withOperations(table, ['read']), 'read')).toEqual(
    randomInputs(table, 'read'),
  );
});

test('a call that returns, done, only past its bound (a slow synchronous dispatch) is a hang too', () => {
  // The fake's clock moves while the call is being made: the driver held the caller 500 ms.
  const device = new FakeDevice(() => ({ status: 0 }));
  const table = parseIoTable(
    { device: '\\\\.\\A', operations: [{ name: 'get', ioctl: '0x222000', timeoutMs: 250 }] },
    'x',
  );
  const blocking: DeviceOpener = () => ({
    call(request) {
      const call = device.call(request);
      device.time += 500;
      return call;
    },
    close: () => device.close(),
  });
  const { failure } = runIoTable(table, blocking, { cycle: 1, now: () => device.time });
  expect(failure).toMatchObject({
    kind: 'hang',
    operation: 'get',
    boundMs: 250,
    elapsedMs: 500,
    afterCancel: 'returned-late',
  });
  const verdict = classifyIoFailure({
    driver: 'dc_x',
    scenario: 'cycles',
    cycle: 1,
    failure: failure!,
    crashLines: [],
    state: 'RUNNING',
  });
  expect(verdict.kind).toBe('hang');
  expect(verdict.summary).toContain(
    "took 500 ms, past its 250 ms bound: the call itself returned only then, completed by the driver's dispatch routine without pending it",
  );
});

/** A fake watchdog (unit tests only): records what it is told, and gives up on one operation. */
class FakeWatch implements DeviceCallWatch {
  readonly calls: DeviceCall[] = [];
  private readonly giveUpOn: 'open' | 'close' | 'call' | undefined;
  constructor(giveUpOn?: 'open' | 'close' | 'call') {
    this.giveUpOn = giveUpOn;
  }
  beginDeviceCall(call: DeviceCall) {
    // A copy: the run goes on filling the operations it was given.
    this.calls.push(JSON.parse(JSON.stringify(call)) as DeviceCall);
  }
  end() {
    return this.calls.at(-1)?.operation !== this.giveUpOn;
  }
}

const BOUNDED = parseIoTable(
  {
    device: '\\\\.\\DcIoHangCreate',
    openTimeoutMs: 2000,
    operations: [{ name: 'get', ioctl: '0x222000', outputSize: 4 }],
  },
  'io_hang_create.json',
);

test('the open and the close go to the watchdog with the table’s bound and the device', () => {
  const device = new FakeDevice(clean);
  const watch = new FakeWatch();
  const result = runIoTable(BOUNDED, () => device, { cycle: 4, now: () => device.time, watch });
  expect(result.failure).toBeUndefined();
  // Each call is watched while it is issued, with its operation's bound.
  expect(watch.calls.map((c) => [c.operation, c.path, c.boundMs, c.cycle])).toEqual([
    ['open', '\\\\.\\DcIoHangCreate', 2000, 4],
    ['call', '\\\\.\\DcIoHangCreate', 5000, 4],
    ['close', '\\\\.\\DcIoHangCreate', 2000, 4],
  ]);
  // The close carries the cycle's operations: a close given up on reports them.
  expect(watch.calls[2]!.operations).toEqual([
    { name: 'get', calls: 1, ntstatus: 0, win32: 0, bytes: 4, totalMs: 2, maxMs: 2 },
  ]);
  expect(watch.calls[2]!.failure).toBeUndefined();
  // An interface table is named by its class until SetupAPI finds the path.
  const byInterface = new FakeWatch();
  runIoTable(
    { ...BOUNDED, device: undefined, deviceInterface: '{5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01}' },
    () => new FakeDevice(clean),
    { cycle: 1, watch: byInterface },
  );
  expect(byInterface.calls[0]!.path).toBe(
    'the first present interface of {5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01}',
  );
});

test('an open the watchdog gave up on ends the run: no call is made, a late handle is closed', () => {
  const device = new FakeDevice(clean);
  const watch = new FakeWatch('open');
  expect(() => runIoTable(BOUNDED, () => device, { cycle: 1, watch })).toThrow(CallAbandonedError);
  expect(device.requests).toEqual([]);
  expect(device.closed).toBe(true);
  expect(watch.calls.map((c) => c.operation)).toEqual(['open']);
});

test('a call whose dispatch routine never returns is given up on by the watchdog: a hang naming the operation', () => {
  const device = new FakeDevice(clean);
  const watch = new FakeWatch('call');
  expect(() => runIoTable(BOUNDED, () => device, { cycle: 3, watch })).toThrow(
    'get on "\\\\.\\DcIoHangCreate" returned after its bound had been reported as exceeded.',
  );
  // The watchdog was told the hang to report: the operation, its code and buffers, its bound.
  expect(watch.calls.map((c) => c.operation)).toEqual(['open', 'call']);
  expect(watch.calls[1]!.hang).toMatchObject({
    kind: 'hang',
    operation: 'get',
    code: 0x222000,
    call: 1,
    boundMs: 5000,
    afterCancel: 'never-returned',
    request: { inputLength: 0, outputLength: 4 },
  });
  // No further call is made; the device is left to the machine's recovery.
  expect(device.requests).toHaveLength(1);
});

test('a close given up on after a failed call carries that failure: it is the cycle’s', () => {
  const device = new FakeDevice(() => ({ status: 0xc000000d }));
  const watch = new FakeWatch('close');
  expect(() => runIoTable(BOUNDED, () => device, { cycle: 2, watch })).toThrow(
    'close on "\\\\.\\DcIoHangCreate" returned after its bound had been reported as exceeded.',
  );
  const close = watch.calls[2]!;
  expect(close.operation).toBe('close');
  expect(close.failure).toMatchObject({ kind: 'unexpected-status', operation: 'get' });
  expect(close.operations).toMatchObject([{ name: 'get', calls: 1, ntstatus: 0xc000000d }]);
});

test('an opener that throws ends the watched open: the watchdog is not left watching it', () => {
  let ended = 0;
  const watch: DeviceCallWatch = { beginDeviceCall() {}, end: () => (ended++, true) };
  expect(() =>
    runIoTable(
      BOUNDED,
      () => {
        throw new Error('fake: SetupAPI failed');
      },
      { cycle: 1, watch },
    ),
  ).toThrow('fake: SetupAPI failed');
  expect(ended).toBe(1);
});

test('the host barrier runs after the close, watched as the close with the table’s bound', () => {
  const device = new FakeDevice(clean);
  const watch = new FakeWatch();
  const order: string[] = [];
  const closeDevice = device.close.bind(device);
  device.close = () => {
    order.push('close');
    closeDevice();
  };
  runIoTable(BOUNDED, () => device, {
    cycle: 2,
    watch,
    afterClose: () => order.push(`barrier (watching ${watch.calls.at(-1)!.operation})`),
  });
  expect(order).toEqual(['close', 'barrier (watching close)']);
  expect(watch.calls.map((c) => [c.operation, c.boundMs])).toEqual([
    ['open', 2000],
    ['call', 5000],
    ['close', 2000],
    ['close', 2000],
  ]);
});

test('a barrier the watchdog gave up on (a close routine that never returns) ends the batch as a close', () => {
  const device = new FakeDevice(clean);
  const watch = new FakeWatch('close');
  expect(() =>
    runIoTable(BOUNDED, () => device, { cycle: 1, watch, afterClose: () => undefined }),
  ).toThrow(CallAbandonedError);
  expect(device.closed).toBe(true);
});
