/** `drvcycle agent`: runs inside the Windows machine (or the Wine lab) and serves its SCM. */
import { randomBytes, X509Certificate } from 'node:crypto';
import os from 'node:os';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { newRunId } from '../core/run-id.ts';
import {
  assertPosixTokenFile,
  windowsTokenFileHint,
  windowsTokenFileProblem,
} from '../core/token-file.ts';
import { selfSignedCertificate } from '../core/self-signed.ts';
import { LocalTarget } from '../target/local-target.ts';
import { assertX64 } from '../windows/native/library.ts';
import { elevationProblem, isElevated } from '../windows/nt/elevation.ts';
import { enableDebugPrivilegeOnce, type DebugPrivilegeState } from '../windows/nt/privileges.ts';
import { wineVersion } from '../windows/nt/wine.ts';
import { restrictToAdministrators } from './acl.ts';
import { validateToken } from './auth.ts';
import { createAgentServer } from './server.ts';

const USAGE =
  'Usage: drvcycle agent --token-file <file> [--init] [--port 8765] [--host 127.0.0.1 [--allow-remote]] [--tls-cert <file> --tls-key <file>] [--insecure-plain-http] [--allow-dir <folder>]... [--staging-dir <folder>] [--ready-file <file>]';

export function isLoopback(host: string): boolean {
  return ['127.0.0.1', '::1', 'localhost'].includes(host);
}

