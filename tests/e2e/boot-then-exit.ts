/**
 * A runner process that ends without releasing its lab machine, as a Playwright worker does when
 * Ctrl+C arrives while its machine fixture is still booting (no teardown for an unfinished set-up).
 *   node --import tsx tests/e2e/boot-then-exit.ts <runId> booting|booted
 * booting: exits as soon as the machine's first Wine process runs, its boot still under way;
 * booted: exits once the machine is up.
 */
import path from 'node:path';
import { labPaths } from '../../src/lab/lab-paths.ts';
import { processesOfPrefix } from '../../src/lab/wine-processes.ts';
import { LabMachine, labMachineFolder } from '../../src/machines/lab.ts';

const [runId, when] = process.argv.slice(2);
const prefix = path.join(labPaths.machinesDir(), labMachineFolder(runId!, 0), 'prefix');
const booting = LabMachine.boot({ index: 0, runId: runId! });
if (when === 'booting') {
  for (;;) {
    if (processesOfPrefix(prefix).length > 0) process.exit(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
await booting;
process.exit(0);
