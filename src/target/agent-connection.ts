/**
 * How the runner reaches an agent: plain HTTP on loopback or through a tunnel, or HTTPS. With a
 * pinned fingerprint, the TLS connection is accepted only when the agent's certificate has that
 * SHA-256 fingerprint, checked before a single byte of the request (and so the token) is sent.
 * Without one, an https URL is checked against the system's CAs as usual.
 */
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch, type Dispatcher } from 'undici';
import { DrvcycleError, ErrorCodes } from '../core/errors.ts';

export interface AgentEndpoint {
  /** The agent's base URL, e.g. http://127.0.0.1:8765 or https://10.0.0.5:8765 */
  readonly url: string;
  readonly token: string;
  /** SHA-256 fingerprint of the agent's certificate (AB:CD:…), for an https URL. */
  readonly fingerprint?: string;
}

const dispatchers = new Map<string, Dispatcher>();

/** One connection pool per pin, so keep-alive connections are reused across requests. */
function dispatcherFor(fingerprint: string | undefined): Dispatcher {
  const key = fingerprint ?? '';
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connect: fingerprint ? pinnedConnector(fingerprint) : {},
    });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

export class PinMismatchError extends DrvcycleError {
  constructor(host: string, expected: string, actual: string) {
    super(
      ErrorCodes.AGENT_TLS,
      `The agent at ${host} presented a certificate with SHA-256 fingerprint ${actual}, not the pinned ${expected}. Nothing was sent.`,
      {
        hint: 'If the agent was given a new certificate (agent --init --tls-cert …), copy the fingerprint it printed into DRVCYCLE_AGENT_FINGERPRINT; otherwise something else answers at that address.',
      },
    );
  }
}

/** undici's TLS connector, without CA checks, then the fingerprint check on the handshake's result. */
function pinnedConnector(fingerprint: string): buildConnector.connector {
  // No session resumption: a resumed TLS 1.3 session shows no peer certificate to check.
  const connect = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
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

/** fetch() to the agent, over the endpoint's (pinned) connection. */
export function agentFetch(
  endpoint: AgentEndpoint,
  path: string,
  init: RequestInit & { duplex?: 'half' },
): Promise<Response> {
  if (endpoint.fingerprint && !endpoint.url.startsWith('https:'))
    throw new DrvcycleError(
      ErrorCodes.CONFIG,
      `A certificate fingerprint is pinned for ${endpoint.url}, which is not an https URL.`,
      { hint: 'Start the agent with --tls-cert/--tls-key and use its https:// URL.' },
    );
  return fetch(new URL(path, endpoint.url), {
    ...(init as Parameters<typeof fetch>[1]),
    dispatcher: dispatcherFor(endpoint.fingerprint),
  }) as unknown as Promise<Response>;
}

/** The pin mismatch behind a failed fetch, if that is why it failed. */
export function pinMismatchOf(error: unknown): PinMismatchError | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (e instanceof PinMismatchError) return e;
  return undefined;
}
