/** What an agent URL says about where the agent is, for the runner and its settings alike. */

/** Whether a URL's host is this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false; // a template such as http://{ip}:8765: another machine
  }
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Why a runner should not use this agent URL: plain http:// to another machine sends the token in
 * clear text with every request. undefined for https:// and for loopback (an SSH tunnel).
 */
export function plainHttpUrlProblem(url: string): string | undefined {
  if (!url.startsWith('http://') || isLoopbackUrl(url)) return undefined;
  return `${url} is plain HTTP to another machine: every request would carry the agent's token in clear text over the network.`;
}
