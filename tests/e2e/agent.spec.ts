import { testLeftovers } from '../../src/machines/machine.ts';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '../../fixtures/index.ts';
import { runProcess } from '../../src/core/child-process.ts';
import { packagePaths } from '../../src/core/paths.ts';
import { contentHash } from '../../src/bundle/agent-bundle.ts';
import { unzipTo } from '../../src/bundle/unzip.ts';
import { labBundle } from '../../src/lab/lab-agent.ts';
import { labRoot, toWinePath } from '../../src/lab/lab-paths.ts';
import { selfSignedCertificate } from '../../src/core/self-signed.ts';
import { agentFetch } from '../../src/target/agent-connection.ts';
import { RemoteTarget } from '../../src/target/remote-target.ts';
import { processesOfPrefix } from '../../src/lab/wine-processes.ts';
import { lab, rawAgentFetch } from './support.ts';

test('the agent runs under the Windows Node runtime inside Wine', async ({ target }) => {
  const info = await target.info();
  expect(info.os).toBe('Windows_NT');
  expect(info.wineVersion).toMatch(/^\d+\.\d+/);
  expect(info.agentVersion).toBe('0.1.0');
  // The agent enables SeDebugPrivilege at start. Wine 8's token holds it, and AdjustTokenPrivileges
  // there returns TRUE with last error 0 as on Windows (it gives 1300 ERROR_NOT_ALL_ASSIGNED for
  // one the token lacks, such as SeCreateTokenPrivilege, seen 2026-12-06).
  expect(info.debugPrivilege).toEqual({
    privilege: 'SeDebugPrivilege',
    enabled: true,
    unavailable: [],
  });
  // Wine has no Driver Verifier: its class 51 is unknown, which the probe says, and the samplers
  // Wine has are still offered.
  const samplers = await target.samplers();
  expect(samplers.verifier).toEqual({
    available: false,
    reason: 'NtQuerySystemInformation(SystemVerifierInformation) returned 0xC0000003',
  });
  expect(samplers.performance.available && samplers.hosts.available).toBe(true);
});

test('the lab agent runs from the agent bundle, unpacked from its zip', async ({ machine }) => {
  const agent = lab(machine);
  const cmdline = readFileSync(`/proc/${agent.agentPid}/cmdline`, 'utf8').split('\0');
  expect(cmdline.join(' ')).toContain(`${toWinePath(labBundle.agentScript())} agent --port 0`);
  expect(existsSync(labBundle.zip())).toBe(true);
  const unpacked = test.info().outputPath('bundle');
  await unzipTo(labBundle.zip(), unpacked);
  expect(contentHash(path.join(unpacked, 'drvcycle-agent'))).toBe(contentHash(labBundle.dir()));
});

test('the lab agent refuses requests without the right token', async ({ machine }) => {
  for (const headers of [
    {},
    { Authorization: 'Bearer wrong-token-wrong-token-wrong-token' },
  ] as Record<string, string>[]) {
    const response = await rawAgentFetch(machine, '/v1/services', { headers });
    expect(response.status).toBe(401);
  }
});

test('the lab agent speaks TLS; a runner pinning another certificate sends nothing', async ({
  machine,
}) => {
  const agent = lab(machine);
  expect(agent.url).toMatch(/^https:\/\//);
  expect(agent.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const token = readFileSync(path.join(agent.dir, 'agent.token'), 'utf8').trim();
  const requestsLogged = () =>
    readFileSync(agent.stdoutLog, 'utf8')
      .split('\n')
      .filter((line) => / GET \/v1\/info /.test(line)).length;
  const before = requestsLogged();
  const other = new RemoteTarget({
    endpoint: { url: agent.url, token, fingerprint: selfSignedCertificate().fingerprint },
    runId: 'r1',
  });
  await expect(other.info()).rejects.toMatchObject({ code: 'DRVCYCLE_AGENT_TLS' });
  expect(requestsLogged()).toBe(before);
  const right = new RemoteTarget({
    endpoint: { url: agent.url, token, fingerprint: agent.fingerprint! },
    runId: 'r1',
  });
  expect((await right.info()).os).toBe('Windows_NT');
  await expect.poll(requestsLogged).toBe(before + 1);
});

test('`drvcycle agent --init` with --tls-cert/--tls-key writes the token, certificate and key and prints the fingerprint', async ({}, testInfo) => {
  const dir = testInfo.outputPath('agent-init');
  mkdirSync(dir, { recursive: true });
  const files = ['token', 'agent.crt', 'agent.key'].map((name) => path.join(dir, name));
  const init = await runProcess(
    process.execPath,
    [
      packagePaths.cli(),
      'agent',
      '--init',
      '--token-file',
      files[0]!,
      '--tls-cert',
      files[1]!,
      '--tls-key',
      files[2]!,
    ],
    { timeoutMs: 30_000 },
  );
  const fingerprint = /DRVCYCLE_AGENT_FINGERPRINT=(\S+)/.exec(init.stdout)![1];
  expect(fingerprint).toBe(new X509Certificate(readFileSync(files[1]!)).fingerprint256);
  expect(readFileSync(files[0]!, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  for (const secret of [files[0]!, files[2]!]) expect(statSync(secret).mode & 0o777).toBe(0o600);
});

test('the lab agent refuses a driver image outside its allow-list', async ({ target }) => {
  await expect(
    target.install(
      { binaryPath: 'C:\\windows\\system32\\drivers\\null.sys' },
      { name: 'dc_outside' },
    ),
  ).rejects.toMatchObject({
    code: 'DRVCYCLE_PATH_NOT_ALLOWED',
  });
  // The keeper of the lab's shared host is the machine's, not a leftover.
  expect(testLeftovers(await target.listOwned())).toEqual([]);
});

test('a lab machine by hand: `drvcycle lab up` prints its agent and token, `lab down` leaves nothing running', async ({}, testInfo) => {
  test.setTimeout(120_000);
  const env = { ...process.env, DRVCYCLE_LAB_DIR: labRoot() };
  const up = await runProcess(process.execPath, [packagePaths.cli(), 'lab', 'up'], {
    env,
    timeoutMs: 100_000,
  });
  const url = /lab machine up: (\S+)/.exec(up.stdout)![1]!;
  const tokenFile = /token file: +(\S+)/.exec(up.stdout)![1]!;
  const prefix = /Wine prefix: +(\S+)/.exec(up.stdout)![1]!;
  const fingerprint = /certificate: +SHA-256 (\S+)/.exec(up.stdout)![1]!;
  const endpoint = { url, token: '', fingerprint };
  try {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await agentFetch(endpoint, '/v1/health', {
      headers: { Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` },
    });
    expect(health.status).toBe(200);
    expect(up.stdout).toContain(
      `DRVCYCLE_MACHINE=existing DRVCYCLE_AGENTS=${url} DRVCYCLE_AGENT_TOKEN_FILE=${tokenFile} DRVCYCLE_AGENT_FINGERPRINT=${fingerprint} npx playwright test --project=lab --workers=1`,
    );
  } finally {
    const down = await runProcess(process.execPath, [packagePaths.cli(), 'lab', 'down'], {
      env,
      timeoutMs: 60_000,
    });
    testInfo.attach('lab-down.txt', { body: down.stdout }).catch(() => undefined);
  }
  expect(processesOfPrefix(prefix)).toEqual([]);
  await expect(
    agentFetch(endpoint, '/v1/health', { signal: AbortSignal.timeout(2_000) }),
  ).rejects.toThrow();
});