/** The URL a client on this machine reaches the agent at (IPv6 in brackets; "any" as loopback). */
export function agentUrl(host: string, port: number, tls = false): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `${tls ? 'https' : 'http'}://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** `drvcycle agent --init`: a new random token, in a file only its owner can read. */
function writeNewToken(file: string): void {
  writeSecret(file, `${randomBytes(32).toString('hex')}\n`);
}

/**
 * A new file, never the one at that name: a file someone else planted there keeps its owner and
 * rights when written over, so the secret goes to a new file that replaces it.
 */
function writeSecret(file: string, text: string): void {
  const fresh = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(fresh, text, { mode: 0o600, flag: 'wx' });
  chmodSync(fresh, 0o600);
  renameSync(fresh, file);
}

/** `--init` with --tls-cert/--tls-key: a new self-signed certificate; returns its fingerprint. */
function writeNewCertificate(certFile: string, keyFile: string, host: string): string {
  const names = [...new Set(['localhost', '127.0.0.1', '::1', os.hostname(), host])].filter(
    (n) => n !== '0.0.0.0' && n !== '::',
  );
  const certificate = selfSignedCertificate({ altNames: names });
  writeSecret(keyFile, certificate.keyPem);
  writeFileSync(certFile, certificate.certPem);
  return certificate.fingerprint;
}

function tlsFiles(cert: string | undefined, key: string | undefined) {
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new ConfigError('TLS needs both --tls-cert and --tls-key.', USAGE);
  return { cert, key };
}

export async function runAgent(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8765' },
      host: { type: 'string', default: '127.0.0.1' },
      'token-file': { type: 'string' },
      'allow-dir': { type: 'string', multiple: true, default: [] },
      'staging-dir': { type: 'string' },
      'ready-file': { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      'insecure-plain-http': { type: 'boolean', default: false },
      init: { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    strict: true,
  });
  if (!values['token-file']) throw new ConfigError('The agent needs --token-file.', USAGE);
  // Every binding and layout the agent uses is x64's: refused before anything is bound.
  assertX64();
  const onWindows = process.platform === 'win32' && wineVersion() === null;
  const tlsPaths = tlsFiles(values['tls-cert'], values['tls-key']);
  if (values.init) {
    writeNewToken(values['token-file']);
    if (onWindows) await restrictToAdministrators(values['token-file'], false);
    process.stdout.write(
      `Wrote a new 256-bit token to ${values['token-file']} (readable by its owner only). Copy it to the runner and point DRVCYCLE_AGENT_TOKEN_FILE at the copy.\n`,
    );
    if (tlsPaths) {
      const fingerprint = writeNewCertificate(tlsPaths.cert, tlsPaths.key, values.host);
      if (onWindows) await restrictToAdministrators(tlsPaths.key, false);
      process.stdout.write(
        `Wrote a self-signed certificate to ${tlsPaths.cert} and its key to ${tlsPaths.key} (readable by its owner only).\nIts SHA-256 fingerprint, for the runner: DRVCYCLE_AGENT_FINGERPRINT=${fingerprint}\n`,
      );
    }
    return;
  }
  const tls = tlsPaths && readTls(tlsPaths);
  if (!isLoopback(values.host) && !values['allow-remote'])
    throw new ConfigError(
      `--host ${values.host} would let other machines reach the agent, which loads kernel drivers.`,
      'Reach it through an SSH tunnel and keep the default 127.0.0.1, or add --allow-remote to bind beyond loopback on purpose (a VM on a host-only network, say).',
    );
  const plainHttp = plainHttpProblem(values.host, tls !== undefined, values['insecure-plain-http']);
  if (plainHttp) throw plainHttp;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(
      `Invalid --port ${values.port}.`,
      'Give a TCP port from 0 (any free port) to 65535.',
    );
  let token: string;
  try {
    token = validateToken(readFileSync(values['token-file'], 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `Cannot use the token file ${values['token-file']}: ${(error as Error).message}`,
      USAGE,
    );
  }
  await assertTokenFileSafe(values['token-file'], onWindows, wineVersion() !== null);
  const notElevated = elevationProblem(
    process.platform !== 'win32' || isElevated(),
    wineVersion() !== null,
  );
  if (notElevated)
    throw new ConfigError(
      notElevated,
      'Start it from an elevated shell (Run as administrator), or as a scheduled task that runs as SYSTEM at boot (schtasks /create /ru SYSTEM /sc onstart /tn drvcycle-agent /tr "…npx drvcycle agent …").',
    );
  // Driver Verifier's counters need SeDebugPrivilege enabled, which an elevated administrator's
  // token holds disabled: enabled here, once, for the whole process (its batch threads included).
  const debugPrivilege = process.platform === 'win32' ? enableDebugPrivilegeOnce() : undefined;
  const stagingDir =
    values['staging-dir'] ??
    path.win32.join(process.env.ProgramData ?? 'C:\\ProgramData', 'drvcycle', 'images');
  if (onWindows) {
    mkdirSync(stagingDir, { recursive: true });
    await restrictToAdministrators(stagingDir, true);
  }
  // Services get the run id of the runner that installs them; the agent's own is only a default.
  const target = new LocalTarget({ runId: `agent-${newRunId()}`.slice(0, 40), stagingDir });
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

  const server = createAgentServer({
    target,
    token,
    stagingDir,
    allowedDirs: [stagingDir, ...values['allow-dir']],
    log,
    ...(tls ? { tls } : {}),
    onShutdown: () => {
      log('shutdown requested');
      server.close();
      void target.close().finally(() => process.exit(0));
    },
  });
  server.listen(port, values.host, () => {
    const address = server.address() as AddressInfo;
    const url = agentUrl(values.host, address.port, tls !== undefined);
    if (!isLoopback(values.host)) {
      log(
        `WARNING: listening on ${values.host}, beyond loopback: anyone who can reach it and holds the token can load kernel drivers.`,
      );
      if (!tls)
        log(
          'WARNING: --insecure-plain-http: the token crosses the network in clear text with every request; anyone who sees the traffic can load kernel drivers here.',
        );
    }
    log(`drvcycle agent listening on ${url} (staging ${stagingDir})`);
    if (debugPrivilege) log(debugPrivilegeLine(debugPrivilege));
    if (tls) log(`TLS certificate SHA-256 fingerprint: ${tls.fingerprint}`);
    if (values['ready-file']) {
      const ready = values['ready-file'];
      writeFileSync(
        `${ready}.tmp`,
        JSON.stringify({
          url,
          port: address.port,
          pid: process.pid,
          ...(tls ? { fingerprint: tls.fingerprint } : {}),
        }),
      );
      renameSync(`${ready}.tmp`, ready);
    }
  });
}

/** The agent log's line on SeDebugPrivilege: enabled, or a warning naming what is unavailable. */
export function debugPrivilegeLine(state: DebugPrivilegeState): string {
  return state.enabled
    ? 'SeDebugPrivilege enabled (Driver Verifier counters readable)'
    : `WARNING: ${state.reason ?? 'SeDebugPrivilege is not enabled.'}`;
}

/**
 * A plain-HTTP agent beyond loopback sends the token in clear with every request: refused, but
 * with --insecure-plain-http (named in the error, warned about loudly in the log).
 */
export function plainHttpProblem(
  host: string,
  tls: boolean,
  insecure: boolean,
): ConfigError | undefined {
  if (tls || isLoopback(host) || insecure) return undefined;
  return new ConfigError(
    `--host ${host} without TLS: every request would carry the agent's token in clear text over the network, and anyone who sees it can load kernel drivers here.`,
    'Serve HTTPS: create a certificate once with `npx drvcycle agent --init --token-file <file> --tls-cert agent.crt --tls-key agent.key` and start the agent with --tls-cert/--tls-key (the runner pins it with DRVCYCLE_AGENT_FINGERPRINT). Or keep --host 127.0.0.1 and reach it through an SSH tunnel. Only on a network nobody else can see: add --insecure-plain-http.',
  );
}

/**
 * The token file must be left to the agent's own account: on Windows owned by SYSTEM or
 * Administrators and writable (and readable) by no one else; on POSIX this user's and mode 600.
 * Under Wine there are no real ACLs (Wine derives them from the Unix mode): no check there.
 */
async function assertTokenFileSafe(file: string, onWindows: boolean, onWine: boolean) {
  if (onWine) return;
  if (!onWindows) return assertPosixTokenFile(file, '--token-file', true);
  const { readFileSecurity } = await import('../windows/nt/file-security.ts');
  const problem = windowsTokenFileProblem(file, readFileSecurity(file), true);
  if (problem)
    throw new ConfigError(
      `Refusing the token file (--token-file): ${problem}`,
      windowsTokenFileHint(file),
    );
}

function readTls(files: { cert: string; key: string }) {
  try {
    const certPem = readFileSync(files.cert, 'utf8');
    const keyPem = readFileSync(files.key, 'utf8');
    return { certPem, keyPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
  } catch (error) {
    throw new ConfigError(
      `Cannot use the TLS certificate ${files.cert} with the key ${files.key}: ${(error as Error).message}`,
      'Create both with: npx drvcycle agent --init --token-file <file> --tls-cert <file> --tls-key <file>',
    );
  }
}
