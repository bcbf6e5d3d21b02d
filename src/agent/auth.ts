/** Bearer-token check in constant time: both sides are hashed first, so lengths never leak. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 32;
/** What the token's own characters must carry (estimated as its length × their Shannon entropy). */
export const MIN_TOKEN_BITS = 80;

const HOW_TO_MAKE =
  'Write a new one with: npx drvcycle agent --init --token-file <file> (or: openssl rand -hex 32 > <file>)';

/** The token as written in its file (surrounding whitespace and line ends dropped), if strong enough. */
export function validateToken(token: string): string {
  const trimmed = token.trim();
  const problem = weakTokenProblem(trimmed);
  if (problem) throw new Error(`${problem} ${HOW_TO_MAKE}`);
  return trimmed;
}

/**
 * Why a token is too weak to guard an agent that loads kernel drivers, or undefined. A random
 * token passes: 64 hex digits estimate at ~240 bits, 32 hex digits at ~105, 43 base64url at ~200.
 */
export function weakTokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH)
    return `The agent token must be at least ${MIN_TOKEN_LENGTH} characters (got ${token.length}).`;
  if (/\s/.test(token))
    return 'The agent token contains whitespace: it must be one word of printable characters (a bearer token cannot carry a space).';
  if (/[^\x21-\x7e]/.test(token))
    return 'The agent token contains a character that is not printable ASCII.';
  const bits = estimatedBits(token);
  if (bits < MIN_TOKEN_BITS)
    return `The agent token is too easy to guess: its ${token.length} characters use only ${new Set(token).size} different ones (about ${Math.round(bits)} bits; at least ${MIN_TOKEN_BITS} are needed).`;
  const period = repeatPeriod(token);
  if (period !== undefined)
    return `The agent token is a repetition of its first ${period} characters.`;
  if (stepsOfOne(token) > 0.5)
    return 'The agent token is mostly a run of consecutive characters (like abcd… or 1234…).';
  return undefined;
}

/** Length × the Shannon entropy of the token's character frequencies. */
function estimatedBits(token: string): number {
  const counts = new Map<string, number>();
  for (const c of token) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / token.length) * Math.log2(n / token.length);
  return perChar * token.length;
}

/** The shortest p with token[i] === token[i + p] throughout, if p is at most half its length. */
function repeatPeriod(token: string): number | undefined {
  for (let p = 1; p <= token.length / 2; p++)
    if (token.slice(p) === token.slice(0, token.length - p)) return p;
  return undefined;
}

/** The share of neighbouring characters whose codes differ by exactly one (a run such as abcd). */
function stepsOfOne(token: string): number {
  let steps = 0;
  for (let i = 1; i < token.length; i++)
    if (Math.abs(token.charCodeAt(i) - token.charCodeAt(i - 1)) === 1) steps++;
  return steps / (token.length - 1);
}

export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const presented = match?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
