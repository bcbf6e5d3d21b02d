/**
 * The agent on its own: the entry of the agent bundle (`npx drvcycle agent-bundle`), which a
 * Windows machine runs with the bundled node.exe, without this repository or npm:
 *   node.exe agent\agent.js agent --token-file … [--init] [--tls-cert … --tls-key …] …
 */
import { DrvcycleError } from '../core/errors.ts';
import { runAgent } from './agent-command.ts';

const [command, ...rest] = process.argv.slice(2);
if (command !== 'agent') {
  process.stderr.write('Usage: node.exe agent\\agent.js agent --token-file <file> [options]\n');
  process.exitCode = 1;
} else {
  runAgent(rest).catch((error: unknown) => {
    process.stderr.write(
      `drvcycle: ${error instanceof DrvcycleError ? error.message : (error as Error).stack}\n`,
    );
    process.exitCode = 1;
  });
}
