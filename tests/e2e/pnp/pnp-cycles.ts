/**
 * Runs inside a lab prefix, under the Windows Node (which strips the types itself):
 *   node.exe pnp-cycles.ts <stage folder> <sample> <cycles> <run id> <image> [load-order group]
 * Installs the sample PnP driver on a root-enumerated device from the INF drvcycle writes, then
 * cycles it the lab's way (remove the device, stop the service, add the device again), and
 * prints one JSON line per step for tests/e2e/pnp.spec.ts.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { addRootDevice, countDevices, removeDevices } from '../../../src/windows/pnp/devices.ts';
import { GUID_DEVCLASS_SYSTEM, rootDeviceInf } from '../../../src/core/inf.ts';
import { ServiceManager } from '../../../src/windows/scm/service-manager.ts';

const [stage, sample, cyclesText, runId, image, group] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const service = `dc_${sample}`;
mkdirSync(stage, { recursive: true });
copyFileSync(image, `${stage}\\${sample}.sys`);
const infPath = `${stage}\\${sample}.inf`;
writeFileSync(
  infPath,
  rootDeviceInf({
    service,
    hardwareId: `root\\${service}`,
    imageFile: `${sample}.sys`,
    displayName: `drvcycle:run=${runId} ${service}`,
    description: `drvcycle:run=${runId}`,
    ...(group ? { loadOrderGroup: group } : {}),
  }),
);
const spec = {
  deviceName: service.toUpperCase(),
  hardwareId: `root\\${service}`,
  classGuid: GUID_DEVCLASS_SYSTEM,
  infPath,
  service,
};
const scm = ServiceManager.open();
/** Wine usually keeps the image loaded after its last device goes, but not always: stop if it runs. */
const stopIfRunning = async () => {
  if (scm.queryStatus(service).state !== 1) await scm.stop(service);
};
const step = (name: string, extra: Record<string, unknown> = {}) =>
  console.log(
    JSON.stringify({
      step: name,
      state: scm.queryStatus(service).state,
      devices: countDevices(spec.hardwareId, service),
      ...extra,
    }),
  );

addRootDevice(spec);
step('installed', {
  displayName: scm.queryConfig(service).displayName,
  description: scm.queryDescription(service),
  binaryPath: scm.queryConfig(service).binaryPath,
});
for (let cycle = 1; cycle <= Number(cyclesText); cycle++) {
  const started = performance.now();
  const removed = removeDevices(spec.hardwareId, service);
  await stopIfRunning();
  step('down', { cycle, removed });
  addRootDevice(spec);
  step('up', { cycle, ms: performance.now() - started });
}
removeDevices(spec.hardwareId, service);
await stopIfRunning();
scm.delete(service);
// The INF copied the image into the drivers folder; it goes with the service (a later test on this
// machine installs the same image from a team INF, which refuses to overwrite a file there).
rmSync(`C:\\windows\\system32\\drivers\\${sample}.sys`, { force: true });
console.log(JSON.stringify({ step: 'removed', devices: countDevices(spec.hardwareId, service) }));
process.exit(0);
