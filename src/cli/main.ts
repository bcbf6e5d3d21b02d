/** The drvcycle command line: `agent` (inside Windows or the lab), `lab` (the main job), `provision`. */
import { DrvcycleError } from '../core/errors.ts';

const HELP = `drvcycle — load/unload, leak and error-path testing for Windows kernel drivers

Commands:
  drvcycle agent --token-file <file> [--port 8765] [--allow-dir <folder>]...
      Serve this Windows machine's SCM to a drvcycle runner (run it inside the VM).
  drvcycle agent-bundle [--out <folder>]
      Write drvcycle-agent-<version>-win-x64.zip: node.exe, the agent in one script, koffi's
      win32 build and install-agent.ps1 (a SYSTEM scheduled task at boot), for a VM image.
  drvcycle provision
      Set up the embedded Wine lab (packages, Windows Node, koffi, base prefix, sample drivers).
  drvcycle lab [playwright test arguments]
      Provision the lab, run the specs on it (the main job), generate the Allure report.
  drvcycle lab up | lab down
      Bring one lab machine up by hand (prints its agent URL and token file, for the existing
      provider), and take it down again.
  drvcycle compare --baseline <last-good.sys> --candidate <new.sys> [--cycles N] [--io <table.json>]
                   [playwright test arguments]
      The candidate build against the last good one on the lab: both installed side by side,
      cycled in alternating blocks (running the I/O table, when given, on both); per figure
      (latency p50/p95, I/O call latency p50/p95, leak slope, host memory, debug output, event
      log, error paths) the difference with its interval. Exits 0 same or improved, 1 regressed,
      2 when no comparison could be made (the lab, drvcycle or the baseline failed).
  drvcycle resume [playwright test arguments]
      Finish an interrupted run (runner killed, Ctrl+C, machine lost): the same run id, only
      the tests that did not complete, one report of both parts.
  drvcycle repro <reports folder> [test] [--failures 3] [--attempts 50] [--budget-cycles 20000]
                 [--budget-minutes 30] [--shrink-repeats 3] [--shrink-runs 12] [--out <folder>]
      Rerun a failed test of that run with what its verdict recorded (image, settings, seed,
      machine kind), each attempt from a fresh start, until it fails again or a budget ends;
      report the failure rate (Wilson 95 %), the cycles to failure and the shortest failing run.
      A compare regression reruns the whole comparison (both images by their SHA-256).
      Exit 0 reproduced, 1 not reproduced within the budget, 2 machine failure, 3 bad input.
  drvcycle report [--gate] [shard reports folders...]
      Generate reports/allure-report from reports/allure-results; with shard folders, first
      merge them (Allure results, verdicts, environment, certification, Playwright blobs) into
      reports/. --gate applies the quality gate (every test passed, the certification passed)
      and exits non-zero when it fails.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'agent': {
        const { runAgent } = await import('../agent/agent-command.ts');
        await runAgent(rest);
        return -1; // keeps running
      }
      case 'agent-bundle': {
        const { writeAgentBundle } = await import('./agent-bundle-command.ts');
        return await writeAgentBundle(rest);
      }
      case 'provision': {
        const { provisionLab } = await import('../lab/provision.ts');
        const { pruneLeftovers } = await import('../machines/lab.ts');
        await provisionLab();
        await pruneLeftovers();
        return 0;
      }
      case 'report': {
        const { reportCommand } = await import('./report.ts');
        return await reportCommand(rest);
      }
      case 'compare': {
        const { compareCommand } = await import('./compare-command.ts');
        return await compareCommand(rest);
      }
      case 'resume': {
        const { resumeRun } = await import('./resume-command.ts');
        return await resumeRun(rest);
      }
      case 'repro': {
        const { reproCommand } = await import('./repro-command.ts');
        return await reproCommand(rest);
      }
      case 'lab': {
        if (rest[0] === 'up' || rest[0] === 'down') {
          const { labDown, labUp } = await import('./lab-machine.ts');
          return rest[0] === 'up' ? await labUp() : await labDown();
        }
        const { runLabJob } = await import('./lab-job.ts');
        return await runLabJob(rest);
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(HELP);
        return command === undefined ? 1 : 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${HELP}`);
        return 1;
    }
  } catch (error) {
    if (error instanceof DrvcycleError) {
      process.stderr.write(`drvcycle: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
