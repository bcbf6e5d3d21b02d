import { readImage, test, toInstallRequest } from '../fixtures/index.ts';
import { sampleDriver } from '../src/lab/paths.ts';
import { poolTraceSignal } from '../src/runner/leaks.ts';
import {
  describeExpectation,
  describeObservation,
  ERROR_PATH_CASES,
  matches,
  withCrashEvidence,
  type CaseContext,
} from '../src/runner/error-paths.ts';
import type { ServiceRef } from '../src/target/types.ts';
import { crashLines } from '../src/core/classify.ts';
import { makeVerdict } from '../src/core/verdict.ts';

test.describe('error paths', () => {
  for (const errorCase of ERROR_PATH_CASES) {
    test(
      errorCase.title,
      async (
        { target, machine, install, driverUnderTest, errorPathStopTimeoutMs, verdict },
        testInfo,
      ) => {
        const platform = (await target.info()).wineVersion ? 'lab' : 'windows';
        const expected = errorCase[platform];
        const driver = toInstallRequest(driverUnderTest).name;
        const loaded: ServiceRef[] = [];
        const track = async (ref: Promise<ServiceRef>) => {
          const r = await ref;
          loaded.push(r);
          return r;
        };
        const stagingRef = { current: '' };
        const ctx: CaseContext = {
          target,
          imageUnderTest: await readImage(driverUnderTest.imagePath),
          stopTimeoutMs: errorPathStopTimeoutMs,
          installBytes: (fileName, bytes, name) => track(install({ bytes, fileName, name })),
          installSample: (sample) =>
            track(install({ hostImage: sampleDriver(sample), name: `dc_ep_${sample}` })),
          installMissing: async (name) => {
            stagingRef.current ||= await target.stageImage(
              'present.sys',
              new Uint8Array([0x4d, 0x5a]),
            );
            const imagePath = stagingRef.current.replace(/present\.sys$/, 'missing.sys');
            return track(target.installDriver({ name, imagePath }));
          },
        };

        const mark = machine.debugMark();
        const observed = withCrashEvidence(
          await errorCase.run(ctx),
          crashLines(machine.debugOutput(mark)),
          !(await machine.healthy()),
        );
        const problems: string[] = [];
        if (!matches(expected, observed))
          problems.push(
            `expected ${describeExpectation(expected)} (${platform}), got ${describeObservation(observed)}`,
          );

        // Leave the machine as we found it: recover what the case left loaded or hung, remove the rest.
        const dirty =
          errorCase.leavesDirty[platform] ||
          observed.outcome === 'crash' ||
          observed.outcome === 'timeout';
        if (dirty) await machine.recover(`error path "${errorCase.title}"`);
        else
          for (const ref of loaded)
            await target
              .remove(ref, { timeoutMs: 10_000 })
              .catch((e: Error) => problems.push(`removing ${ref.name}: ${e.message}`));
        const leftovers = await target.listOwned();
        if (leftovers.length > 0)
          problems.push(
            `services left behind: ${leftovers.map((s) => `${s.name} (${s.state})`).join(', ')}`,
          );

        // Nothing leaked: the lab's pool trace shows what the case's drivers still hold.
        const leaks: Record<string, number> = {};
        if (machine.poolTrace && !dirty) {
          const debug = machine.debugOutput(mark);
          for (const ref of loaded) {
            const last = poolTraceSignal(debug, ref.config.binaryPath).series.at(-1);
            if (last && last.value > 0) leaks[ref.name] = last.value;
          }
          for (const [name, bytes] of Object.entries(leaks))
            problems.push(`${name} left ${bytes} pool bytes allocated`);
        }

        // The clean driver still loads afterwards.
        const clean = await install({
          hostImage: sampleDriver('clean'),
          name: 'dc_ep_clean_after',
        });
        await target.start(clean);
        await target.stop(clean);
        await target.remove(clean);

        const evidence = { platform, expected, observed, dirty, leftovers, leaks };
        await testInfo.attach('error-path.json', {
          body: JSON.stringify(evidence, null, 2),
          contentType: 'application/json',
        });
        verdict.conclude(
          problems.length > 0
            ? makeVerdict({
                kind: 'error-path-mismatch',
                driver,
                scenario: `error paths › ${errorCase.id}`,
                detail: `${errorCase.title}: ${problems.join('; ')}`,
                evidence,
              })
            : makeVerdict({
                kind: 'pass',
                driver,
                scenario: `error paths › ${errorCase.id}`,
                detail: `${errorCase.title}: ${describeObservation(observed)}`,
                evidence,
              }),
        );
      },
    );
  }
});
