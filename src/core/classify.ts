/**
 * Who is to blame for a failed cycle: the attribution rules, pure (the evidence comes in, a verdict
 * goes out). A driver verdict (crash, hang, load or unload failure) needs evidence that the driver
 * caused it: its status from the SCM, its host dying with an exception, a bugcheck. The machine or
 * the lab failing for reasons outside the driver is `environment`, with that evidence; drvcycle's
 * own failures (a request the agent refused, an exception in the runner) are `error`.
 */
import {
  AgentRequestError,
  ConfigError,
  DrvcycleError,
  ErrorCodes,
  ForeignServiceError,
  reviveError,
  ScmError,
  ScmTimeoutError,
  UnexpectedStateError,
} from './errors.ts';
import { wineDriverUnloadSet } from './wine-driver-unload.ts';
import { formatNtstatus, wineLoadStatus } from './ntstatus.ts';
import type { CycleRecord, SystemSample } from './records.ts';
import { describeTagGrowth, poolTagGrowth, type TaggedSample } from './pool-tag-growth.ts';
import { makeVerdict, type Phase, type Verdict } from './verdict.ts';
import { classifyIoFailure } from './io-verdict.ts';

/** Wine prints this when a process (the driver host) dies of an unhandled exception. */
const WINE_CRASH =
  /^(?:[0-9a-f]{4}:[0-9a-f]{4}:)?wine: Unhandled (?:page fault|exception|illegal instruction|stack overflow|privileged instruction|divide by zero)[^\n]*/im;
const WINE_CRASH_ALL = new RegExp(WINE_CRASH.source, 'gim');

export function crashLines(debugOutput: string): string[] {
  return [...debugOutput.matchAll(WINE_CRASH_ALL)].map((m) => m[0].trim());
}

/** What is known of the machine after a failed cycle. */
export interface MachineEvidence {
  /** It stopped answering (agent gone, bugcheck, wineserver dead). */
  readonly lost: boolean;
  /** How the agent process ended, where the runner knows it (a lab machine's agent). */
  readonly agentExit?: string | undefined;
  /** Evidence of a crash found after the fact: crash dumps, bugcheck and unexpected-reboot events. */
  readonly crashEvidence?: readonly string[] | undefined;
  /** The run was stopped (Ctrl+C, a killed runner, a test timeout). */
  readonly interrupted?: boolean | undefined;
}

export interface CycleFailureEvidence {
  readonly driver: string;
  readonly scenario: string;
  readonly record: CycleRecord;
  /** The machine's debug output since the test began (Wine channels, a serial console). */
  readonly debugOutput?: string;
  readonly machine?: MachineEvidence;
  /**
   * Pool tags before the first load and in the last sample before the failed cycle: which tags a
   * Verifier bugcheck's unfreed allocations were in.
   */
  readonly poolTags?: {
    readonly baseline: SystemSample['poolTags'];
    readonly last: TaggedSample | undefined;
  };
}

/** Errors that are drvcycle's own: a request the agent refused, a setting, an internal failure. */
export function isDrvcycleFault(error: unknown): boolean {
  return (
    error instanceof AgentRequestError ||
    error instanceof ConfigError ||
    (error instanceof DrvcycleError &&
      (error.code === ErrorCodes.AGENT_INTERNAL ||
        error.code === ErrorCodes.CONFIG ||
        // the run is set up against the wrong agent or certificate
        error.code === ErrorCodes.AGENT_TLS))
  );
}

/** ERROR_SUCCESS_REBOOT_REQUIRED and _RESTART_: a PnP change that waits for a reboot. */
const REBOOT_CODES = new Set([3010, 3011]);

