/**
 * What happened on the machine during a test's window besides the cycles: event-log entries
 * (Windows), the kernel debug output (Wine's channels in the lab, a serial console on a VM), and
 * which of them signal trouble (they become verdict evidence).
 */
import { crashLines } from '../core/classify.ts';
import type { Machine } from '../machines/machine.ts';
import type { Target } from '../target/types.ts';
import { concernsDriver, formatEvent, type DecodedEvent } from '../windows/events/decode.ts';
import type { Collector } from './collector.ts';

export interface WindowEvents {
  readonly events: DecodedEvent[];
  /** Readable debug output: DbgPrint text, crashes, errors (not the pool trace). */
  readonly debug: string[];
  /** Where the events came from, or why there are none. */
  readonly eventSource: string;
  /** The events that signal trouble, one line each. */
  readonly trouble: string[];
}

const DBGPRINT = /vDbgPrintExWithPrefix [0-9a-f]+:[0-9a-f]+: (.*)$/;

/** The lines of Wine's debug output a person wants: DbgPrint text, crashes, errors (not traces). */
export function readableDebugOutput(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const print = DBGPRINT.exec(line);
    if (print) lines.push(`DbgPrint: ${print[1]!.trim()}`);
    else if (crashLines(line).length > 0 || /:err:/.test(line)) lines.push(line.trim());
  }
  return lines;
}

/** Reads the window's events and debug output once, and streams them into the metrics file. */
export async function readWindowEvents(
  target: Target,
  machine: Machine,
  since: Date,
  debugMark: number,
  metrics: Collector,
  driver: { service: string; imageFile: string },
): Promise<WindowEvents> {
  const log = await target.events(since).catch((error: Error) => ({
    available: false,
    reason: error.message,
    events: [] as DecodedEvent[],
    errors: [],
  }));
  const debug = readableDebugOutput(machine.debugOutput(debugMark));
  const crashEvents: DecodedEvent[] = debug
    .filter((l) => crashLines(l).length > 0)
    .map((line) => ({
      time: new Date().toISOString(),
      source: 'wine',
      id: 0,
      line,
      trouble: true,
    }));
  const events = [...log.events, ...crashEvents];
  for (const e of events)
    metrics.write({
      type: 'event',
      source: e.source,
      time: e.time,
      line: e.line,
      trouble: e.trouble,
    });
  return {
    events,
    debug,
    eventSource: log.available ? 'Windows event log' : `event log unavailable: ${log.reason ?? ''}`,
    // Trouble for the verdict: what went wrong with this driver, or with the machine itself.
    trouble: events.filter((e) => e.trouble && concernsDriver(e, driver)).map(formatEvent),
  };
}

/**
 * The event-log entries of a window that concern the driver (the compare spec counts them per
 * block), or why the machine has no event log.
 */
export async function driverEventCount(
  target: Target,
  since: Date,
  until: Date,
  driver: { service: string; imageFile: string },
): Promise<{ count: number } | { unavailable: string }> {
  const log = await target.events(since, until).catch((error: Error) => ({
    available: false,
    reason: error.message,
    events: [] as DecodedEvent[],
    errors: [],
  }));
  if (!log.available) return { unavailable: `event log unavailable: ${log.reason ?? 'unknown'}` };
  return { count: log.events.filter((e) => concernsDriver(e, driver)).length };
}
