/**
 * Whether a driver set a DriverUnload routine, read from the lab's ntoskrnl trace. Wine prints the
 * driver object's routines once DriverEntry has returned, on the thread that loaded it:
 *
 *   013c:014c:trace:ntoskrnl:IoCreateDriver (L"\\Driver\\dc_x", 000000031CA9F900)
 *   013c:014c:trace:ntoskrnl:init_driver - DriverUnload = 0000000296AD1000
 *
 * A driver that sets none cannot be unloaded: Windows refuses its stop with 1052, and Wine answers
 * the stop and leaves it RUNNING.
 */
const CREATE = /^([0-9a-f]+:[0-9a-f]+):trace:ntoskrnl:IoCreateDriver \(L"\\\\Driver\\\\([^"]+)"/i;
const UNLOAD = /^([0-9a-f]+:[0-9a-f]+):trace:ntoskrnl:init_driver - DriverUnload = ([0-9a-f]+)/i;

/** At the service's last load in `debugOutput`: true when it set a DriverUnload; undefined when the trace does not say. */
export function wineDriverUnloadSet(debugOutput: string, service: string): boolean | undefined {
  const wanted = service.toLowerCase();
  const creating = new Map<string, string>();
  let set: boolean | undefined;
  for (const line of debugOutput.split('\n')) {
    if (!line.includes(':trace:ntoskrnl:')) continue;
    const create = CREATE.exec(line);
    if (create) {
      creating.set(create[1]!, create[2]!.toLowerCase());
      continue;
    }
    const unload = UNLOAD.exec(line);
    if (unload && creating.get(unload[1]!) === wanted) set = /[1-9a-f]/i.test(unload[2]!);
  }
  return set;
}
