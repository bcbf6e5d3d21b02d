/** What a refused team INF says: the TeamInfError a call throws, as message and hint. */
import { TeamInfError } from '../../src/core/team-inf.ts';

export function teamInfRefusal(fn: () => unknown): { message: string; hint: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof TeamInfError) return { message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error('expected a TeamInfError');
}
