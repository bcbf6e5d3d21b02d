/**
 * How RemoteTarget reads a cycle batch's stream when the agent misbehaves on the wire: silent,
 * closing early, refusing with an error body. A bare HTTP server plays the agent (a fake, named
 * as one): the real agent never does these things on purpose, a dying machine does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { ErrorCodes } from '../../src/core/errors.ts';
import type { CycleRecord } from '../../src/core/records.ts';
import { RemoteTarget } from '../../src/target/remote-target.ts';

const record = (cycle: number) =>
  `${JSON.stringify({ record: { cycle, outcome: 'ok', startMs: 1, stopMs: 1, state: 'STOPPED' } })}\n`;

async function fakeAgent(
  answer: (response: http.ServerResponse) => void,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    answer(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBatch(url: string, silenceMs = 15_000) {
  const target = new RemoteTarget({
    endpoint: { url, token: 'a'.repeat(64) },
    runId: 'r1',
    silenceMs,
  });
  const records: CycleRecord[] = [];
  const error = await (async () => {
    for await (const r of target.runCycles({ name: 'dc_x' }, { count: 5 })) records.push(r);
  })().catch((e: unknown) => e);
  return { records, error };
}

test('an agent that goes silent mid-batch is reported as unreachable after the silence bound', async () => {
  const agent = await fakeAgent((response) => {
    response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    response.write(record(1));
  });
  const { records, error } = await readBatch(agent.url, 300);
  await agent.close();
  expect(records.map((r) => r.cycle)).toEqual([1]);
  expect(error).toMatchObject({ code: ErrorCodes.AGENT_UNREACHABLE });
  expect((error as Error).message.split('\n')[0]).toBe(
    `The agent at ${agent.url} sent nothing for 300 ms during a cycle batch.`,
  );
});

test('records that keep coming keep a batch alive past the silence bound', async () => {
  const agent = await fakeAgent((response) => {
    response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    let cycle = 0;
    const every = setInterval(() => {
      response.write(record(++cycle));
      if (cycle === 5) {
        clearInterval(every);
        response.end('{"done":true,"cycles":5}\n');
      }
    }, 100);
  });
  // 500 ms of records, none more than 100 ms apart, against a 300 ms bound.
  const { records, error } = await readBatch(agent.url, 300);
  await agent.close();
  expect(error).toBeUndefined();
  expect(records.map((r) => r.cycle)).toEqual([1, 2, 3, 4, 5]);
});

test('a stream that ends without its last line is a broken batch, not a short one', async () => {
  const agent = await fakeAgent((response) => {
    response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    response.end(record(1) + record(2));
  });
  const { records, error } = await readBatch(agent.url);
  await agent.close();
  expect(records.map((r) => r.cycle)).toEqual([1, 2]);
  expect(error).toMatchObject({ code: ErrorCodes.AGENT_UNREACHABLE });
  expect((error as Error).message.split('\n')[0]).toBe(
    `The agent at ${agent.url} closed the cycle stream before it was done.`,
  );
});

test('a record split across chunks is read whole', async () => {
  // The rest of the stream goes only once the client has read the first part: record 1 whole
  // and the start of record 2, which it must hold until the rest arrives.
  let readFirst!: () => void;
  const firstRead = new Promise<void>((resolve) => (readFirst = resolve));
  const agent = await fakeAgent((response) => {
    response.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    const first = record(1) + record(2).slice(0, 17);
    response.write(first);
    void firstRead.then(() => response.end(record(2).slice(17) + '{"done":true,"cycles":2}\n'));
  });
  const target = new RemoteTarget({
    endpoint: { url: agent.url, token: 'a'.repeat(64) },
    runId: 'r1',
  });
  const records: CycleRecord[] = [];
  for await (const r of target.runCycles({ name: 'dc_x' }, { count: 5 })) {
    records.push(r);
    if (r.cycle === 1) readFirst();
  }
  await agent.close();
  expect(records.map((r) => r.cycle)).toEqual([1, 2]);
});

test('a refused batch surfaces the agent’s typed error', async () => {
  const agent = await fakeAgent((response) => {
    response.writeHead(409, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        error: { name: 'DrvcycleError', code: 'DRVCYCLE_BUSY', message: 'fake: dc_x is busy' },
      }),
    );
  });
  const { records, error } = await readBatch(agent.url);
  await agent.close();
  expect(records).toEqual([]);
  expect(error).toMatchObject({ code: 'DRVCYCLE_BUSY' });
  expect((error as Error).message.split('\n')[0]).toBe('fake: dc_x is busy');
});

test('a batch against no agent at all names the URL', async () => {
  const { error } = await readBatch('http://127.0.0.1:9');
  expect(error).toMatchObject({ code: ErrorCodes.AGENT_UNREACHABLE });
  expect((error as Error).message.split('\n')[0]).toBe(
    'Cannot reach the drvcycle agent at http://127.0.0.1:9 (POST /v1/services/dc_x/cycles).',
  );
});
