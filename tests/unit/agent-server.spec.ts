/**
 * The agent's HTTP layer over real sockets, with a FakeTarget standing in for the SCM (the SCM
 * side is proven end to end on the lab): auth, body limits, validation, errors, streaming.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type http from 'node:http';
import { expect, test } from '@playwright/test';
import { createAgentServer } from '../../src/agent/server.ts';
import { selfSignedCertificate } from '../../src/core/self-signed.ts';
import { ForeignServiceError, ScmError, toWire } from '../../src/core/errors.ts';
import type {
  SampleRequest,
  SystemSample,
  CycleOptions,
  CycleRecord,
} from '../../src/core/records.ts';
import type { LocalTarget } from '../../src/target/local-target.ts';
import { RemoteTarget } from '../../src/target/remote-target.ts';
import { imageDigest } from '../../src/target/staging.ts';
import type {
  CallOptions,
  DriverImage,
  DriverRef,
  InstalledDriver,
  InstallOptions,
  Target,
} from '../../src/target/types.ts';
import type { ServiceConfig } from '../../src/windows/scm/scm-layouts.ts';
import { scratchDir } from './scratch.ts';

const TOKEN = 'a'.repeat(64);

/** What the fake was asked to install: the image as it arrived and the options. */
interface Installed {
  readonly image: DriverImage;
  readonly options: InstallOptions & { runId?: string };
  readonly binaryPath: string;
}

/** A LocalTarget look-alike: the agent server only calls the Target methods and cleanupStale(runId). */
class FakeTarget implements Target {
  readonly runId = 'agent-run';
  readonly installed: Installed[] = [];
  /** Every lifecycle call after install, as "method name [run id]". */
  readonly calls: string[] = [];
  async info() {
    return {
      hostname: 'fake',
      os: 'Windows_NT',
      osVersion: '10',
      arch: 'x64',
      wineVersion: null,
      agentVersion: '0',
      pid: 1,
      stagingDir: 'C:\\stage',
    };
  }
  async verifierSettings() {
    return { available: false as const, reason: 'fake' };
  }
  /** Where the agent's work happened, in order (the health-first test reads it). */
  readonly handled: string[] = [];
  /** How long a listOwned blocks the agent's thread, as a slow SCM enumeration does. */
  blockingListMs = 0;
  async health() {
    this.handled.push('health');
    return { ok: true, scm: true, uptimeMs: 1 };
  }
  async install(
    image: DriverImage,
    options: InstallOptions & { runId?: string },
  ): Promise<InstalledDriver> {
    if (options.name === 'Beep')
      throw new ForeignServiceError({
        service: 'Beep',
        action: 'create over',
        seen: 'no drvcycle marker',
      });
    const binaryPath =
      'binaryPath' in image
        ? image.binaryPath
        : 'bytes' in image
          ? `C:\\stage\\${image.bytes.byteLength}\\${image.fileName}`
          : image.file;
    this.installed.push({ image, options, binaryPath });
    return {
      name: options.name,
      binaryPath,
      type: options.type ?? 'kernel',
      group: options.group,
      runId: options.runId ?? this.runId,
      config: {} as ServiceConfig,
    };
  }
  async start(driver: DriverRef) {
    if (driver.name === 'dc_running')
      throw new ScmError({
        operation: 'StartService',
        service: driver.name,
        win32Code: 1056,
        state: 'RUNNING',
      });
    return { status: {} as never, elapsedMs: 1 };
  }
  async stop() {
    return { status: {} as never, elapsedMs: 1 };
  }
  async query() {
    return {} as never;
  }
  async markForDelete(driver: DriverRef, options: CallOptions = {}) {
    this.calls.push(`markForDelete ${driver.name} retry=${String(options.retry)}`);
  }
  async uninstall(driver: DriverRef, options: CallOptions = {}) {
    this.calls.push(`uninstall ${driver.name} timeoutMs=${String(options.timeoutMs)}`);
  }
  async listOwned() {
    const until = performance.now() + this.blockingListMs;
    while (performance.now() < until); // the SCM call the agent's thread waits in
    this.handled.push('list');
    return [];
  }
  async cleanupStale(currentRunId = this.runId) {
    this.calls.push(`cleanupStale ${currentRunId}`);
    return { removed: ['dc_old'], failed: [] };
  }
  async samplers() {
    return {
      poolTags: { available: false, reason: 'fake' },
      performance: { available: true },
      verifier: { available: false },
      hosts: { available: true },
    };
  }
  async sample(request: SampleRequest): Promise<SystemSample> {
    return {
      t: 1,
      poolTags: Object.fromEntries(
        (request.tags ?? []).map((t) => [
          t,
          { pagedBytes: 0, nonPagedBytes: 256, allocs: 1, frees: 0 },
        ]),
      ),
    };
  }
  async events(since: Date) {
    return {
      available: false,
      reason: `fake since ${since.toISOString()}`,
      events: [],
      errors: [],
    };
  }
  async *runCycles(driver: DriverRef, options: CycleOptions): AsyncIterable<CycleRecord> {
    for (let cycle = 1; cycle <= options.count; cycle++) {
      if (driver.name === 'dc_fails' && cycle === 3) {
        yield {
          cycle,
          outcome: 'start-failed',
          startMs: null,
          stopMs: null,
          state: 'STOPPED',
          error: toWire(
            new ScmError({
              operation: 'StartService',
              service: driver.name,
              win32Code: 1450,
              cycle,
            }),
          ),
        };
        return;
      }
      yield { cycle, outcome: 'ok', startMs: cycle, stopMs: cycle / 2, state: 'STOPPED' };
    }
  }
  async cancelCycles(driver: DriverRef) {
    this.calls.push(`cancelCycles ${driver.name}`);
    return false;
  }
  async close() {}
}