export function classifyCycleFailure(evidence: CycleFailureEvidence): Verdict {
  const { record, driver, scenario } = evidence;
  const machine = evidence.machine ?? { lost: false };
  const phase: Phase =
    record.outcome === 'start-failed' ? 'load' : record.outcome === 'io-failed' ? 'io' : 'unload';
  const error = record.error ? reviveError(record.error) : undefined;
  const scm = error instanceof ScmError ? error : undefined;
  const codes = {
    win32Code: scm?.win32Code,
    win32Name: scm?.win32Name,
    state: record.state,
    operation: scm?.operation ?? (error as { operation?: string } | undefined)?.operation,
    errorCode: error?.code,
  };
  const base = { driver, scenario, cycle: record.cycle, phase };
  const crashes = [...crashLines(evidence.debugOutput ?? ''), ...(machine.crashEvidence ?? [])];
  const what = error?.problem ?? 'no error detail';
  if (record.outcome === 'io-failed' && record.ioFailure && !machine.interrupted && !machine.lost)
    return classifyIoFailure({
      driver,
      scenario,
      cycle: record.cycle,
      failure: record.ioFailure,
      ...(record.ioCloseHang ? { closeHang: record.ioCloseHang } : {}),
      crashLines: crashes,
      state: record.state,
    });

  if (machine.interrupted)
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: `interrupted: the run was stopped during cycle ${record.cycle} (last state ${record.state})`,
      evidence: { ...codes, cause: 'interrupted' },
    });
  if (isDrvcycleFault(error))
    return makeVerdict({
      ...base,
      kind: 'error',
      detail: `drvcycle failed, not the driver: ${what}`,
      evidence: { ...codes, cause: 'drvcycle', message: error?.message },
    });
  if (machine.lost || error?.code === ErrorCodes.AGENT_UNREACHABLE) {
    const leaked = verifierPoolLeak(crashes);
    if (leaked) {
      const tags = evidence.poolTags?.last;
      const grown = tags ? poolTagGrowth(evidence.poolTags?.baseline, tags.poolTags) : [];
      return makeVerdict({
        ...base,
        kind: 'leak',
        detail: `Driver Verifier stopped the machine as the driver unloaded with ${leaked.allocations} pool allocation${leaked.allocations === 1 ? '' : 's'} not freed (bugcheck 0xC4, parameter 1 0x62)${grown.length > 0 ? `; pool tags grown since the baseline by cycle ${tags!.cycle}: ${describeTagGrowth(grown)}` : ''}`,
        evidence: {
          ...codes,
          signal: 'verifier-bugcheck',
          leakedAllocations: leaked.allocations,
          crashLines: crashes,
          ...(tags ? { grownPoolTags: grown, poolTagSampleCycle: tags.cycle } : {}),
        },
      });
    }
    if (crashes.length > 0)
      return makeVerdict({
        ...base,
        kind: 'crash',
        detail: `the machine stopped answering and it crashed: ${crashes[0]} (last state ${record.state})`,
        evidence: { ...codes, crashLines: crashes },
      });
    const agent = machine.agentExit ? `the agent ${machine.agentExit}` : 'no answer';
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: `the machine stopped answering (${agent}; ${what}) with no evidence that the driver crashed it: no crash line, dump or bugcheck event (last state ${record.state})`,
      evidence: { ...codes, cause: 'machine-lost', agentExit: machine.agentExit },
    });
  }
  if (crashes.length > 0)
    return makeVerdict({
      ...base,
      kind: 'crash',
      detail:
        `the driver host died: ${crashes[0]} (${codes.operation ?? 'SCM'} returned ${scm?.win32Code ?? '-'} ${scm?.win32Name ?? ''}, state ${record.state})`.replace(
          / +\)/,
          ')',
        ),
      evidence: { ...codes, crashLines: crashes },
    });
  if (error instanceof ScmTimeoutError)
    return makeVerdict({
      ...base,
      kind: 'hang',
      detail: `still ${record.state} after ${Math.round(error.elapsedMs)} ms (bound ${error.boundMs} ms)`,
      evidence: { ...codes, elapsedMs: error.elapsedMs, boundMs: error.boundMs },
    });
  if (error instanceof ForeignServiceError)
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: `a service drvcycle does not own is in the way: ${what}`,
      evidence: { ...codes, cause: 'foreign-service' },
    });
  if (error instanceof UnexpectedStateError && imageLeftAfterLastDevice(error))
    return makeVerdict({
      ...base,
      kind: 'unload-failure',
      detail: `the driver image stayed loaded after its last device went (the service is ${record.state} after ${error.operation}; Windows unloads a PnP driver with its last device): it holds a reference on its driver object or a device object, or has no DriverUnload, a leak of the driver object`,
      evidence: { ...codes, cause: 'driver-object-leak' },
    });
  if (error instanceof ScmError && REBOOT_CODES.has(error.win32Code ?? 0))
    return makeVerdict({
      ...base,
      kind: phase === 'load' ? 'load-failure' : 'unload-failure',
      detail: `${what}: the driver ${phase === 'load' ? 'was installed' : 'was removed'} only for the next ${error.win32Code === 3011 ? 'restart' : 'reboot'} (SetupAPI asked for one), so it cannot be ${phase === 'load' ? 'loaded' : 'unloaded'} without one`,
      evidence: { ...codes, cause: 'reboot-required' },
    });
  // No DriverUnload: Windows refuses the stop (1052); Wine takes it and leaves the driver RUNNING.
  if (
    phase === 'unload' &&
    ((error instanceof ScmError && error.win32Code === 1052) ||
      (error instanceof UnexpectedStateError &&
        record.state === 'RUNNING' &&
        wineDriverUnloadSet(evidence.debugOutput ?? '', error.service) === false))
  )
    return makeVerdict({
      ...base,
      kind: 'unload-failure',
      detail: `the driver set no DriverUnload, so it can never be unloaded (${
        error instanceof ScmError
          ? `${what}: Windows refuses to stop a driver without one`
          : `the lab's trace shows DriverUnload = 0; ${error.operation} reported success and the service stayed ${record.state}; Windows refuses the stop with 1052 ERROR_INVALID_SERVICE_CONTROL`
      })`,
      evidence: { ...codes, cause: 'no-driver-unload' },
    });
  if (error instanceof ScmError || error instanceof UnexpectedStateError) {
    // StartService's Win32 code is a lossy translation of what DriverEntry returned; the lab
    // logs the exact NTSTATUS.
    const ntstatus =
      phase === 'load'
        ? (scm?.ntstatus ?? wineLoadStatus(evidence.debugOutput ?? '', scm?.service ?? driver))
        : undefined;
    return makeVerdict({
      ...base,
      kind: phase === 'load' ? 'load-failure' : 'unload-failure',
      detail:
        error instanceof UnexpectedStateError
          ? `${error.operation} reported success but the service is ${record.state}, not ${error.expected}`
          : `${what}${ntstatus !== undefined ? ` (DriverEntry returned ${formatNtstatus(ntstatus)})` : ''}`,
      evidence: {
        ...codes,
        ...(ntstatus !== undefined ? { ntstatus: formatNtstatus(ntstatus) } : {}),
      },
    });
  }
  return makeVerdict({
    ...base,
    kind: 'error',
    detail: `drvcycle cannot attribute this failure: ${what}`,
    evidence: { ...codes, cause: 'unclassified', message: error?.message },
  });
}

/**
 * Driver Verifier's pool tracking stops a leaking driver at unload: bugcheck 0xC4 with parameter 1
 * 0x62, parameter 4 the number of allocations not freed (parameters 2 and 3 are addresses: the
 * driver's name and Verifier's entry for it, so the leaked bytes are not in the bugcheck). On
 * Windows with Verifier a leak arrives as this bugcheck, not as a growing series. Read from a
 * crash dump's header or a WER 1001 event, as the event decoders print them.
 */
export function verifierPoolLeak(evidence: readonly string[]): { allocations: number } | undefined {
  for (const line of evidence) {
    const match =
      /bugcheck 0xC4\b[^(]*\(0x62, 0x[0-9A-F]+, 0x[0-9A-F]+, 0x([0-9A-F]+)\)/i.exec(line) ??
      /0x0*c4 \(0x0*62, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x([0-9a-f]+)\)/i.exec(line);
    if (match) return { allocations: parseInt(match[1]!, 16) };
  }
  return undefined;
}

/** A cycle the lab failed, not the driver: re-run on a fresh machine, counted, never a verdict. */
export interface LabFlake {
  readonly cycle: number;
  /** The Win32 code the failed call returned, where it returned one. */
  readonly win32Code?: number;
  readonly why: string;
}

/**
 * Wine 8 starts a fresh winedevice.exe host for every start of a driver with no load-order group.
 * When that process dies at the Unix level before Wine's start-up completes, NtCreateUserProcess
 * reports STATUS_INTERNAL_ERROR and StartService fails with 1359 ERROR_INTERNAL_ERROR, the driver
 * never having run (ntdll/unix/process.c, programs/services/services.c at wine-8.0). A driver that
 * returns a status mapping to 1359 from DriverEntry leaves Wine's `ZwLoadDriver failed` line for
 * its service; without that line, and without a crash, the failure is the lab's.
 */
export function labHostSpawnFailure(
  record: CycleRecord,
  debugOutput: string,
  service: string,
): LabFlake | undefined {
  if (record.outcome !== 'start-failed' || !record.error) return undefined;
  const error = reviveError(record.error);
  if (
    !(error instanceof ScmError) ||
    error.win32Code !== 1359 ||
    error.operation !== 'StartService'
  )
    return undefined;
  if (wineLoadStatus(debugOutput, service) !== undefined || crashLines(debugOutput).length > 0)
    return undefined;
  const mapping = /[^\n]*failed to map the shared user data[^\n]*/.exec(debugOutput)?.[0].trim();
  return {
    cycle: record.cycle,
    win32Code: 1359,
    why: `StartService 1359 ERROR_INTERNAL_ERROR with no DriverEntry status logged: the driver host process did not start${mapping ? ` (${mapping})` : ''}`,
  };
}

/**
 * Wine 8's winedevice.exe reports itself RUNNING before its main loop has created the PnP
 * manager (programs/winedevice/device.c ServiceMain, dlls/ntoskrnl.exe/pnp.c pnp_manager_start at
 * wine-8.0). The first start of a PnP driver in a fresh host can enumerate the driver's root
 * device before that, and the manager's own device creation faults on the NULL driver object:
 *   0140:0148:trace:ntoskrnl:IoCreateDevice (0000000000000000, 424, <null>, 4, 80, 0, …)
 *   wine: Unhandled page fault on read access to 0000000000000008 at address … (thread 0148), …
 * (FILE_DEVICE_CONTROLLER, FILE_AUTOGENERATED_DEVICE_NAME: the root device Wine creates, not the
 * driver's FDO), with no `IoCreateDriver (L"\Driver\PnpManager"` yet in that process. Wine's
 * race, not the driver's; a host kept alive by the keeper never meets it.
 */
export function winePnpManagerRace(record: CycleRecord, debugOutput: string): LabFlake | undefined {
  if (record.outcome !== 'start-failed') return undefined;
  const lines = debugOutput.split('\n');
  const crashAt = lines.findIndex((line) =>
    /Unhandled page fault on read access to 0+8 at address [0-9a-f]+ \(thread [0-9a-f]+\)/i.test(
      line,
    ),
  );
  if (crashAt < 0) return undefined;
  const thread = /\(thread ([0-9a-f]+)\)/i.exec(lines[crashAt]!)![1]!.toLowerCase();
  const before = lines.slice(0, crashAt);
  const ofThread = before.filter((line) =>
    line.toLowerCase().includes(`:${thread}:trace:ntoskrnl:`),
  );
  const lastCreate = ofThread.filter((line) => line.includes(':IoCreateDevice (')).at(-1);
  if (!lastCreate || !/:IoCreateDevice \(0+, \d+, <null>, 4, 80, /.test(lastCreate))
    return undefined;
  const pid = lastCreate.split(':')[0]!;
  const managerCreated = before.some(
    (line) =>
      line.startsWith(`${pid}:`) && line.includes('IoCreateDriver (L"\\\\Driver\\\\PnpManager"'),
  );
  if (managerCreated) return undefined;
  return {
    cycle: record.cycle,
    why: `Wine's PnP manager did not exist yet in the fresh driver host (process ${pid}) when it enumerated the driver's device: IoCreateDevice on a NULL driver object faulted inside Wine (${lines[crashAt]!.trim()})`,
  };
}

/** The lab's own failures a cycle can meet: re-run on a fresh machine, never the driver's verdict. */
export function labFlakeOf(
  record: CycleRecord,
  debugOutput: string,
  service: string,
): LabFlake | undefined {
  return (
    labHostSpawnFailure(record, debugOutput, service) ?? winePnpManagerRace(record, debugOutput)
  );
}

/**
 * A batch that ended with fewer cycles than asked and no failed cycle: the target ended it
 * between cycles because it was cancelled (another client's cancel request, the service
 * uninstalled or taken over by another worker or run). Fewer cycles than asked is never a pass,
 * and nothing here points at the driver: `environment`, with the counts and what was seen after.
 */
export function verdictForCutShortBatch(input: {
  driver: string;
  scenario: string;
  /** Cycles the plan asked for (or, for a soak, the batch that came back short). */
  asked: number;
  ran: number;
  /** What the service looked like once the batch had ended (its state, or why it is gone). */
  serviceAfter: string;
}): Verdict {
  const { asked, ran } = input;
  return makeVerdict({
    driver: input.driver,
    scenario: input.scenario,
    kind: 'environment',
    detail: `${ran} of ${asked} cycles ran: the batch ended early with no failed cycle, so it was cancelled from outside this test (another client's cancel request, or the service removed or cycled by another worker or run; ${input.serviceAfter}); nothing points at the driver`,
    evidence: {
      cause: 'batch-cut-short',
      cyclesAsked: asked,
      cyclesRan: ran,
      serviceAfter: input.serviceAfter,
    },
  });
}

