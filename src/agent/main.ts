/** `drvcycle agent`: runs inside the Windows machine (or the Wine lab) and serves its SCM. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { newRunId } from '../core/run-id.ts';
import { LocalTarget } from '../target/local-target.ts';
import { validateToken } from './auth.ts';
import { createAgentServer } from './server.ts';

const USAGE =
  'Usage: drvcycle agent --token-file <file> [--port 8765] [--host 127.0.0.1] [--allow-dir <folder>]... [--staging-dir <folder>] [--ready-file <file>]';

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
    },
    strict: true,
  });
  if (!values['token-file']) throw new ConfigError('The agent needs --token-file.', USAGE);
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
  const stagingDir =
    values['staging-dir'] ??
    path.win32.join(process.env.ProgramData ?? 'C:\\ProgramData', 'drvcycle', 'images');
  // Services get the run id of the runner that installs them; the agent's own is only a default.
  const target = new LocalTarget({ runId: `agent-${newRunId()}`.slice(0, 40), stagingDir });
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

  const server = createAgentServer({
    target,
    token,
    allowedDirs: [stagingDir, ...values['allow-dir']],
    log,
    onShutdown: () => {
      log('shutdown requested');
      server.close();
      void target.close().finally(() => process.exit(0));
    },
  });
  server.listen(port, values.host, () => {
    const address = server.address() as AddressInfo;
    const url = `http://${values.host}:${address.port}`;
    if (!['127.0.0.1', '::1', 'localhost'].includes(values.host)) {
      log(
        `WARNING: listening on ${values.host}, beyond loopback: anyone who can reach it and holds the token can load kernel drivers.`,
      );
    }
    log(`drvcycle agent listening on ${url} (staging ${stagingDir})`);
    if (values['ready-file']) {
      const ready = values['ready-file'];
      writeFileSync(`${ready}.tmp`, JSON.stringify({ url, port: address.port, pid: process.pid }));
      renameSync(`${ready}.tmp`, ready);
    }
  });
}
