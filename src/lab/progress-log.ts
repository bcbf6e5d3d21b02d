/** Progress lines for provisioning and long runs: what is happening, and how long it took. */
export type Log = (line: string) => void;

export const consoleLog: Log = (line) => process.stdout.write(`[drvcycle] ${line}\n`);

export async function step<T>(
  log: Log,
  title: string,
  run: () => Promise<T | 'already-done'>,
): Promise<T | 'already-done'> {
  const started = performance.now();
  log(`… ${title}`);
  const result = await run();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log(result === 'already-done' ? `✓ ${title}: already done` : `✓ ${title} (${seconds} s)`);
  return result;
}