/**
 * A test that ended without recording a verdict: interrupted is `environment`; anything else is
 * drvcycle's own failure (`error`), never silently the machine's or the driver's.
 */
export function verdictForUnrecorded(input: {
  driver: string;
  scenario: string;
  status: string;
  title: string;
  message: string | undefined;
}): Verdict {
  const base = { driver: input.driver, scenario: input.scenario };
  if (input.status === 'passed')
    return makeVerdict({ ...base, kind: 'pass', detail: input.title, evidence: {} });
  if (input.status === 'interrupted')
    return makeVerdict({
      ...base,
      kind: 'environment',
      detail: 'interrupted: the run was stopped before this test finished',
      evidence: { cause: 'interrupted' },
    });
  const first = (input.message ?? input.status).split('\n')[0]!;
  return makeVerdict({
    ...base,
    kind: 'error',
    detail: `${input.status === 'timedOut' ? 'the test ran out of time' : 'drvcycle failed'}: ${first}`,
    evidence: { cause: input.status === 'timedOut' ? 'test-timeout' : 'exception', message: first },
  });
}

/**
 * Windows unloads a PnP driver with its last device (src/windows/pnp/pnp-unload.ts): a service
 * not STOPPED once its devices were removed or disabled is the driver's image left loaded.
 */
function imageLeftAfterLastDevice(error: UnexpectedStateError): boolean {
  return (
    (error.operation === 'SetupDiCallClassInstaller(DIF_REMOVE)' ||
      error.operation === 'CM_Disable_DevNode') &&
    error.expected === 'STOPPED' &&
    error.state !== 'STOPPED'
  );
}