let server: http.Server;
let url: string;
let fake: FakeTarget;

let staging: string;
let serverLog: string[];

test.beforeEach(async () => {
  serverLog = [];
  fake = new FakeTarget();
  staging = scratchDir('drvcycle-agent-staging-');
  server = createAgentServer({
    target: fake as unknown as LocalTarget,
    token: TOKEN,
    stagingDir: staging,
    allowedDirs: ['C:\\stage', 'D:\\drivers'],
    maxJsonBytes: 1024,
    maxImageBytes: 4096,
    log: (line) => serverLog.push(line),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const errorBody = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error;
const client = (token = TOKEN) => new RemoteTarget({ endpoint: { url, token }, runId: 'r1' });
const ref = (name: string): DriverRef => ({ name });
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'Content-Type': 'application/json' };

test('a request without a token gets 401 and touches nothing', async () => {
  const response = await fetch(`${url}/v1/services/dc_x`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ binaryPath: 'C:\\stage\\x.sys', runId: 'r1' }),
  });
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toContain('Bearer');
  expect((await errorBody(response)).code).toBe('DRVCYCLE_UNAUTHORIZED');
  expect(fake.installed).toEqual([]);
});

test('a wrong token, or a token of another length, gets 401', async () => {
  for (const token of ['b'.repeat(64), 'a'.repeat(63), `${TOKEN}x`, '']) {
    const response = await fetch(`${url}/v1/health`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status, `token of length ${token.length}`).toBe(401);
  }
  await expect(client('c'.repeat(64)).health()).rejects.toMatchObject({
    code: 'DRVCYCLE_UNAUTHORIZED',
  });
});

