/**
 * The HTTP plumbing of the agent: bodies read within limits, uploads streamed into staging, JSON
 * and query parsing, answers, and log lines that never carry a secret.
 */
import type http from 'node:http';
import { AgentRequestError, ErrorCodes } from '../core/errors.ts';
import { stageStream, UploadError } from '../target/staging.ts';

/** The query keys the agent's routes read: only these are named in a log line. */
const QUERY_KEYS = new Set([
  'runId',
  'file',
  'sha256',
  'type',
  'group',
  'retry',
  'pnp',
  'inf',
  'since',
  'until',
]);

/**
 * A request target fit for the log: no query value, and no query key but the ones the routes
 * read (`?<token>` is a key without a value: it would be logged as that key), each as "…".
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const keys = [...new URLSearchParams(url.slice(at + 1)).keys()];
  return `${url.slice(0, at)}?${keys.map((k) => (QUERY_KEYS.has(k) ? `${k}=…` : '…')).join('&')}`;
}

/**
 * The request's target as a URL. Only a path is taken (origin-form, RFC 9112 3.2.1): a full URL
 * (`GET http://host:99999/…`), `//host/…`, `*` or anything `new URL` rejects gets 400.
 */
export function requestUrl(req: http.IncomingMessage): URL {
  const target = req.url ?? '/';
  const notAPath = () =>
    new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      'The request target is not a path: the agent takes only a path and query, like /v1/health.',
      'Send the path alone (origin-form), not a full URL, a path that starts with //, or *.',
    );
  if (!target.startsWith('/') || target.startsWith('//')) throw notAPath();
  try {
    return new URL(target, 'http://agent');
  } catch {
    throw notAPath();
  }
}

export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      `The path segment ${JSON.stringify(segment)} is not valid percent-encoding.`,
    );
  }
}

export function isJson(req: http.IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/json');
}

export function objectOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      'Expected a JSON object as the request body.',
    );
  return body as Record<string, unknown>;
}

export function queryOf(req: http.IncomingMessage): Record<string, unknown> {
  return Object.fromEntries(requestUrl(req).searchParams);
}

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Streams an uploaded image into staging (bounded memory), checking its size and SHA-256. */
export async function receiveImage(
  req: http.IncomingMessage,
  stagingDir: string,
  fileName: string,
  sha256: unknown,
  limit: number,
): Promise<string> {
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)))
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      'Expected `sha256`: 64 hex digits.',
    );
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  try {
    return await stageStream(stagingDir, fileName, req, { sha256, maxBytes: limit });
  } catch (error) {
    if (!(error instanceof UploadError)) throw error;
    req.resume();
    if (error.why === 'too-large') throw tooLarge(limit);
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      `The image arrived damaged: its SHA-256 is ${error.digest}, not the ${String(sha256)} the runner sent.`,
      'Send it again; if it keeps happening, something between the runner and the agent alters it.',
    );
  }
}

export function tooLarge(limit: number): AgentRequestError {
  return new AgentRequestError(
    413,
    ErrorCodes.BODY_TOO_LARGE,
    `Request body exceeds the agent's limit of ${limit} bytes.`,
  );
}

export function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AgentRequestError(
      400,
      ErrorCodes.INVALID_REQUEST,
      'The request body is not valid JSON.',
    );
  }
}
