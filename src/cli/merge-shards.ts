/** `drvcycle report <shard folders…>`: one report for a run sharded across CI machines. */
import { playwrightCommand } from './playwright-command.ts';
import path from 'node:path';
import { runProcess } from '../core/child-process.ts';
import { ErrorCodes } from '../core/errors.ts';
import { reportsDir } from '../config/environment.ts';
import { mergeShards } from '../report/merge.ts';

export async function mergeShardReports(shards: string[]): Promise<void> {
  const into = reportsDir();
  const merged = mergeShards(shards, into);
  process.stdout.write(
    `[drvcycle] merged ${merged.shards} shards into ${into}: ${merged.results} test results, ${merged.verdicts} verdicts, run ${merged.runIds.join(', ') || '(none)'}\n`,
  );
  if (merged.shardSet)
    process.stdout.write(
      `[drvcycle] shards ${merged.shardSet.shards.map((s) => s.index).join(', ') || '(none)'} of ${merged.shardSet.total}\n`,
    );
  else
    process.stdout.write(
      '[drvcycle] the shards carry no shard.json (not started with --shard=i/n): whether every shard is here cannot be checked\n',
    );
  for (const line of merged.incomplete) process.stdout.write(`[drvcycle] INCOMPLETE: ${line}\n`);
  if (merged.runIds.length > 1)
    process.stdout.write(
      '[drvcycle] the shards have different run ids: give every shard the same DRVCYCLE_RUN_ID to make them one run\n',
    );
  if (merged.blobs.length === 0) return;
  const html = path.join(into, 'playwright-report');
  const playwright = playwrightCommand([
    'merge-reports',
    '--reporter=html',
    path.join(into, 'blob-report'),
  ]);
  await runProcess(playwright.command, playwright.args, {
    timeoutMs: 600_000,
    env: { ...process.env, PLAYWRIGHT_HTML_OUTPUT_DIR: html, PLAYWRIGHT_HTML_OPEN: 'never' },
    errorCode: ErrorCodes.REPORT,
    hint: 'The shards must come from the same version of the tests and of Playwright.',
  });
  process.stdout.write(
    `[drvcycle] Playwright report of all shards: ${path.join(html, 'index.html')}\n`,
  );
}
