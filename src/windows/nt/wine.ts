/** Wine identifies itself through ntdll's wine_get_version export; real Windows has none. */
import { windowsLibrary } from '../native/library.ts';

let cached: string | null | undefined;

export function wineVersion(): string | null {
  if (cached !== undefined) return cached;
  try {
    const ntdll = windowsLibrary('ntdll.dll');
    // CDECL in Wine's source; with no argument both conventions are one ABI (and on x64, the only
    // architecture drvcycle binds on, there is one ABI): spelled like every other binding.
    cached = String(ntdll.func('const char* __stdcall wine_get_version()')());
  } catch {
    cached = null;
  }
  return cached;
}
