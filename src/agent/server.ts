/**
 * The agent's HTTP/JSON server: serves a Target to a runner elsewhere. Every request needs the
 * bearer token; bodies are size-limited and validated; image paths must be in the allow-list.
 */
import http from 'node:http';
import https from 'node:https';
import { AgentRequestError, DrvcycleError, ErrorCodes, toWire } from '../core/errors.ts';
import type { LocalTarget } from '../target/local-target.ts';
import type { DriverRef } from '../target/types.ts';
import { bearerMatches } from './auth.ts';
import {
  MAX_CATALOG_BYTES,
  MAX_INF_BYTES,
  takeStagedCatalog,
  takeStagedInf,
} from './staged-inf.ts';
import {
  decodePathSegment,
  isJson,
  objectOf,
  parseJson,
  queryOf,
  readBody,
  receiveImage,
  redactQuery,
  requestUrl,
  send,
} from './http.ts';
import {
  validateCycles,
  validateInstall,
  validateRunId,
  validateEventWindow,
  validateOperation,
  validateSampleRequest,
  validateServiceName,
} from './validation.ts';

export interface AgentOptions {
  readonly target: LocalTarget;
  /** Where uploaded images are staged (the target's staging folder). */
  readonly stagingDir: string;
  readonly token: string;
  /** Folders driver images may be loaded from (the staging folder is always one). */
  readonly allowedDirs: readonly string[];
  readonly maxJsonBytes?: number;
  readonly maxImageBytes?: number;
  readonly heartbeatMs?: number;
  readonly log?: (line: string) => void;
  readonly onShutdown?: () => void;
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP without. */
  readonly tls?: { readonly keyPem: string; readonly certPem: string };
}

export const DEFAULT_MAX_JSON_BYTES = 64 * 1024;
export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  params: string[],
) => Promise<void>;

