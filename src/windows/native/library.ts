/**
 * The one place drvcycle loads a Windows DLL for its koffi bindings: each DLL once per process, and
 * only on x64. Every structure drvcycle reads or writes through these bindings (SCM, SetupAPI,
 * NtQuerySystemInformation, token privileges, crash dumps) is laid out for x64 (DESIGN.md §3), and
 * every binding spells the Win32 calling convention `__stdcall` (WINAPI; on x64 it is the one ABI,
 * and tests/unit/bindings.spec.ts checks every declaration spells it).
 */
import koffi from 'koffi';
import { ConfigError } from '../../core/errors.ts';

/** Why drvcycle's Windows bindings refuse this architecture (Node's process.arch), if they do. */
export function architectureProblem(arch: string): ConfigError | undefined {
  if (arch === 'x64') return undefined;
  return new ConfigError(
    `drvcycle's Windows bindings are for x64; this is ${arch}: every Windows structure drvcycle reads (service status, system information, device data, crash dumps) has its x64 layout, and would be misread here.`,
    'Run the agent (or a runner with a local target) with the x64 build of Node.js on 64-bit x64 Windows: `node -p process.arch` must print x64. 32-bit (ia32) and ARM64 builds of Node.js are not supported.',
  );
}

/** Throws the ConfigError above on any architecture but x64. */
export function assertX64(arch: string = process.arch): void {
  const problem = architectureProblem(arch);
  if (problem) throw problem;
}

export type WindowsLibrary = ReturnType<typeof koffi.load>;
const loaded = new Map<string, WindowsLibrary>();

/** The DLL, loaded once; refused (ConfigError) on any architecture but x64. */
export function windowsLibrary(name: string): WindowsLibrary {
  assertX64();
  let library = loaded.get(name);
  if (!library) {
    library = koffi.load(name);
    loaded.set(name, library);
  }
  return library;
}
