/** Wine identifies itself through ntdll's wine_get_version export; real Windows has none. */
import koffi from 'koffi';

let cached: string | null | undefined;

export function wineVersion(): string | null {
  if (cached !== undefined) return cached;
  try {
    const ntdll = koffi.load('ntdll.dll');
    cached = String(ntdll.func('const char* wine_get_version()')());
  } catch {
    cached = null;
  }
  return cached;
}
