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
import { WinePoolTrace } from '../core/wine-pool-trace.ts';

/** A driver image's pool trace in `debugOutput`, its last load's unload done. */
function poolTraceOf(debugOutput: string, binaryPath: string): WinePoolTrace {
  const trace = new WinePoolTrace(binaryPath);
  trace.feedText(debugOutput);
  trace.unloadDone(trace.cycles);
  return trace;
}

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
      // The driver under test's own image is hosted as in its cycles (on the lab, the kept
      // host, one process as Windows' System process is), so its pool is judged the same way.
      installBytes: async (fileName, bytes, name) =>
        track(ctx.install({ bytes, fileName }, { name, ...(await driverHostOptions(machine)) })),
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
  // Pool a driver still holds after the case is judged by the leak spec's rule: a leak only once
  // the next load and unload did not free it (a late free, one load late, is not a leak).
  const confirmations: Record<string, string> = {};
  /** Per driver confirmed, how many loads the case itself made. */
  const caseLoads: Record<string, number> = {};
  if (machine.poolTrace && !dirty)
    for (const driver of loaded) {
      const bound = { timeoutMs: ctx.stopTimeoutMs };
      // A case that ends with its driver running (a second start) has it unloaded first.
      const unloaded = await target.query(driver).then(
        (status) =>
          status.stateName === 'STOPPED' ||
          target.stop(driver, bound).then(
            () => true,
            () => false,
          ),
        () => false,
      );
      if (!unloaded) continue;
      const trace = poolTraceOf(machine.debugOutput(mark), driver.binaryPath);
      if (trace.leakCycle !== undefined || trace.madeByLastCycle() === 0) continue;
      caseLoads[driver.name] = trace.cycles;
      confirmations[driver.name] = await target
        .start(driver, bound)
        .then(() => target.stop(driver, bound))
        .then(
          () => 'loaded and unloaded once more',
          (error: Error) => `not run: ${error.message.split('\n')[0]}`,
        );
    }
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

  // Nothing leaked: the lab's pool trace shows what the case's drivers still hold, and whether
  // it outlived a further load and unload. Held but not proven leaked is evidence, not a verdict.
  const leaks: Record<string, number> = {};
  const heldUnconfirmed: Record<string, { bytes: number; confirmation: string }> = {};
  if (machine.poolTrace && !dirty) {
    const debug = machine.debugOutput(mark);
    for (const driver of loaded) {
      const trace = poolTraceOf(debug, driver.binaryPath);
      const held = trace.leftAllocated();
      if (held.count === 0) continue;
      // The case's own allocations, not the confirmation's.
      const caseCycles = caseLoads[driver.name] ?? trace.cycles;
      const fromCase = held.allocations().listed.filter((a) => a.cycle <= caseCycles);
      if (trace.leakCycle !== undefined)
        leaks[driver.name] = fromCase.reduce((sum, a) => sum + a.size, 0) || held.bytes;
      else
        heldUnconfirmed[driver.name] = {
          bytes: held.bytes,
          confirmation: confirmations[driver.name] ?? 'not run',
        };
    }
    for (const [name, bytes] of Object.entries(leaks))
      problems.push(
        `${name} left ${bytes} pool bytes allocated that a further load and unload did not free`,
      );
  }

  // The clean driver still loads afterwards.
  const clean = await ctx.install({ file: sampleDriver('clean') }, { name: 'dc_ep_clean_after' });
  await target.start(clean);
  await target.stop(clean);
  await target.uninstall(clean);

  const evidence = {
    platform,
    expected,
    observed,
    dirty,
    machineLost: lost,
    leftovers,
    leaks,
    ...(Object.keys(heldUnconfirmed).length > 0
      ? { poolHeldNotProvenLeaked: heldUnconfirmed }
      : {}),
  };
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
