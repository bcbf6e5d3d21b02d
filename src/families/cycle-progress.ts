/** Progress lines for long runs: one every few seconds, with the rate and the time left. */
export interface ProgressReport {
  readonly done: number;
  readonly total: number;
  readonly perSecond: number;
  readonly etaSeconds: number;
}

export function formatProgress(p: ProgressReport): string {
  const eta = Number.isFinite(p.etaSeconds) ? `${Math.ceil(p.etaSeconds)} s` : '?';
  return `cycle ${p.done}/${p.total} (${p.perSecond.toFixed(1)}/s, ETA ${eta})`;
}

/** A progress line every `everyMs` (not per cycle); without a total, just the count and rate. */
export function progressReporter(
  label: string,
  total: number | undefined,
  log: (line: string) => void,
  everyMs = 5_000,
): (done: number) => void {
  const started = performance.now();
  let last = started;
  return (done) => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    const perSecond = done / ((now - started) / 1000);
    log(
      `[${label}] ${total ? formatProgress({ done, total, perSecond, etaSeconds: (total - done) / perSecond }) : `cycle ${done} (${perSecond.toFixed(1)}/s)`}`,
    );
  };
}
