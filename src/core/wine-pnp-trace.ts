/**
 * A PnP driver's callbacks, cycle by cycle, as Wine's ntoskrnl trace shows them for any driver
 * (not only drvcycle's samples, whose DbgPrint lines name them):
 *   …:load_driver loading driver L"C:\\windows\\system32\\drivers\\dc_x.sys"   a cycle's load
 *   …:init_driver init done for L"dc_x" obj 000000000034C410                    DriverEntry returned
 *   …:ZwLoadDriver driver L"\\Driver\\dc_x" already loaded                       the device's turn:
 *   …:IoAttachDeviceToDeviceStack 000000000034EB70, 000000000034E860            AddDevice attached its FDO
 *   …:IoBuildSynchronousFsdRequest (27 000000000034EB70 …)                      an IRP_MJ_PNP to the FDO
 *   …:IoDeleteDevice 000000000034EB70                                           the FDO deleted (REMOVE_DEVICE done)
 *   …:unload_driver L"\\Driver\\dc_x"                                           DriverUnload called
 * Wine's trace does not name the PnP minor function: on the lab an up sends one (START_DEVICE)
 * and a down two (SURPRISE_REMOVAL, REMOVE_DEVICE).
 */
import { unescapeWinePath } from './wine-pool-trace.ts';

export interface PnpCycleCallbacks {
  readonly cycle: number;
  readonly driverEntry: number;
  readonly addDevice: number;
  readonly pnpIrps: number;
  readonly devicesDeleted: number;
  readonly driverUnload: number;
}

const line = (pattern: string) =>
  new RegExp(`^[0-9a-f]+:[0-9a-f]+:trace:ntoskrnl:${pattern}\\s*$`, 'i');
const LOAD = line('load_driver loading driver L"(.*)"');
const INIT_DONE = line('init_driver init done for L"(.*)" obj [0-9a-f]+');
const ATTACH = line('IoAttachDeviceToDeviceStack ([0-9a-f]+), [0-9a-f]+');
const PNP_IRP = line('IoBuildSynchronousFsdRequest \\(27 ([0-9a-f]+) .*\\)');
const DELETE_DEVICE = line('IoDeleteDevice ([0-9a-f]+)');
const UNLOAD = line('unload_driver L"(.*)"');
const ALREADY_LOADED = line('ZwLoadDriver driver L"(.*)" already loaded');

export function pnpCallbacks(debugOutput: string, service: string): PnpCycleCallbacks[] {
  const image = `\\${service.toLowerCase()}.sys`;
  const driverObject = `\\driver\\${service.toLowerCase()}`;
  const cycles: PnpCycleCallbacks[] = [];
  let current: { -readonly [K in keyof PnpCycleCallbacks]: PnpCycleCallbacks[K] } | undefined;
  let addingDevice = false;
  const devices = new Set<string>();
  for (const text of debugOutput.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = LOAD.exec(text)) && unescapeWinePath(m[1]!).endsWith(image)) {
      current = {
        cycle: cycles.length + 1,
        driverEntry: 0,
        addDevice: 0,
        pnpIrps: 0,
        devicesDeleted: 0,
        driverUnload: 0,
      };
      cycles.push(current);
      continue;
    }
    if (!current) continue;
    if ((m = INIT_DONE.exec(text)) && m[1]!.toLowerCase() === service.toLowerCase())
      current.driverEntry++;
    else if ((m = ALREADY_LOADED.exec(text)))
      addingDevice = unescapeWinePath(m[1]!) === driverObject;
    else if ((m = ATTACH.exec(text)) && addingDevice) {
      current.addDevice++;
      devices.add(m[1]!.toLowerCase());
      addingDevice = false;
    } else if ((m = PNP_IRP.exec(text)) && devices.has(m[1]!.toLowerCase())) current.pnpIrps++;
    else if ((m = DELETE_DEVICE.exec(text)) && devices.delete(m[1]!.toLowerCase()))
      current.devicesDeleted++;
    else if ((m = UNLOAD.exec(text)) && unescapeWinePath(m[1]!) === driverObject)
      current.driverUnload++;
  }
  return cycles;
}
