/**
 * The system's own message for a Win32 error code: FormatMessageW from the system message table
 * (Windows' text, in the machine's language; Wine's own table in the lab).
 * https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-formatmessagew
 */
import { windowsLibrary } from '../native/library.ts';

const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;
const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;
const CHARS = 1024;

type FormatMessageW = (
  flags: number,
  source: null,
  id: number,
  language: number,
  buffer: Buffer,
  size: number,
  args: null,
) => number;
let formatMessageW: FormatMessageW | undefined;

export function systemMessage(code: number): string | undefined {
  formatMessageW ??= windowsLibrary('kernel32.dll').func(
    'uint32 __stdcall FormatMessageW(uint32 flags, void* source, uint32 id, uint32 language, void* buffer, uint32 size, void* args)',
  ) as unknown as FormatMessageW;
  const buffer = Buffer.alloc(CHARS * 2);
  const length = formatMessageW(
    FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
    null,
    code,
    0,
    buffer,
    CHARS,
    null,
  );
  if (length === 0) return undefined;
  return buffer.toString('utf16le', 0, length * 2).trim() || undefined;
}
