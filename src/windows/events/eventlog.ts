/**
 * The Windows event log through wevtapi: EvtQuery over the System and CodeIntegrity channels,
 * bounded to a time window, each event rendered as XML and decoded. Wine has no event log (EvtQuery
 * returns NULL and EvtRender is a stub that raises), so on Wine the source reports itself
 * unavailable and never calls EvtRender.
 */
import { windowsLibrary } from '../native/library.ts';
import { wineVersion } from '../nt/wine.ts';
import { decodeEvent, EVENT_CHANNELS, eventQueryXPath, type DecodedEvent } from './decode.ts';
import { parseEventXml } from './event-xml.ts';

export interface EventLogRead {
  readonly available: boolean;
  readonly reason?: string;
  readonly events: DecodedEvent[];
  /** Channels that could not be queried, with the Win32 error. */
  readonly errors: string[];
}

const EvtQueryChannelPath = 0x1;
const EvtQueryTolerateQueryErrors = 0x1000;
const EvtRenderEventXml = 1;
const ERROR_NO_MORE_ITEMS = 259;
const ERROR_INSUFFICIENT_BUFFER = 122;
const BATCH = 32;

type Fn = (...args: unknown[]) => unknown;
type Wevtapi = Record<'EvtQuery' | 'EvtNext' | 'EvtRender' | 'EvtClose' | 'GetLastError', Fn>;
let api: Wevtapi | undefined;

function wevtapi(): Wevtapi {
  if (api) return api;
  const lib = windowsLibrary('wevtapi.dll');
  const kernel32 = windowsLibrary('kernel32.dll');
  api = {
    /** https://learn.microsoft.com/windows/win32/api/winevt/nf-winevt-evtquery */
    EvtQuery: lib.func(
      'void* __stdcall EvtQuery(void* session, str16 path, str16 query, uint32 flags)',
    ) as Fn,
    /** https://learn.microsoft.com/windows/win32/api/winevt/nf-winevt-evtnext */
    EvtNext: lib.func(
      'int __stdcall EvtNext(void* resultSet, uint32 count, void* events, uint32 timeout, uint32 flags, _Out_ uint32* returned)',
    ) as Fn,
    /** https://learn.microsoft.com/windows/win32/api/winevt/nf-winevt-evtrender */
    EvtRender: lib.func(
      'int __stdcall EvtRender(void* context, void* fragment, uint32 flags, uint32 size, void* buffer, _Out_ uint32* used, _Out_ uint32* properties)',
    ) as Fn,
    EvtClose: lib.func('int __stdcall EvtClose(void* handle)') as Fn,
    GetLastError: kernel32.func('uint32 __stdcall GetLastError()') as Fn,
  };
  return api;
}

function render(event: bigint): string {
  const { EvtRender, GetLastError } = wevtapi();
  let buffer = Buffer.alloc(8192);
  for (;;) {
    const used = [0];
    const properties = [0];
    if (EvtRender(null, event, EvtRenderEventXml, buffer.length, buffer, used, properties))
      return buffer.toString('utf16le', 0, used[0]!).replace(/\0+$/, '');
    if (GetLastError() !== ERROR_INSUFFICIENT_BUFFER)
      throw new Error(`EvtRender failed: ${GetLastError()}`);
    buffer = Buffer.alloc(used[0]!);
  }
}

export function readEventLog(since: Date, until?: Date): EventLogRead {
  const wine = wineVersion();
  if (wine)
    return {
      available: false,
      reason: `Wine ${wine} implements no event log (EvtQuery returns NULL; EvtRender is a stub)`,
      events: [],
      errors: [],
    };
  const { EvtQuery, EvtNext, EvtClose, GetLastError } = wevtapi();
  const events: DecodedEvent[] = [];
  const errors: string[] = [];
  const query = eventQueryXPath(since, until);
  for (const channel of EVENT_CHANNELS) {
    const results = EvtQuery(
      null,
      channel,
      query,
      EvtQueryChannelPath | EvtQueryTolerateQueryErrors,
    ) as bigint | null;
    if (!results) {
      errors.push(`${channel}: EvtQuery failed with ${GetLastError()}`);
      continue;
    }
    try {
      for (;;) {
        const handles = Buffer.alloc(8 * BATCH);
        const returned = [0];
        if (!EvtNext(results, BATCH, handles, 1000, 0, returned)) {
          const code = GetLastError() as number;
          if (code !== ERROR_NO_MORE_ITEMS) errors.push(`${channel}: EvtNext failed with ${code}`);
          break;
        }
        for (let i = 0; i < returned[0]!; i++) {
          const handle = handles.readBigUInt64LE(i * 8);
          // One event that cannot be rendered or parsed is recorded, not the end of the read;
          // every handle of the batch is closed either way.
          try {
            events.push(decodeEvent(parseEventXml(render(handle))));
          } catch (error) {
            errors.push(`${channel}: an event could not be read: ${(error as Error).message}`);
          } finally {
            EvtClose(handle);
          }
        }
      }
    } finally {
      EvtClose(results);
    }
  }
  events.sort((a, b) => a.time.localeCompare(b.time));
  return { available: true, events, errors };
}