test('health answers first: a health check that arrives behind queued requests overtakes them', async () => {
  fake.blockingListMs = 60;
  // The client runs on its own thread: the agent's blocking work must not hold up the sending. It
  // sends health once the agent has received all sixteen lists (told through shared memory), so
  // health always arrives behind queued lists, however loaded the machine.
  const listsQueued = new Int32Array(new SharedArrayBuffer(4));
  let lists = 0;
  server.on('request', (req: { url?: string }) => {
    if (req.url !== '/v1/services' || ++lists < 16) return;
    Atomics.store(listsQueued, 0, 1);
    Atomics.notify(listsQueued, 0);
  });
  const client = new Worker(
    `const { parentPort, workerData: { url, token, listsQueued } } = require('node:worker_threads');
     // node:http with a keep-alive agent: its sockets are reused as they are (fetch's pool opened
     // new connections while lists were under way, so the lists did not arrive together).
     const http = require('node:http');
     const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
     const get = (path) => new Promise((resolve, reject) =>
       http.get(url + path, { agent, headers: { Authorization: 'Bearer ' + token } }, (r) => {
         r.resume();
         r.on('end', resolve);
       }).on('error', reject));
     // Seventeen kept-alive connections first, so the sixteen lists arrive together and health
     // finds one free.
     Promise.all(Array.from({ length: 17 }, () => get('/v1/samplers'))).then(() => {
       const lists = Array.from({ length: 16 }, () => get('/v1/services'));
       const queued = Atomics.waitAsync(listsQueued, 0, 0); // not async when already queued
       (queued.async ? queued.value : Promise.resolve())
         .then(() => get('/v1/health'))
         .then(() => Promise.all(lists))
         .then(() => parentPort.postMessage('done'));
     });`,
    { eval: true, workerData: { url, token: TOKEN, listsQueued } },
  );
  await new Promise((resolve, reject) => {
    client.once('message', resolve);
    client.once('error', reject);
  });
  await client.terminate();
  expect(fake.handled.filter((h) => h === 'list')).toHaveLength(16);
  // Sent once the sixteen lists are queued: answered within a few turns (the loop needs a turn or
  // two to accept and read it), not after all sixteen, where a first-come queue puts it.
  expect(fake.handled.indexOf('health'), fake.handled.join(' ')).toBeLessThan(8);
});

test('the right token is accepted', async () => {
  expect(await client().health()).toEqual({ ok: true, scm: true, uptimeMs: 1 });
});

test('an oversized JSON body gets 413, by declared length or by streamed size', async () => {
  const big = JSON.stringify({ binaryPath: `C:\\stage\\${'x'.repeat(2000)}.sys`, runId: 'r1' });
  const declared = await fetch(`${url}/v1/services/dc_x`, {
    method: 'PUT',
    headers: JSON_AUTH,
    body: big,
  });
  expect(declared.status).toBe(413);
  expect((await errorBody(declared)).code).toBe('DRVCYCLE_BODY_TOO_LARGE');
  const chunked = await fetch(`${url}/v1/services/dc_x`, {
    method: 'PUT',
    headers: JSON_AUTH,
    duplex: 'half',
    body: new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    }),
  } as RequestInit);
  expect(chunked.status).toBe(413);
  expect(fake.installed).toEqual([]);
});

test('an oversized image upload gets 413', async () => {
  await expect(
    client().install({ bytes: new Uint8Array(5000), fileName: 'big.sys' }, { name: 'dc_big' }),
  ).rejects.toMatchObject({ code: 'DRVCYCLE_BODY_TOO_LARGE' });
  expect(fake.installed).toEqual([]);
  const installed = await client().install(
    { bytes: new Uint8Array(100), fileName: 'ok.sys' },
    { name: 'dc_ok' },
  );
  expect(installed.binaryPath).toBe(
    path.join(staging, imageDigest(new Uint8Array(100)).slice(0, 16), 'ok.sys'),
  );
  expect(readdirSync(staging).filter((f) => f.startsWith('.upload'))).toEqual([]);
});

test("an uploaded image is installed in one request, owned by the runner's run", async () => {
  const installed = await client().install(
    { bytes: new Uint8Array([1, 2, 3]), fileName: 'My Driver.sys' },
    { name: 'dc_up', type: 'filesystem', group: 'FSFilter Activity Monitor', retry: false },
  );
  const staged = path.join(
    staging,
    imageDigest(new Uint8Array([1, 2, 3])).slice(0, 16),
    'My Driver.sys',
  );
  expect(readFileSync(staged)).toEqual(Buffer.from([1, 2, 3]));
  expect(installed).toEqual({
    name: 'dc_up',
    binaryPath: staged,
    type: 'filesystem',
    group: 'FSFilter Activity Monitor',
    runId: 'r1',
    config: {},
  });
  expect(fake.installed).toHaveLength(1);
  expect(fake.installed[0]!.image).toEqual({ binaryPath: staged });
  expect(fake.installed[0]!.options).toEqual({
    name: 'dc_up',
    runId: 'r1',
    type: 'filesystem',
    group: 'FSFilter Activity Monitor',
    retry: false,
  });
});

