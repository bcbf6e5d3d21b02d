/** Readable lines for the events that matter to a driver test, and which of them signal trouble. */
import { describeWin32Error } from '../../core/win32-codes.ts';
import { formatNtstatus } from '../../core/ntstatus.ts';
import { bugCheckName } from '../nt/crash-dump.ts';
import { problemName } from '../../core/cm-problems.ts';
import type { WindowsEvent } from './event-xml.ts';

export const SCM_PROVIDER = 'Service Control Manager';
export const WER_PROVIDER = 'Microsoft-Windows-WER-SystemErrorReporting';
export const KERNEL_POWER_PROVIDER = 'Microsoft-Windows-Kernel-Power';
export const KERNEL_PNP_PROVIDER = 'Microsoft-Windows-Kernel-PnP';
export const CODE_INTEGRITY_PROVIDER = 'Microsoft-Windows-CodeIntegrity';

export interface DecodedEvent {
  readonly time: string;
  readonly source: string;
  readonly id: number;
  readonly line: string;
  /** Evidence of a failure (a crash, a failed start, a blocked image). */
  readonly trouble: boolean;
  /** The service, driver or file the event is about, where it names one. */
  readonly subject?: string;
}

/** "%%1450" (an insertion string naming a Win32 message) → "1450 ERROR_NO_SYSTEM_RESOURCES". */
export function win32Insertion(value: string | undefined): string {
  const match = /^%%(\d+)$/.exec(value ?? '');
  if (!match) return value ?? '?';
  const code = Number(match[1]);
  return `${code} ${describeWin32Error(code).name}`;
}

const p = (e: WindowsEvent, ...keys: string[]) =>
  keys.map((k) => e.data[k]).find((v) => v !== undefined) ?? '?';

type Decoder = (e: WindowsEvent) => { line: string; trouble: boolean; subject?: string };

/** A decimal NTSTATUS (as Kernel-PnP writes it) as ` (status 0xC0000182 STATUS_…)`. */
function statusOf(value: string | undefined): string {
  if (value === undefined || !/^-?\d+$/.test(value)) return value ? ` (status ${value})` : '';
  return ` (status ${formatNtstatus(Number(value))})`;
}

const hex = (value: string | undefined) => {
  const number = value === undefined ? NaN : Number(value);
  return Number.isFinite(number) ? number >>> 0 : 0;
};

/** Kernel-PnP 410 and 411: the device started, or with a problem code and an NTSTATUS. */
function deviceStart(e: WindowsEvent, what: string): ReturnType<Decoder> {
  const problem = hex(e.data.Problem);
  const status = hex(e.data.Status);
  return {
    line: `device ${p(e, 'DeviceInstanceId')} ${what} (service ${p(e, 'ServiceName')}, ${p(e, 'DriverName')})${
      problem ? `: problem ${problem} ${problemName(problem)}` : ''
    }${status ? `, status ${formatNtstatus(status)}` : ''}`,
    trouble: problem !== 0 || status !== 0,
    subject: p(e, 'ServiceName'),
  };
}

