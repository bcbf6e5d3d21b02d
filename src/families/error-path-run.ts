/**
 * Runs one case of the error-path catalog on a machine and judges it: the exact outcome the
 * platform should give, the service database left clean, no pool left allocated by the case's
 * drivers (lab), and the clean sample driver still loading afterwards.
 */
import { crashLines } from '../core/classify.ts';
import { scenarioOf } from '../core/spec-families.ts';
import { sampleDriver } from '../core/paths.ts';
import { makeVerdict, type Verdict } from '../core/verdict.ts';
import { driverHostOptions, testLeftovers, type Machine } from '../machines/machine.ts';
import type { DriverImage, InstalledDriver, InstallOptions, Target } from '../target/types.ts';
import {
  describeExpectation,
  describeObservation,
  leftoverProblems,
  matches,
  withCrashEvidence,
  type ErrorPathCase,
} from './error-paths.ts';
import { poolTraceSeries } from '../collector/memory-signals.ts';

export interface ErrorPathRunContext {
  readonly target: Target;
  readonly machine: Machine;
  /** Installs a driver that is uninstalled when the test ends. */
  install(image: DriverImage, options: InstallOptions): Promise<InstalledDriver>;
  /** The driver under test: its service name (the verdict's subject) and image bytes. */
  readonly driverName: string;
  readonly imageUnderTest: Uint8Array;
  readonly stopTimeoutMs: number;
}

export interface ErrorPathResult {
  readonly verdict: Verdict;
  readonly evidence: Record<string, unknown>;
}

export async function runErrorPathCase(
  ctx: ErrorPathRunContext,
  errorCase: ErrorPathCase,
): Promise<ErrorPathResult> {
  const { target, machine } = ctx;
  const info = await target.info();
  const platform = info.wineVersion ? 'lab' : 'windows';
  const expected = errorCase[platform];
  const loaded: InstalledDriver[] = [];
  const track = async (installing: Promise<InstalledDriver>) => {
    const driver = await installing;
    loaded.push(driver);
    return driver;
  };
  const mark = machine.debugMark();
  const observed = withCrashEvidence(
    await errorCase.run({
      target,
      imageUnderTest: ctx.imageUnderTest,
      stopTimeoutMs: ctx.stopTimeoutMs,
      installBytes: (fileName, bytes, name) => track(ctx.install({ bytes, fileName }, { name })),
      installSample: (sample) =>
        track(ctx.install({ file: sampleDriver(sample) }, { name: `dc_ep_${sample}` })),
      installPnp: async (fileName, bytes, name, inf) =>
        track(
          ctx.install(
            { bytes, fileName },
            { name, pnp: true, ...(await driverHostOptions(machine)), ...(inf ? { inf } : {}) },
          ),
        ),
      installMissing: async (name) => {
        const binaryPath = `${info.stagingDir}\\missing\\missing.sys`;
        return track(ctx.install({ binaryPath }, { name }));
      },
    }),
    crashLines(machine.debugOutput(mark)),
    !(await machine.healthy()),
  );
  const problems: string[] = [];
  if (!matches(expected, observed))
    problems.push(
      `expected ${describeExpectation(expected)} (${platform}), got ${describeObservation(observed)}`,
    );

  // The service database is checked before anything is reverted: a revert would make it pass.
  const lost = !(await machine.healthy());
  // An unexpected crash or hang leaves the machine in no state to trust either.
  const dirty =
    errorCase.leavesDirty[platform] ||
    (observed.outcome !== expected.outcome &&
      (observed.outcome === 'crash' || observed.outcome === 'timeout'));
  const own = new Set(loaded.map((d) => d.name));
  if (!dirty)
    for (const driver of loaded)
      await target
        .uninstall(driver, { timeoutMs: 10_000 })
        .catch((e: Error) => problems.push(`removing ${driver.name}: ${e.message}`));
  const leftovers = lost ? [] : testLeftovers(await target.listOwned());
  if (!lost)
    problems.push(
      ...leftoverProblems(leftovers, own, dirty ? errorCase.leftBehind?.[platform] : undefined),
    );
  if (dirty) await machine.recover(`error path "${errorCase.title}"`);

  // Nothing leaked: the lab's pool trace shows what the case's drivers still hold.
  const leaks: Record<string, number> = {};
  if (machine.poolTrace && !dirty) {
    const debug = machine.debugOutput(mark);
    for (const driver of loaded) {
      const last = poolTraceSeries(debug, driver.binaryPath).at(-1);
      if (last && last.value > 0) leaks[driver.name] = last.value;
    }
    for (const [name, bytes] of Object.entries(leaks))
      problems.push(`${name} left ${bytes} pool bytes allocated`);
  }

  // The clean driver still loads afterwards.
  const clean = await ctx.install({ file: sampleDriver('clean') }, { name: 'dc_ep_clean_after' });
  await target.start(clean);
  await target.stop(clean);
  await target.uninstall(clean);

  const evidence = { platform, expected, observed, dirty, machineLost: lost, leftovers, leaks };
  const scenario = scenarioOf(
    errorCase.family === 'self-check' ? 'self-check' : 'error-paths',
    errorCase.id,
  );
  // A self-check blames (or clears) its sample driver, never the driver under test.
  const driver =
    errorCase.family === 'self-check' ? (loaded[0]?.name ?? errorCase.id) : ctx.driverName;
  const verdict =
    problems.length > 0
      ? makeVerdict({
          kind: 'error-path-mismatch',
          driver,
          scenario,
          detail: `${errorCase.title}: ${problems.join('; ')}`,
          evidence,
        })
      : makeVerdict({
          kind: 'pass',
          driver,
          scenario,
          detail: `${errorCase.title}: ${describeObservation(observed)}`,
          evidence,
        });
  return { verdict, evidence };
}