test('an image path outside the allow-list is refused with 403', async () => {
  for (const binaryPath of [
    'C:\\Windows\\System32\\drivers\\beep.sys',
    'C:\\stage\\..\\Windows\\evil.sys',
    'C:\\stagevil\\x.sys',
    '\\\\server\\share\\x.sys',
    'x.sys',
  ]) {
    const response = await fetch(`${url}/v1/services/dc_x`, {
      method: 'PUT',
      headers: JSON_AUTH,
      body: JSON.stringify({ binaryPath, runId: 'r1' }),
    });
    expect([400, 403], binaryPath).toContain(response.status);
  }
  await expect(
    client().install({ binaryPath: 'C:\\Windows\\x.sys' }, { name: 'dc_x' }),
  ).rejects.toThrow(/outside the agent's allowed folders/);
  expect(fake.installed).toEqual([]);
  await client().install({ binaryPath: 'd:\\DRIVERS\\sub\\x.sys' }, { name: 'dc_x' });
  expect(fake.installed.map((s) => s.binaryPath)).toEqual(['d:\\DRIVERS\\sub\\x.sys']);
  expect(fake.installed[0]!.options.runId).toBe('r1');
});

test('invalid names and options are refused with 400 and a message that says what to send', async () => {
  const send = (method: string, path: string, body: unknown) =>
    fetch(`${url}${path}`, { method, headers: JSON_AUTH, body: JSON.stringify(body) });
  let response = await send('PUT', `/v1/services/${encodeURIComponent('bad name!')}`, {
    binaryPath: 'C:\\stage\\x.sys',
    runId: 'r1',
  });
  expect(response.status).toBe(400);
  expect((await errorBody(response)).message).toContain('Invalid service name "bad name!"');
  response = await send('PUT', '/v1/services/dc_x', { binaryPath: 'C:\\stage\\x.sys' });
  expect(response.status).toBe(400);
  expect((await errorBody(response)).message).toContain('Expected `runId`');
  response = await send('POST', '/v1/services/dc_x/cycles', { count: 0 });
  expect((await errorBody(response)).message).toContain(
    'Expected `count` to be a whole number of cycles',
  );
  response = await send('POST', '/v1/services/dc_x/stop', { timeoutMs: -5 });
  expect(response.status).toBe(400);
  response = await fetch(`${url}/v1/services/dc_x`, {
    method: 'PUT',
    headers: JSON_AUTH,
    body: '{not json',
  });
  expect((await errorBody(response)).message).toBe('The request body is not valid JSON.');
  response = await send('PUT', '/v1/services/dc_x', []);
  expect(response.status).toBe(400);
  expect((await errorBody(response)).message).toBe('Expected a JSON object as the request body.');
  response = await fetch(`${url}/v1/nothing`, { headers: AUTH });
  expect(response.status).toBe(404);
  expect(fake.installed).toEqual([]);
});

/** One request written as raw bytes: a request target no HTTP client would send. */
async function rawRequest(
  requestLine: string,
  token = TOKEN,
): Promise<{ status: number; body: string }> {
  const { connect } = await import('node:net');
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        `${requestLine} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () =>
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]),
        body: text.slice(text.indexOf('\r\n\r\n') + 4),
      }),
    );
  });
}

test('a request target that is not a path gets 400 saying so, not 500', async () => {
  for (const line of [
    'GET http://x:99999/v1/health',
    'GET http://[::1/v1/health',
    'GET //evil/v1/health',
    'GET //evil',
    'OPTIONS *',
  ]) {
    const { status, body } = await rawRequest(line);
    expect(status, line).toBe(400);
    expect(body, line).toContain('The request target is not a path');
    expect(body, line).toContain('DRVCYCLE_INVALID_REQUEST');
  }
  expect(serverLog.filter((line) => line.startsWith('internal error'))).toEqual([]);
  // A path is still served.
  expect((await rawRequest('GET /v1/health')).status).toBe(200);
});

test('nothing that could be a token reaches the log: query keys and values, unknown paths', async () => {
  // Another agent's token, sent where no token belongs (so the agent cannot know to hide it).
  const secret = '9e107d9d372bb6826bd81d3542a419d6e4d5c1b2a3f4e5d6c7b8a9f0e1d2c3b4';
  for (const path of [
    `/v1/health?${secret}`,
    `/v1/health?token=${secret}`,
    `/v1/services?${encodeURIComponent(secret)}=`,
    `/v1/${secret}`,
    `/${secret}?runId=r1`,
  ]) {
    await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${secret}` } });
    await fetch(`${url}${path}`, { headers: AUTH });
  }
  await rawRequest(`GET http://${secret}/v1/health`);
  expect(serverLog.length).toBe(11);
  expect(serverLog.join('\n')).not.toContain(secret.slice(0, 16));
  expect(serverLog.join('\n')).not.toContain(TOKEN);
  expect(serverLog[0]).toMatch(/^GET \/v1\/health\?… 401 \d+ms$/);
  expect(serverLog[7]).toMatch(/^GET \(a target of 68 characters, no route\) 404/);
});

