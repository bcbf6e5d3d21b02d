/**
 * The SCM's blocking threads run the PnP layer's device calls without the SCM layer importing it:
 * windows/pnp/device-calls.ts registers them on every thread that loads it, and the agent's pool
 * starts its workers from target/agent-pool-worker.ts, which loads it. Off Windows the SetupAPI call
 * itself fails (no x64 Windows DLL): that failure, as an answer, shows the call reached its code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { BlockingCallPool } from '../../src/windows/scm/blocking-pool.ts';
import { performBlockingCall } from '../../src/windows/scm/blocking-calls.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const removal = {
  call: 'Registered',
  name: 'PnpDevice',
  request: { call: 'PnpRemove', hardwareId: 'root\\drvcycle_none', service: 'drvcycle_none' },
} as const;

/**
 * The worker script bundled as the agent's bundle bundles it (Node 20 runs no TypeScript in a
 * worker), under node_modules so that koffi resolves from it as from the agent's folder.
 */
async function bundled(script: string, dir: string): Promise<URL> {
  const out = path.join(dir, `${path.basename(path.dirname(script))}-worker.mjs`);
  await build({
    entryPoints: [path.join(ROOT, script)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['koffi'],
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
  });
  return pathToFileURL(out);
}

test('a pool started from the agent’s worker script runs the PnP device calls; the SCM’s own does not', async () => {
  const dir = mkdtempSync(path.join(ROOT, 'node_modules', '.drvcycle-pool-'));
  const agentPool = new BlockingCallPool(await bundled('src/target/agent-pool-worker.ts', dir));
  const scmPool = new BlockingCallPool(
    await bundled('src/windows/scm/blocking-pool-worker.ts', dir),
  );
  try {
    expect(await agentPool.run(removal)).toMatchObject({
      ok: false,
      value: { operation: expect.any(String) },
    });
    await expect(scmPool.run(removal)).rejects.toThrow(
      /^No blocking call "PnpDevice" is registered on this thread/,
    );
  } finally {
    agentPool.close();
    scmPool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a thread that has not loaded the PnP layer, a registered call is refused by name', () => {
  expect(() =>
    performBlockingCall({ id: 1, call: 'Registered', name: 'Nothing', request: {} }),
  ).toThrow('No blocking call "Nothing" is registered on this thread');
});
