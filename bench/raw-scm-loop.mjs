/**
 * The raw baseline of `npm run bench`: a StartServiceW/ControlService(STOP) loop over koffi, run by
 * the Windows Node.js inside a lab prefix, with nothing else around it (no agent, no HTTP, no
 * records). Prints one JSON line: {"cycles":N,"failures":F,"msPerCycle":[…],"cpuMs":C}, C being
 * this process's own CPU time over the loop.
 *   wine node.exe bench/raw-scm-loop.mjs <service> <cycles>
 */
import { performance } from 'node:perf_hooks';
import koffi from 'koffi';

const [service, countText] = process.argv.slice(2);
const count = Number(countText);
const advapi = koffi.load('advapi32.dll');
const kernel32 = koffi.load('kernel32.dll');
koffi.struct('RAW_SERVICE_STATUS', {
  type: 'uint32',
  state: 'uint32',
  controlsAccepted: 'uint32',
  win32ExitCode: 'uint32',
  serviceSpecificExitCode: 'uint32',
  checkPoint: 'uint32',
  waitHint: 'uint32',
});
const OpenSCManagerW = advapi.func('void *OpenSCManagerW(str16, str16, uint32)');
const OpenServiceW = advapi.func('void *OpenServiceW(void *, str16, uint32)');
const StartServiceW = advapi.func('bool StartServiceW(void *, uint32, void *)');
const ControlService = advapi.func(
  'bool ControlService(void *, uint32, _Out_ RAW_SERVICE_STATUS *)',
);
const CloseServiceHandle = advapi.func('bool CloseServiceHandle(void *)');
const GetLastError = kernel32.func('uint32 GetLastError()');

const SC_MANAGER_CONNECT = 0x1;
const SERVICE_START = 0x10;
const SERVICE_STOP = 0x20;
const SERVICE_CONTROL_STOP = 1;

const manager = OpenSCManagerW(null, null, SC_MANAGER_CONNECT);
if (!manager) throw new Error(`OpenSCManagerW failed: ${GetLastError()}`);
const handle = OpenServiceW(manager, service, SERVICE_START | SERVICE_STOP);
if (!handle) throw new Error(`OpenServiceW(${service}) failed: ${GetLastError()}`);
const times = [];
let failures = 0;
const cpuBefore = process.cpuUsage();
const status = {};
for (let i = 0; i < count; i++) {
  const started = performance.now();
  if (!StartServiceW(handle, 0, null)) failures++;
  if (!ControlService(handle, SERVICE_CONTROL_STOP, status)) failures++;
  times.push(performance.now() - started);
}
CloseServiceHandle(handle);
CloseServiceHandle(manager);
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    cycles: count,
    failures,
    msPerCycle: times,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