test('the routes the lifecycle replaced are gone', async () => {
  for (const [method, path] of [
    ['PUT', '/v1/images/x.sys'],
    ['POST', '/v1/services'],
    ['POST', '/v1/services/dc_x/delete'],
    ['POST', '/v1/services/dc_x/remove'],
  ] as const) {
    const response = await fetch(`${url}${path}`, { method, headers: JSON_AUTH, body: '{}' });
    expect(response.status, `${method} ${path}`).toBe(404);
  }
  expect(fake.calls).toEqual([]);
});

test("mark-for-delete, uninstall and stale clean-up reach the target with the runner's run", async () => {
  await client().markForDelete(ref('dc_x'), { retry: false });
  await client().uninstall(ref('dc_x'), { timeoutMs: 500 });
  expect(await client().cleanupStale()).toEqual({ removed: ['dc_old'], failed: [] });
  expect(fake.calls).toEqual([
    'markForDelete dc_x retry=false',
    'uninstall dc_x timeoutMs=500',
    'cleanupStale r1',
  ]);
  const response = await fetch(`${url}/v1/cleanup-stale`, {
    method: 'POST',
    headers: JSON_AUTH,
    body: JSON.stringify({ runId: 'not a run id' }),
  });
  expect(response.status).toBe(400);
  expect(fake.calls).toHaveLength(3);
});

test('typed errors cross the wire intact', async () => {
  const error = await client()
    .start(ref('dc_running'))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScmError);
  expect(error).toMatchObject({
    win32Code: 1056,
    win32Name: 'ERROR_SERVICE_ALREADY_RUNNING',
    operation: 'StartService',
    service: 'dc_running',
    state: 'RUNNING',
  });
  const foreign = await client()
    .install({ binaryPath: 'C:\\stage\\x.sys' }, { name: 'Beep' })
    .catch((e: unknown) => e);
  expect(foreign).toBeInstanceOf(ForeignServiceError);
  expect((foreign as Error).message).toContain('Refusing to create over service "Beep"');
  expect(foreign).toMatchObject({
    service: 'Beep',
    action: 'create over',
    seen: 'no drvcycle marker',
    hint: expect.stringContaining('ownership marker'),
  });
});

test('cycles stream one record per cycle, the failing one last with its typed error', async () => {
  const records: CycleRecord[] = [];
  for await (const record of client().runCycles(ref('dc_ok'), { count: 5 })) records.push(record);
  expect(records.map((r) => r.cycle)).toEqual([1, 2, 3, 4, 5]);
  const failing: CycleRecord[] = [];
  for await (const record of client().runCycles(ref('dc_fails'), { count: 5 }))
    failing.push(record);
  expect(failing.map((r) => r.outcome)).toEqual(['ok', 'ok', 'start-failed']);
  expect(failing[2]!.error).toMatchObject({
    code: 'DRVCYCLE_SCM',
    name: 'ScmError',
    win32Code: 1450,
    cycle: 3,
  });
});

