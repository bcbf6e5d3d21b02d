/**
 * How the runner reaches an agent: plain HTTP on loopback or through a tunnel, or HTTPS. With a
 * pinned fingerprint, the TLS connection is accepted only when the agent's certificate has that
 * SHA-256 fingerprint, checked before a single byte of the request (and so the token) is sent.
 * Without one, an https URL is checked against the system's CAs as usual.
 */
import type { TLSSocket } from 'node:tls';
import type * as Undici from 'undici';
import type { buildConnector, Dispatcher } from 'undici';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export interface AgentEndpoint {
  /** The agent's base URL, e.g. http://127.0.0.1:8765 or https://10.0.0.5:8765 */
  readonly url: string;
  readonly token: string;
  /** SHA-256 fingerprint of the agent's certificate (AB:CD:…), for an https URL. */
  readonly fingerprint?: string;
}

/** undici, loaded with the first request (about a second): a process that never calls an agent does without it. */
let undici: Promise<typeof Undici> | undefined;
const loadUndici = () => (undici ??= import('undici'));

const dispatchers = new Map<string, Dispatcher>();

/** One connection pool per pin, so keep-alive connections are reused across requests. */
async function dispatcherFor(fingerprint: string | undefined): Promise<Dispatcher> {
  const { Agent, buildConnector } = await loadUndici();
  const key = fingerprint ?? '';
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connect: fingerprint ? pinnedConnector(buildConnector, fingerprint) : {},
    });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

export class PinMismatchError extends DrvcycleError {
  constructor(host: string, expected: string, actual: string) {
    super(
      ErrorCodes.AGENT_TLS,
      `The certificate of the agent at ${host} did not match the pin: it presented SHA-256 ${actual}, DRVCYCLE_AGENT_FINGERPRINT pins ${expected}. Nothing was sent (not the token either).`,
      {
        hint: 'If the agent was given a new certificate (agent --init --tls-cert …, or a reinstall), check on that machine the fingerprint it printed at start ("TLS certificate SHA-256 fingerprint: …" in its log) and, if it is the one presented, put it in DRVCYCLE_AGENT_FINGERPRINT. If the agent\'s certificate did not change, something else answers at that address: find out what before sending it anything.',
      },
    );
  }
}

/** undici's TLS connector, without CA checks, then the fingerprint check on the handshake's result. */
function pinnedConnector(
  build: typeof buildConnector,
  fingerprint: string,
): buildConnector.connector {
  // No session resumption: a resumed TLS 1.3 session shows no peer certificate to check.
  const connect = build({ rejectUnauthorized: false, maxCachedSessions: 0 });
  return (options, callback) =>
    connect(options, (error, socket) => {
      if (error) return callback(error, null);
      const actual = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
      if (actual === fingerprint) return callback(null, socket);
      socket.destroy();
      callback(
        new PinMismatchError(options.hostname, fingerprint, actual ?? '(no certificate: not TLS)'),
        null,
      );
    });
}

function requirePinnedHttps(endpoint: AgentEndpoint): void {
  if (endpoint.fingerprint && !endpoint.url.startsWith('https:'))
    throw new DrvcycleError(
      ErrorCodes.CONFIG,
      `A certificate fingerprint is pinned for ${endpoint.url}, which is not an https URL.`,
      { hint: 'Start the agent with --tls-cert/--tls-key and use its https:// URL.' },
    );
}

/** fetch() to the agent, over the endpoint's (pinned) connection. */
export async function agentFetch(
  endpoint: AgentEndpoint,
  path: string,
  init: RequestInit & { duplex?: 'half' },
): Promise<Response> {
  requirePinnedHttps(endpoint);
  const [{ fetch }, dispatcher] = await Promise.all([
    loadUndici(),
    dispatcherFor(endpoint.fingerprint),
  ]);
  return (await fetch(new URL(path, endpoint.url), {
    ...(init as Parameters<typeof fetch>[1]),
    dispatcher,
  })) as unknown as Response;
}

export interface AgentStream {
  readonly status: number;
  /** The response body as text chunks, a Node stream: no web-stream layers per chunk. */
  readonly body: AsyncIterable<string> & { text(): Promise<string> };
}

/**
 * A POST whose response is read as it streams (a cycle batch: one line per cycle), over the same
 * (pinned) connection pool as agentFetch. undici's request() hands the body over as a Node stream;
 * fetch() wraps each chunk in web-stream promises, which the runner paid for on every cycle.
 */
export async function agentStream(
  endpoint: AgentEndpoint,
  path: string,
  init: {
    readonly headers: Record<string, string>;
    readonly body: string;
    readonly signal: AbortSignal;
  },
): Promise<AgentStream> {
  requirePinnedHttps(endpoint);
  const [{ request }, dispatcher] = await Promise.all([
    loadUndici(),
    dispatcherFor(endpoint.fingerprint),
  ]);
  const response = await request(new URL(path, endpoint.url), {
    method: 'POST',
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    dispatcher,
  });
  response.body.setEncoding('utf8');
  return {
    status: response.statusCode,
    body: response.body as unknown as AgentStream['body'],
  };
}

/** The pin mismatch behind a failed fetch, if that is why it failed. */
export function pinMismatchOf(error: unknown): PinMismatchError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (e instanceof PinMismatchError) return e;
  return undefined;
}
