/**
 * `drvcycle report [--gate] [shard reports folders…]`: the Allure report of the reports folder,
 * after merging the shards into it when some are given; with --gate, the quality gate. It holds
 * the folder's run lock throughout, so it never writes into a folder a live run is writing.
 */
import { currentRunId } from '../config/run-id-env.ts';
import { reportsDir } from '../config/environment.ts';
import { generateReport, qualityGate } from '../report/generate.ts';
import { takeRunLock } from '../report/run-lock.ts';

export async function reportCommand(args: string[]): Promise<number> {
  takeRunLock(reportsDir(), currentRunId() ?? '', 'drvcycle report');
  const shards = args.filter((arg) => !arg.startsWith('--'));
  if (shards.length > 0) {
    const { mergeShardReports } = await import('./merge-shards.ts');
    await mergeShardReports(shards);
  }
  process.stdout.write(`Allure report: ${await generateReport()}\n`);
  return args.includes('--gate') ? await qualityGate() : 0;
}