test('a client that stops reading early waits until the agent has ended the batch', async () => {
  let read = 0;
  for await (const record of client().runCycles(ref('dc_ok'), { count: 1000 })) {
    read = record.cycle;
    if (read === 2) break;
  }
  expect(read).toBe(2);
  // The loop is left only once the agent was asked to end the batch and answered.
  expect(fake.calls).toContain('cancelCycles dc_ok');
  // A batch read to its end, or ended by its failure, asks for nothing.
  fake.calls.length = 0;
  for await (const _record of client().runCycles(ref('dc_fails'), { count: 5 })) void _record;
  expect(fake.calls).not.toContain('cancelCycles dc_fails');
});

test('an unreachable agent is a clear error naming the URL', async () => {
  const dead = new RemoteTarget({
    endpoint: { url: 'http://127.0.0.1:9', token: TOKEN },
    runId: 'r1',
  });
  await expect(dead.health()).rejects.toThrow(
    /Cannot reach the drvcycle agent at http:\/\/127\.0\.0\.1:9/,
  );
});

test('a start on a machine that stops answering fails as lost, within a few heartbeats', async () => {
  const { createServer } = await import('node:http');
  const silent = createServer(() => {
    // a bugchecked machine: connections open, nothing ever answers
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const lostUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const remote = new RemoteTarget({
    endpoint: { url: lostUrl, token: TOKEN },
    runId: 'r1',
    heartbeatMs: 50,
    heartbeatMisses: 3,
  });
  const started = performance.now();
  const error = await remote.start(ref('dc_x'), { timeoutMs: 60_000 }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'DRVCYCLE_AGENT_UNREACHABLE' });
  expect((error as Error).message).toMatch(
    /^The machine stopped answering during POST \/v1\/services\/dc_x\/start: 3 health checks in a row went unanswered\./,
  );
  expect(performance.now() - started).toBeLessThan(30_000);
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});

test('a request past its bound fails with the bound in the message', async () => {
  const { createServer } = await import('node:http');
  const slow = createServer((req, res) => {
    if (req.url === '/v1/health') res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  const remote = new RemoteTarget({
    endpoint: { url: slowUrl, token: TOKEN },
    runId: 'r1',
    requestSlackMs: 100,
    heartbeatMs: 20,
  });
  await expect(remote.stop(ref('dc_x'), { timeoutMs: 100 })).rejects.toThrow(
    `The agent at ${slowUrl} did not answer POST /v1/services/dc_x/stop within 200 ms.`,
  );
  slow.closeAllConnections();
  await new Promise((resolve) => slow.close(resolve));
});

test('samples and event windows are validated and served', async () => {
  expect(await client().sample({ tags: ['DcLs'] })).toEqual({
    t: 1,
    poolTags: { DcLs: { pagedBytes: 0, nonPagedBytes: 256, allocs: 1, frees: 0 } },
  });
  await expect(client().sample({ tags: ['toolong'] })).rejects.toThrow(
    /pool tags of 4 printable characters/,
  );
  expect((await client().events(new Date('2026-11-25T10:00:00Z'))).reason).toBe(
    'fake since 2026-11-25T10:00:00.000Z',
  );
  const bad = await fetch(`${url}/v1/events?since=yesterday`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(bad.status).toBe(400);
  expect((await errorBody(bad)).message).toBe(
    'Expected `since` to be an ISO date and time, got "yesterday".',
  );
  expect((await client().samplers()).poolTags).toEqual({ available: false, reason: 'fake' });
});

test('an upload whose bytes do not match the SHA-256 the runner sent is refused, and nothing is staged', async () => {
  const response = await fetch(
    `${url}/v1/services/dc_x?runId=r1&file=x.sys&sha256=${'0'.repeat(64)}`,
    {
      method: 'PUT',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array([1, 2, 3]),
    },
  );
  const body = (await response.json()) as { error: { message: string } };
  expect(response.status).toBe(400);
  expect(body.error.message).toBe(
    `The image arrived damaged: its SHA-256 is ${imageDigest(new Uint8Array([1, 2, 3]))}, not the ${'0'.repeat(64)} the runner sent.`,
  );
  expect(fake.installed).toEqual([]);
  expect(readdirSync(staging)).toEqual([]);
});

test.describe('over TLS with a pinned certificate', () => {
  const certificate = selfSignedCertificate();
  let tlsServer: http.Server;
  let tlsUrl: string;
  let logged: string[];

  test.beforeEach(async () => {
    logged = [];
    tlsServer = createAgentServer({
      target: fake as unknown as LocalTarget,
      token: TOKEN,
      stagingDir: staging,
      allowedDirs: ['C:\\stage'],
      tls: certificate,
      log: (line) => logged.push(line),
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });

  test.afterEach(async () => {
    tlsServer.closeAllConnections?.();
    await new Promise((resolve) => tlsServer.close(resolve));
  });

  const pinned = (fingerprint?: string) =>
    new RemoteTarget({
      endpoint: { url: tlsUrl, token: TOKEN, ...(fingerprint ? { fingerprint } : {}) },
      runId: 'r1',
    });

  test('the pinned certificate is accepted, request after request', async () => {
    for (let i = 0; i < 3; i++)
      expect(await pinned(certificate.fingerprint).health()).toEqual({
        ok: true,
        scm: true,
        uptimeMs: 1,
      });
    expect(logged.filter((line) => line.startsWith('GET /v1/health 200'))).toHaveLength(3);
  });

  test('another certificate is refused before the request, and so the token, is sent', async () => {
    const other = selfSignedCertificate().fingerprint;
    await expect(pinned(other).health()).rejects.toMatchObject({
      code: 'DRVCYCLE_AGENT_TLS',
      message: expect.stringContaining(certificate.fingerprint),
    });
    expect(logged).toEqual([]);
  });

  test('a machine whose certificate does not match the pin says so, with both fingerprints', async () => {
    const { agentAnswers } = await import('../../src/machines/machine.ts');
    const other = selfSignedCertificate().fingerprint;
    const error = await agentAnswers(pinned(other)).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; hint: string },
    );
    expect(error).toMatchObject({ code: 'DRVCYCLE_AGENT_TLS' });
    expect(error!.message).toContain('did not match the pin');
    expect(error!.message).toContain(`it presented SHA-256 ${certificate.fingerprint}`);
    expect(error!.message).toContain(`DRVCYCLE_AGENT_FINGERPRINT pins ${other}`);
    expect(error!.message).not.toContain('health check');
    expect(error!.hint).toContain('DRVCYCLE_AGENT_FINGERPRINT');
    // A machine that merely does not answer is still just unhealthy.
    expect(
      await agentAnswers(
        new RemoteTarget({
          endpoint: { url: 'https://127.0.0.1:1', token: TOKEN, fingerprint: other },
          runId: 'r1',
        }),
      ),
    ).toBe(false);
    expect(logged).toEqual([]);
  });

  test('without a pin, the self-signed certificate fails the usual CA check', async () => {
    await expect(pinned().health()).rejects.toMatchObject({ code: 'DRVCYCLE_AGENT_UNREACHABLE' });
    expect(logged).toEqual([]);
  });

  test('a pin for a plain-HTTP agent (no certificate to check) is refused', async () => {
    const plain = new RemoteTarget({
      endpoint: { url, token: TOKEN, fingerprint: certificate.fingerprint },
      runId: 'r1',
    });
    await expect(plain.health()).rejects.toMatchObject({ code: 'DRVCYCLE_CONFIG' });
  });

  test('a pinned runner against a plain-HTTP port is refused as not TLS', async () => {
    const plainPort = new RemoteTarget({
      endpoint: {
        url: url.replace('http:', 'https:'),
        token: TOKEN,
        fingerprint: certificate.fingerprint,
      },
      runId: 'r1',
    });
    await expect(plainPort.health()).rejects.toMatchObject({
      code: 'DRVCYCLE_AGENT_UNREACHABLE',
    });
  });
});