const DECODERS: Record<string, Record<number, Decoder>> = {
  [SCM_PROVIDER]: {
    7000: (e) => ({
      line: `service ${p(e, 'param1')} failed to start: ${win32Insertion(e.data.param2)}`,
      trouble: true,
      subject: p(e, 'param1'),
    }),
    7009: (e) => ({
      line: `timed out (${p(e, 'param1')} ms) waiting for service ${p(e, 'param2')} to connect`,
      trouble: true,
      subject: p(e, 'param2'),
    }),
    7011: (e) => ({
      line: `timed out (${p(e, 'param1')} ms) waiting for a transaction response from service ${p(e, 'param2')}`,
      trouble: true,
      subject: p(e, 'param2'),
    }),
    7022: (e) => ({ line: `service ${p(e, 'param1')} hung on starting`, trouble: true }),
    7023: (e) => ({
      line: `service ${p(e, 'param1')} terminated with error ${win32Insertion(e.data.param2)}`,
      trouble: true,
      subject: p(e, 'param1'),
    }),
    7026: (e) => ({
      line: `boot-start or system-start driver(s) failed to load: ${p(e, 'param1')}`,
      trouble: true,
    }),
    7031: (e) => ({
      line: `service ${p(e, 'param1')} terminated unexpectedly (${p(e, 'param2')} time(s))`,
      trouble: true,
      subject: p(e, 'param1'),
    }),
    7034: (e) => ({
      line: `service ${p(e, 'param1')} terminated unexpectedly (${p(e, 'param2')} time(s))`,
      trouble: true,
      subject: p(e, 'param1'),
    }),
    7036: (e) => ({
      line: `service ${p(e, 'param1')} entered the ${p(e, 'param2')} state`,
      trouble: false,
      subject: p(e, 'param1'),
    }),
    7045: (e) => ({
      line: `service ${p(e, 'ServiceName', 'param1')} installed: ${p(e, 'ImagePath', 'param2')} (${p(e, 'ServiceType', 'param3')}, ${p(e, 'StartType', 'param4')})`,
      trouble: false,
    }),
  },
  [WER_PROVIDER]: {
    1001: (e) => ({
      line: `the computer rebooted from a bugcheck: ${p(e, 'param1')}; dump ${p(e, 'param2')}`,
      trouble: true,
    }),
  },
  [KERNEL_POWER_PROVIDER]: {
    41: (e) => {
      const code = Number(e.data.BugcheckCode ?? 0);
      return {
        line: `the system rebooted without cleanly shutting down${code ? `: bugcheck 0x${code.toString(16).toUpperCase()} ${bugCheckName(code)} (parameter 1 ${e.data.BugcheckParameter1 ?? '?'})` : ''}`,
        trouble: true,
      };
    },
  },
  [KERNEL_PNP_PROVIDER]: {
    // In the real event, DriverName holds the device instance (ROOT\…\0000), FailureName the
    // driver (\Driver\…), and Status a decimal NTSTATUS.
    219: (e) => ({
      line: `the driver ${p(e, 'FailureName')} failed to load for device ${p(e, 'DriverName')}${statusOf(e.data.Status)}`,
      trouble: true,
      subject: p(e, 'FailureName'),
    }),
    // Microsoft-Windows-Kernel-PnP/Configuration: a PnP driver's device, cycle by cycle. Problem
    // and Status are hexadecimal there ("0xA", "0xC0000182"); DriverName is the INF's name.
    400: (e) => ({
      line: `device ${p(e, 'DeviceInstanceId')} was configured from ${p(e, 'DriverName')} (${p(e, 'DriverSection')})`,
      trouble: false,
      subject: p(e, 'DeviceInstanceId'),
    }),
    410: (e) => deviceStart(e, 'was started'),
    411: (e) => deviceStart(e, 'had a problem starting'),
    420: (e) => ({
      line: `device ${p(e, 'DeviceInstanceId')} was deleted`,
      trouble: false,
      subject: p(e, 'DeviceInstanceId'),
    }),
    430: (e) => ({
      line: `device ${p(e, 'DeviceInstanceId')} requires further installation (no driver was installed on it)`,
      trouble: true,
      subject: p(e, 'DeviceInstanceId'),
    }),
  },
  [CODE_INTEGRITY_PROVIDER]: {
    // 3001 reports an unsigned module that was loaded anyway (test signing, say), not a block.
    3001: (e) => ({
      line: `code integrity: an unsigned kernel module was loaded (not blocked): ${p(e, 'FileNameBuffer', 'File Name', 'param1')}`,
      trouble: false,
      subject: p(e, 'FileNameBuffer', 'File Name', 'param1'),
    }),
    3002: (e) => ({
      line: `code integrity could not verify the image hash of ${p(e, 'FileNameBuffer', 'File Name', 'param1')}`,
      trouble: true,
      subject: p(e, 'FileNameBuffer', 'File Name', 'param1'),
    }),
    3004: (e) => ({
      line: `code integrity: invalid image hash for ${p(e, 'FileNameBuffer', 'File Name', 'param1')}`,
      trouble: true,
      subject: p(e, 'FileNameBuffer', 'File Name', 'param1'),
    }),
    3033: (e) => ({
      line: `code integrity blocked ${p(e, 'FileNameBuffer', 'File Name', 'param1')}: it does not meet the signing level requirements`,
      trouble: true,
      subject: p(e, 'FileNameBuffer', 'File Name', 'param1'),
    }),
  },
};

export function decodeEvent(event: WindowsEvent): DecodedEvent {
  const decoder = DECODERS[event.provider]?.[event.eventId];
  const base = { time: event.timeCreated, source: event.provider, id: event.eventId };
  if (decoder) return { ...base, ...decoder(event) };
  const values = Object.entries(event.data)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return {
    ...base,
    line: `event ${event.eventId}${values ? `: ${values}` : ''}`,
    // An event drvcycle does not know says nothing about the driver, whatever its level.
    trouble: false,
  };
}

export function formatEvent(event: DecodedEvent): string {
  return `${event.time} ${event.source} ${event.id}: ${event.line}`;
}

/** The XPath for EvtQuery: the providers that matter, bounded to the test's time window. */
/**
 * The query of a test's window: only the providers drvcycle decodes (a real System log is full of
 * unrelated errors, DCOM's for one, that must not count as trouble), within the window.
 */
export function eventQueryXPath(since: Date, until?: Date): string {
  const providers = Object.keys(DECODERS)
    .map((name) => `@Name='${name}'`)
    .join(' or ');
  const time = `TimeCreated[@SystemTime>='${since.toISOString()}'${until ? ` and @SystemTime<='${until.toISOString()}'` : ''}]`;
  return `*[System[Provider[${providers}] and ${time}]]`;
}

export const EVENT_CHANNELS = [
  'System',
  'Microsoft-Windows-CodeIntegrity/Operational',
  'Microsoft-Windows-Kernel-PnP/Configuration',
] as const;

/**
 * Whether an event is about the driver under test: it names the service, the `\\Driver\\<service>`
 * object or the image file, or it names nothing (a bugcheck, an unexpected reboot). An event about
 * another service or driver on a real machine is not the driver's trouble.
 */
export function concernsDriver(
  event: DecodedEvent,
  driver: { service: string; imageFile: string },
): boolean {
  if (!event.subject) return true;
  const subject = event.subject.toLowerCase();
  const service = driver.service.toLowerCase();
  const image = driver.imageFile.toLowerCase();
  return (
    subject === service ||
    // Kernel-PnP names a device: drvcycle's root device of the driver is ROOT\<SERVICE>\nnnn.
    subject.startsWith(`root\\${service}\\`) ||
    // SCM events name a service by its display name, which carries drvcycle's marker.
    subject.startsWith(`${service} (drvcycle:run=`) ||
    subject.endsWith(`\\driver\\${service}`) ||
    subject.endsWith(`\\${image}`) ||
    subject === image
  );
}
