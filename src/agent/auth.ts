/** Bearer-token check in constant time: both sides are hashed first, so lengths never leak. */
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 32;

export function validateToken(token: string): string {
  const trimmed = token.trim();
  if (trimmed.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `The agent token must be at least ${MIN_TOKEN_LENGTH} characters (got ${trimmed.length}). Write a new one with: npx drvcycle agent --init --token-file <file>`,
    );
  }
  return trimmed;
}

export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const presented = match?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