export function createAgentServer(options: AgentOptions): http.Server {
  const maxJson = options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
  const maxImage = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const { target } = options;
  const log = options.log ?? (() => {});

  const json = async (req: http.IncomingMessage) => parseJson(await readBody(req, maxJson));
  const service = (params: string[]): DriverRef => ({
    name: validateServiceName(decodePathSegment(params[0] ?? '')),
  });
  // One changing operation per service at a time; a second one is refused (409), not queued.
  // Uninstall is the exception: it ends a running batch and waits for it, so teardown always works.
  const busy = new Set<string>();
  const exclusive = async <T>(driver: DriverRef, operation: () => Promise<T>): Promise<T> => {
    if (busy.has(driver.name))
      throw new DrvcycleError(
        ErrorCodes.BUSY,
        `Service "${driver.name}" is busy with another operation.`,
        { hint: 'One start, stop, install or batch per driver at a time: wait for it to end.' },
      );
    busy.add(driver.name);
    try {
      return await operation();
    } finally {
      busy.delete(driver.name);
    }
  };
  /** PUT of one file of a PnP package (`<service>.inf` or `.cat`), named by its SHA-256. */
  const packageUpload =
    (file: 'inf' | 'catalog', what: string, maxBytes: number): Handler =>
    async (req, res, params) => {
      const { name } = service(params);
      const sha256 = queryOf(req).sha256;
      if (typeof sha256 !== 'string')
        throw new AgentRequestError(
          400,
          ErrorCodes.INVALID_REQUEST,
          `Expected \`sha256\`: the SHA-256 of the ${what}, in the query string.`,
        );
      const extension = file === 'inf' ? 'inf' : 'cat';
      await receiveImage(req, options.stagingDir, `${name}.${extension}`, sha256, maxBytes);
      send(res, 201, { [file]: sha256.toLowerCase() });
    };
  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/v1\/health$/, async (_req, res) => send(res, 200, await target.health())],
    ['GET', /^\/v1\/info$/, async (_req, res) => send(res, 200, await target.info())],
    [
      'PUT',
      /^\/v1\/services\/([^/]+)$/,
      async (req, res, params) => {
        const { name } = service(params);
        const jsonBody = isJson(req);
        const { binaryPath, fileName, infSha256, catalogSha256, ...install } = validateInstall(
          name,
          jsonBody ? objectOf(await json(req)) : queryOf(req),
          options.allowedDirs,
        );
        if (jsonBody && !binaryPath)
          throw new AgentRequestError(
            400,
            ErrorCodes.INVALID_REQUEST,
            'A JSON install must name `binaryPath`, an image already on this machine.',
            'To send the image itself, PUT it as application/octet-stream with `file` and `runId` in the query string.',
          );
        const staged =
          binaryPath ??
          (await receiveImage(req, options.stagingDir, fileName!, queryOf(req).sha256, maxImage));
        const inf = infSha256
          ? await takeStagedInf(options.stagingDir, name, infSha256)
          : undefined;
        const catalog = catalogSha256
          ? await takeStagedCatalog(options.stagingDir, name, catalogSha256)
          : undefined;
        send(
          res,
          201,
          await exclusive({ name }, () =>
            target.install(
              { binaryPath: staged },
              {
                ...install,
                ...(inf === undefined ? {} : { inf }),
                ...(catalog === undefined ? {} : { catalog }),
              },
            ),
          ),
        );
      },
    ],
    // The files of a team's PnP package, staged by content before the install that names them.
    ['PUT', /^\/v1\/services\/([^/]+)\/inf$/, packageUpload('inf', 'INF', MAX_INF_BYTES)],
    [
      'PUT',
      /^\/v1\/services\/([^/]+)\/catalog$/,
      packageUpload('catalog', 'catalog', MAX_CATALOG_BYTES),
    ],
    ['GET', /^\/v1\/services$/, async (_req, res) => send(res, 200, await target.listOwned())],
    [
      'GET',
      /^\/v1\/services\/([^/]+)$/,
      async (_req, res, params) => send(res, 200, await target.query(service(params))),
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/start$/,
      async (req, res, params) => {
        const opts = validateOperation(await json(req));
        const driver = service(params);
        send(res, 200, await exclusive(driver, () => target.start(driver, opts)));
      },
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/stop$/,
      async (req, res, params) => {
        const opts = validateOperation(await json(req));
        const driver = service(params);
        send(res, 200, await exclusive(driver, () => target.stop(driver, opts)));
      },
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/mark-for-delete$/,
      async (req, res, params) => {
        const opts = validateOperation(await json(req));
        const driver = service(params);
        await exclusive(driver, () => target.markForDelete(driver, opts));
        send(res, 200, { markedForDelete: true });
      },
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/uninstall$/,
      async (req, res, params) => {
        const opts = validateOperation(await json(req));
        await target.uninstall(service(params), opts);
        send(res, 200, { uninstalled: true });
      },
    ],
    ['GET', /^\/v1\/samplers$/, async (_req, res) => send(res, 200, await target.samplers())],
    [
      'GET',
      /^\/v1\/verifier$/,
      async (_req, res) => send(res, 200, await target.verifierSettings()),
    ],
    [
      'POST',
      /^\/v1\/sample$/,
      async (req, res) =>
        send(res, 200, await target.sample(validateSampleRequest(await json(req)))),
    ],
    [
      'GET',
      /^\/v1\/events$/,
      async (req, res) => {
        const window = validateEventWindow(requestUrl(req).searchParams);
        send(res, 200, await target.events(window.since, window.until));
      },
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/cycles$/,
      async (req, res, params) => {
        const opts = validateCycles(await json(req));
        const driver = service(params);
        await exclusive(driver, () =>
          streamCycles(res, target, driver, opts, options.heartbeatMs ?? 1000, log),
        );
      },
    ],
    [
      'POST',
      /^\/v1\/services\/([^/]+)\/cycles\/cancel$/,
      async (_req, res, params) =>
        send(res, 200, { cancelled: await target.cancelCycles(service(params)) }),
    ],
    [
      'POST',
      /^\/v1\/cleanup-stale$/,
      async (req, res) => {
        const runId = validateRunId(objectOf(await json(req)).runId);
        send(res, 200, await target.cleanupStale(runId));
      },
    ],
    [
      'POST',
      /^\/v1\/shutdown$/,
      async (_req, res) => {
        send(res, 202, { shuttingDown: true });
        options.onShutdown?.();
      },
    ],
  ];

  // The agent's SCM work blocks its thread (a call into services.exe), so requests take turns:
  // one per turn of the event loop, and between two turns the loop reads the sockets again,
  // where a health check is answered at once. A health check that arrives behind a queue of
  // requests is answered after the one under way, not after all of them.
  /** A route's path with the query's keys it reads; any other target only as its length. */
  const loggedTarget = (target: string): string => {
    const at = target.indexOf('?');
    const pathname = at < 0 ? target : target.slice(0, at);
    return routes.some(([, pattern]) => pattern.test(pathname))
      ? redactQuery(target)
      : `(a target of ${target.length} characters, no route)`;
  };

  let lastTurn: Promise<void> = Promise.resolve();
  const nextTurn = (): Promise<void> => {
    const turn = lastTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    lastTurn = turn;
    return turn;
  };

  const handler: http.RequestListener = (req, res) => {
    const started = performance.now();
    // The target can carry what must not be logged (a token someone put there): see loggedTarget.
    res.on('finish', () =>
      log(
        `${req.method} ${loggedTarget(req.url ?? '/')} ${res.statusCode} ${Math.round(performance.now() - started)}ms`.replaceAll(
          options.token,
          '…',
        ),
      ),
    );
    void (async () => {
      if (!bearerMatches(req.headers.authorization, options.token)) {
        req.resume();
        res.setHeader('WWW-Authenticate', 'Bearer realm="drvcycle-agent"');
        throw new AgentRequestError(
          401,
          ErrorCodes.UNAUTHORIZED,
          'Missing or wrong bearer token.',
          'Send "Authorization: Bearer <token>" with the token from the agent\'s --token-file.',
        );
      }
      const url = requestUrl(req);
      // Health answers first, whatever else is queued: every other request waits for its turn.
      if (url.pathname !== '/v1/health') await nextTurn();
      for (const [method, pattern, handler] of routes) {
        const match = pattern.exec(url.pathname);
        if (match && req.method === method) return handler(req, res, match.slice(1));
      }
      req.resume();
      throw new AgentRequestError(
        404,
        ErrorCodes.INVALID_REQUEST,
        `No route for ${req.method} ${url.pathname}.`,
      );
    })().catch((error: unknown) => {
      if (res.headersSent) {
        res.end(`${JSON.stringify({ error: toWire(error) })}\n`);
        return;
      }
      const status =
        error instanceof AgentRequestError
          ? error.status
          : error instanceof DrvcycleError
            ? error.code === ErrorCodes.FOREIGN_SERVICE
              ? 403
              : error.code === ErrorCodes.BUSY
                ? 409
                : 422
            : 500;
      if (status >= 500)
        log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
      send(res, status, { error: toWire(error) });
    });
  };
  return options.tls
    ? https.createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, handler)
    : http.createServer(handler);
}

async function streamCycles(
  res: http.ServerResponse,
  target: LocalTarget,
  driver: DriverRef,
  opts: ReturnType<typeof validateCycles>,
  heartbeatMs: number,
  log: (line: string) => void,
) {
  const records = target.runCycles(driver, opts);
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  const send = (line: unknown) => {
    if (!res.destroyed) res.write(`${JSON.stringify(line)}\n`);
  };
  const heartbeat = setInterval(() => send({ heartbeat: Date.now() }), heartbeatMs);
  // A runner that goes away (Ctrl+C, killed, network gone) leaves no driver cycling.
  let gone = false;
  const onGone = () => {
    if (res.writableEnded) return;
    gone = true;
    void target.cancelCycles(driver);
  };
  res.on('close', onGone);
  let cycles = 0;
  try {
    for await (const record of records) {
      cycles++;
      send({ record });
    }
    if (!res.destroyed) res.end(`${JSON.stringify({ done: true, cycles })}\n`);
  } finally {
    clearInterval(heartbeat);
    res.off('close', onGone);
    // Said once the batch has ended and the driver is stopped: what a lost runner can check.
    log(
      `batch of ${driver.name} ended after ${cycles} cycle${cycles === 1 ? '' : 's'}${gone ? ': its runner went away, the batch was cancelled' : ''}`,
    );
  }
}
